//! The scap capture-file reader: a streaming pass over the blocks of a plain or gzip file,
//! in constant memory, that lends each event in place.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::blocks::{self, EventBlockKind, Metadata, SectionHeader};
use super::input::Input;
use crate::capture::RawEvent;
use crate::error::{Error, Result};
use crate::event::{EVENT_MAX, EventRef, HEADER_LEN, event_info};

/// Default largest block the reader accepts (a process list of a big host is a few MiB; an
/// event is at most 64 KiB unless it is a LARGE one).
pub const DEFAULT_MAX_BLOCK: usize = 256 * 1024 * 1024;
/// Default most threads the process lists of a capture may describe, all blocks together:
/// libsinsp's thread-table size, past which the state would not keep them anyway. A
/// process list claiming millions is refused instead of held in memory.
pub const DEFAULT_MAX_THREADS: usize = 131_072;
/// Largest non-LARGE event block body, as libscap reads it.
const MAX_SMALL_EVENT_BLOCK: usize = 64 * 1024;
/// Header of events in old (V1) blocks: no `nparams`.
const V1_HEADER_LEN: usize = 22;
/// `PPME_NOTIFICATION_E` and `PPME_INFRASTRUCTURE_EVENT_E`.
const NOTIFICATION_E: u16 = 280;
const INFRASTRUCTURE_EVENT_E: u16 = 286;
/// The user and group table events (`PPME_USER_ADDED_E` .. `PPME_GROUP_DELETED_X`): state,
/// merged into the metadata rather than lent as events (sysdig 0.29 skips them unnumbered).
const USER_ADDED_E: u16 = 354;
const USER_DELETED_E: u16 = 356;
const GROUP_ADDED_E: u16 = 358;
const GROUP_DELETED_E: u16 = 360;
const GROUP_DELETED_X: u16 = 361;

/// Reads a scap capture (plain or gzip, sniffed from its first bytes).
pub struct FileReader {
    input: Input,
    section: SectionHeader,
    metadata: Metadata,
    /// Event blocks handed out so far.
    events: u64,
    /// Bytes of the last lent block, consumed at the next call.
    pending: usize,
    /// Converted V1 event (header widened to carry `nparams`).
    v1_scratch: Vec<u8>,
    max_block: usize,
    max_threads: usize,
    compressed: bool,
    skip_state_only: bool,
    /// The last lent event, to lend it again with [`FileReader::current`].
    last: Option<LastEvent>,
    /// Where each uid and gid is in the metadata's user and group lists.
    user_index: IdIndex,
    group_index: IdIndex,
}

/// Where each id (uid or gid) sits in a metadata list, so that user and group events update
/// the list in constant time: a capture can carry hundreds of thousands of them, and a scan
/// of the list per event would take minutes. The lists are tables keyed by id; rebuilding
/// the index keeps the last entry of each id.
#[derive(Default)]
struct IdIndex {
    at: hashbrown::HashMap<u32, usize>,
    /// False when the list may have changed without the index (a user list block was read,
    /// the metadata was taken).
    synced: bool,
}

impl IdIndex {
    fn sync<T>(&mut self, list: &mut Vec<T>, id: impl Fn(&T) -> u32) {
        if self.synced {
            return;
        }
        self.at.clear();
        for (i, x) in list.iter().enumerate() {
            self.at.insert(id(x), i);
        }
        if self.at.len() != list.len() {
            let mut i = 0;
            list.retain(|x| {
                i += 1;
                self.at[&id(x)] == i - 1
            });
            self.at.clear();
            for (i, x) in list.iter().enumerate() {
                self.at.insert(id(x), i);
            }
        }
        self.synced = true;
    }

    /// Puts `x` in place of the entry with its id, or at the end.
    fn upsert<T>(&mut self, list: &mut Vec<T>, x: T, id: impl Fn(&T) -> u32) {
        self.sync(list, &id);
        match self.at.get(&id(&x)) {
            Some(&i) => list[i] = x,
            None => {
                self.at.insert(id(&x), list.len());
                list.push(x);
            }
        }
    }

    /// Removes the entry with id `key`, if any (the last entry takes its place).
    fn remove<T>(&mut self, list: &mut Vec<T>, key: u32, id: impl Fn(&T) -> u32) {
        self.sync(list, &id);
        if let Some(i) = self.at.remove(&key) {
            list.swap_remove(i);
            if let Some(moved) = list.get(i) {
                self.at.insert(id(moved), i);
            }
        }
    }
}

/// An event block found whole and valid, and what its event was found to be.
#[derive(Clone, Copy)]
struct AtHand {
    /// The block's length.
    total: u32,
    /// Bytes between the block header and the event (cpu id, flags).
    pre: u8,
    /// An old-format event, widened into the reader's scratch buffer.
    v1: bool,
    shape: crate::event::EventShape,
    cpu: u16,
    flags: u32,
}

/// Where the last lent event is and what validating it found. The rest of what was lent
/// (cpu, flags, number, offset) is read again from the block, which stays in the buffer
/// until the next call.
struct LastEvent {
    /// Its bytes start this far into the input's available bytes (unless `v1`).
    start: u8,
    v1: bool,
    shape: crate::event::EventShape,
}

fn block_name(ty: u32) -> &'static str {
    use blocks::*;
    match ty {
        SHB => "section header",
        MI | MI_INT => "machine info",
        FDL | FDL_INT | FDL_V2 => "fd list",
        IL | IL_INT | IL_V2 => "interface list",
        UL | UL_INT | UL_V2 => "user list",
        _ if proclist_version(ty).is_some() => "process list",
        _ if event_block_kind(ty).is_some() => "event",
        _ => "unknown",
    }
}

/// How a [`FileReader`] reads its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Most threads the process lists may describe, all blocks together; an error past
    /// that ([`DEFAULT_MAX_THREADS`] by default).
    pub max_threads: usize,
    /// Read (and decompress) the stream on a thread of its own, a few MiB ahead of the
    /// decoding, so that the kernel's copy or the gzip inflation runs on another core
    /// (true by default). The thread ends when the reader is dropped, or, if it is then
    /// waiting on a stream that gives nothing (a pipe), as soon as that read returns.
    pub read_ahead: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_threads: DEFAULT_MAX_THREADS,
            read_ahead: true,
        }
    }
}

impl FileReader {
    /// Opens the capture at `path`, plain or gzip (told from its first bytes), read ahead
    /// on a thread of its own (see [`ReadOptions`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, ReadOptions::default())
    }

    /// As [`FileReader::open`], with the given options.
    pub fn open_with(path: impl AsRef<Path>, options: ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::with_options(file, options)
    }

    /// Reads a capture from any byte stream, on the caller's thread. Reads the section
    /// header and the metadata blocks up to the first event.
    pub fn new(r: impl Read + Send + 'static) -> Result<Self> {
        Self::with_max_threads(r, DEFAULT_MAX_THREADS)
    }

    /// As [`FileReader::new`], holding at most `max_threads` threads of process lists (an
    /// error past that; [`DEFAULT_MAX_THREADS`] otherwise).
    pub fn with_max_threads(r: impl Read + Send + 'static, max_threads: usize) -> Result<Self> {
        Self::with_options(
            r,
            ReadOptions {
                max_threads,
                read_ahead: false,
            },
        )
    }

    /// Reads a capture from any byte stream with the given options.
    pub fn with_options(mut r: impl Read + Send + 'static, options: ReadOptions) -> Result<Self> {
        // Sniff the gzip magic from the first two bytes, then hand them back in front of the
        // rest. Plain streams are read straight into the reader's own buffer (no second
        // buffer, no extra copy); gzip ones through a buffered decoder.
        let mut head = [0u8; 2];
        let mut got = 0;
        while got < head.len() {
            match r.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => return Err(Error::Stream { offset: 0, source }),
            }
        }
        let compressed = got == 2 && head == [0x1f, 0x8b];
        let stream = std::io::Cursor::new(head[..got].to_vec()).chain(r);
        let inner: Box<dyn Read + Send> = if compressed {
            Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                256 * 1024,
                stream,
            )))
        } else {
            Box::new(stream)
        };
        let input = if options.read_ahead {
            Input::read_ahead(inner).map_err(|source| Error::Stream {
                offset: 0,
                source: std::io::Error::new(
                    source.kind(),
                    format!("cannot start the read-ahead thread: {source}"),
                ),
            })?
        } else {
            Input::new(inner)
        };
        Self::with_input(input, compressed, options.max_threads)
    }

    fn with_input(input: Input, compressed: bool, max_threads: usize) -> Result<Self> {
        let mut reader = FileReader {
            input,
            section: SectionHeader { major: 0, minor: 0 },
            metadata: Metadata::default(),
            events: 0,
            pending: 0,
            v1_scratch: Vec::new(),
            max_block: DEFAULT_MAX_BLOCK,
            max_threads,
            compressed,
            skip_state_only: false,
            last: None,
            user_index: IdIndex::default(),
            group_index: IdIndex::default(),
        };
        reader.read_preamble()?;
        Ok(reader)
    }

    /// Sets the largest block the reader accepts; larger ones are an error, not an allocation.
    pub fn set_max_block(&mut self, bytes: usize) {
        self.max_block = bytes;
    }

    /// Skips events marked state-only (`DF_STATE_ONLY`) instead of lending them; they still
    /// count in event numbers.
    pub fn set_skip_state_only(&mut self, skip: bool) {
        self.skip_state_only = skip;
    }

    /// Whether the stream was gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The version in the section header.
    pub fn section(&self) -> SectionHeader {
        self.section
    }

    /// Metadata read so far (all of it that precedes the first event, plus any met later).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Takes the metadata out of the reader, leaving it empty.
    pub fn take_metadata(&mut self) -> Metadata {
        self.user_index.synced = false;
        self.group_index.synced = false;
        std::mem::take(&mut self.metadata)
    }

    /// Number of events handed out so far.
    pub fn events_read(&self) -> u64 {
        self.events
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Stream {
            offset: self.input.offset(),
            source,
        }
    }

    /// Fills the header of the next block: `None` at a clean end of stream.
    #[inline]
    fn block_header(&mut self) -> Result<Option<(u32, usize)>> {
        let have = self.input.fill(8).map_err(|e| self.io(e))?;
        if have < 8 {
            return self.short_block_header(have);
        }
        let b = self.input.available();
        let ty = u32::from_le_bytes(b[0..4].try_into().unwrap());
        let total = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
        // The common case first: a small event block within its limits.
        let ok = match blocks::event_block_kind(ty) {
            Some(EventBlockKind { large: false, .. }) => {
                (12..=MAX_SMALL_EVENT_BLOCK + 8).contains(&total)
            }
            _ => false,
        };
        if !ok {
            self.check_block_length(ty, total)?;
        }
        let have = self.input.fill(total).map_err(|e| self.io(e))?;
        if have < total {
            return Err(Error::Truncated {
                offset: self.input.offset(),
                what: block_name(ty),
                needed: total as u64,
                got: have as u64,
            });
        }
        Ok(Some((ty, total)))
    }

    /// The end of the stream, or a block header cut short.
    #[cold]
    fn short_block_header(&self, have: usize) -> Result<Option<(u32, usize)>> {
        if have == 0 {
            return Ok(None);
        }
        Err(Error::Truncated {
            offset: self.input.offset(),
            what: "block header",
            needed: 8,
            got: have as u64,
        })
    }

    /// Checks a block's length against the minimum for its type and the reader's limit.
    #[inline(never)]
    fn check_block_length(&self, ty: u32, total: usize) -> Result<()> {
        let offset = self.input.offset();
        let min = if ty == blocks::SHB { 28 } else { 12 };
        if total < min {
            return Err(Error::Malformed {
                offset,
                what: format!(
                    "{} block (type {ty:#x}) has length {total}, less than the minimum {min}",
                    block_name(ty)
                ),
            });
        }
        let limit = match blocks::event_block_kind(ty) {
            Some(EventBlockKind { large: false, .. }) => MAX_SMALL_EVENT_BLOCK + 8,
            _ => self.max_block,
        };
        if total > limit {
            return Err(Error::Malformed {
                offset,
                what: format!(
                    "{} block (type {ty:#x}) claims {total} bytes, more than the limit of {limit}",
                    block_name(ty)
                ),
            });
        }
        Ok(())
    }

    fn read_preamble(&mut self) -> Result<()> {
        // Check the block type before trusting any length: a file that is not a capture
        // should say so, not complain about a length.
        let have = self.input.fill(4).map_err(|e| self.io(e))?;
        if have >= 4 {
            let ty = u32::from_le_bytes(self.input.available()[..4].try_into().unwrap());
            if ty != blocks::SHB {
                return Err(Error::Malformed {
                    offset: 0,
                    what: format!(
                        "not a scap capture: first block has type {ty:#x}, expected a section header"
                    ),
                });
            }
        }
        match self.block_header()? {
            Some((blocks::SHB, total)) => self.read_section(total)?,
            Some((ty, _)) => {
                return Err(Error::Malformed {
                    offset: 0,
                    what: format!(
                        "not a scap capture: first block has type {ty:#x}, expected a section header"
                    ),
                });
            }
            None => {
                return Err(Error::Malformed {
                    offset: 0,
                    what: "empty file: no section header".into(),
                });
            }
        }
        // Metadata up to the first event block, which stays unread for next_event().
        while let Some((ty, total)) = self.block_header()? {
            if blocks::event_block_kind(ty).is_some() {
                break;
            }
            self.read_metadata_block(ty, total)?;
        }
        Ok(())
    }

    fn read_section(&mut self, total: usize) -> Result<()> {
        let offset = self.input.offset();
        let b = self.input.available();
        let magic = u32::from_le_bytes(b[8..12].try_into().unwrap());
        if magic != blocks::SHB_MAGIC {
            return Err(Error::Malformed {
                offset: offset + 8,
                what: format!(
                    "section header has byte-order magic {magic:#x}, expected {:#x} \
                     (a big-endian capture or not a scap file)",
                    blocks::SHB_MAGIC
                ),
            });
        }
        let major = u16::from_le_bytes([b[12], b[13]]);
        let minor = u16::from_le_bytes([b[14], b[15]]);
        if major > 1 {
            return Err(Error::Malformed {
                offset: offset + 12,
                what: format!("capture version {major}.{minor} is newer than this reader (1.x)"),
            });
        }
        // pcapng options may sit between the fixed body and the trailer; they are skipped.
        self.section = SectionHeader { major, minor };
        self.input.consume(total);
        Ok(())
    }

    fn read_metadata_block(&mut self, ty: u32, total: usize) -> Result<()> {
        use blocks::*;
        let offset = self.input.offset();
        let b = self.input.available();
        let trailer = u32::from_le_bytes(b[total - 4..total].try_into().unwrap()) as usize;
        if trailer != total {
            return Err(Error::Malformed {
                offset: offset + total as u64 - 4,
                what: format!(
                    "{} block: trailer length {trailer} differs from header length {total}",
                    block_name(ty)
                ),
            });
        }
        let mut c = blocks::Cursor::new(&b[8..total - 4], offset + 8, block_name(ty));
        let md = &mut self.metadata;
        match ty {
            SHB => {
                return self.read_section(total);
            }
            MI | MI_INT => md.machine = Some(read_machine_info(&mut c)?),
            FDL | FDL_INT | FDL_V2 => {
                let l = read_fdlist(&mut c, ty == FDL_V2)?;
                md.fd_lists.push(l);
            }
            IL | IL_INT | IL_V2 => read_iflist(&mut c, ty == IL_V2, md)?,
            UL | UL_INT | UL_V2 => {
                read_userlist(&mut c, ty == UL_V2, md)?;
                self.user_index.synced = false;
                self.group_index.synced = false;
            }
            _ => {
                if let Some(v) = proclist_version(ty) {
                    read_proclist(&mut c, v, &mut md.threads, self.max_threads)?;
                }
                // Unknown block types are skipped by their length.
            }
        }
        self.input.consume(total);
        Ok(())
    }

    /// The next event, or `None` at the end of the capture. Metadata blocks met between
    /// events are parsed into [`FileReader::metadata`]. Events whose type is beyond the
    /// schema (written by a newer producer) are skipped, as libscap does.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        self.input.consume(std::mem::take(&mut self.pending));
        if let Some(at) = self.event_at_hand() {
            self.events += 1;
            self.pending = at.total as usize;
            return Ok(Some(self.lend(at)));
        }
        match self.next_event_general()? {
            Some(at) => Ok(Some(self.lend(at))),
            None => Ok(None),
        }
    }

    /// Lends the event `at` describes (counted, its block to be consumed next time).
    #[inline(always)]
    fn lend(&mut self, at: AtHand) -> RawEvent<'_> {
        let start = 8 + at.pre as usize;
        self.last = Some(LastEvent {
            start: start as u8,
            v1: at.v1,
            shape: at.shape,
        });
        let bytes = if at.v1 {
            &self.v1_scratch[..]
        } else {
            &self.input.available()[start..]
        };
        RawEvent {
            event: at.shape.attach_proven(bytes),
            cpu: at.cpu,
            flags: at.flags,
            number: self.events,
            offset: self.input.offset(),
        }
    }

    /// [`FileReader::next_event`] for everything [`FileReader::event_at_hand`] leaves:
    /// blocks not yet in the buffer, metadata, old formats, events not lent, and errors.
    /// Counts the event and marks its block to be consumed at the next call, as the fast
    /// way does.
    #[inline(never)]
    fn next_event_general(&mut self) -> Result<Option<AtHand>> {
        self.last = None;
        let Some((total, kind, pre)) = self.find_event_block()? else {
            return Ok(None);
        };
        let offset = self.input.offset();
        let number = self.events + 1;
        self.pending = total;
        self.events = number;
        let body = &self.input.available()[8..total - 4];
        let cpu = u16::from_le_bytes([body[0], body[1]]);
        let flags = if kind.has_flags {
            u32::from_le_bytes(body[2..6].try_into().unwrap())
        } else {
            0
        };
        let bytes: &[u8] = if kind.v1 {
            Self::widen(&body[pre..], &mut self.v1_scratch, offset, number)?;
            &self.v1_scratch
        } else {
            &body[pre..]
        };
        let event = EventRef::new(bytes).map_err(|source| Error::BadEvent {
            number,
            offset,
            source,
        })?;
        Ok(Some(AtHand {
            total: total as u32,
            pre: pre as u8,
            v1: kind.v1,
            shape: event.shape(),
            cpu,
            flags,
        }))
    }

    /// The common case of [`FileReader::next_event`], checked in one pass over the bytes at
    /// hand: a current-format event block, whole, within the limits, of an event type that
    /// is lent, holding a valid event. Anything else (`None`) goes the general way, which
    /// accepts exactly what this accepts and reports everything else.
    #[inline]
    fn event_at_hand(&self) -> Option<AtHand> {
        let (total, kind, pre) = self.event_block_at_hand()?;
        let body = self.input.available().get(8..total - 4)?;
        let shape = EventRef::new(body.get(pre..)?).ok()?.shape();
        let cpu = u16::from_le_bytes(*body.first_chunk::<2>()?);
        let flags = if kind.has_flags {
            u32::from_le_bytes(*body.get(2..)?.first_chunk::<4>()?)
        } else {
            0
        };
        Some(AtHand {
            total: total as u32,
            pre: pre as u8,
            v1: false,
            shape,
            cpu,
            flags,
        })
    }

    /// Converts an old-format event into `scratch` (see [`widen_v1`]).
    #[cold]
    fn widen(ev: &[u8], scratch: &mut Vec<u8>, offset: u64, number: u64) -> Result<()> {
        let etype = u16::from_le_bytes([ev[20], ev[21]]);
        widen_v1(ev, etype, scratch).map_err(|what| Error::Malformed {
            offset,
            what: format!("event #{number}: {what}"),
        })
    }

    /// The general way to the next event block: reads block headers, handles metadata
    /// blocks and the event blocks that are not lent, and checks everything
    /// [`FileReader::event_block_at_hand`] did not accept. `None` at the end of the stream.
    #[inline(never)]
    fn find_event_block(&mut self) -> Result<Option<(usize, EventBlockKind, usize)>> {
        // Without keeping a borrow of the buffer across iterations.
        loop {
            if let Some(found) = self.event_block_at_hand() {
                return Ok(Some(found));
            }
            let Some((ty, total)) = self.block_header()? else {
                return Ok(None);
            };
            let Some(kind) = blocks::event_block_kind(ty) else {
                self.read_metadata_block(ty, total)?;
                continue;
            };
            let pre = if kind.has_flags { 6 } else { 2 };
            let hdr = if kind.v1 { V1_HEADER_LEN } else { HEADER_LEN };
            let body_len = total - 12;
            if body_len < pre + hdr {
                return Err(Error::BadEvent {
                    number: self.events + 1,
                    offset: self.input.offset(),
                    source: crate::event::EventError::TooShort {
                        available: body_len.saturating_sub(pre),
                    },
                });
            }
            let b = self.input.available();
            let etype = u16::from_le_bytes([b[8 + pre + 20], b[8 + pre + 21]]);
            if etype >= EVENT_MAX {
                self.input.consume(total);
                continue;
            }
            if (USER_ADDED_E..=GROUP_DELETED_X).contains(&etype) {
                self.consume_user_event(pre)?;
                self.input.consume(total);
                continue;
            }
            if self.skip_state_only
                && kind.has_flags
                && u32::from_le_bytes(b[10..14].try_into().unwrap()) & crate::capture::DF_STATE_ONLY
                    != 0
            {
                self.events += 1;
                self.input.consume(total);
                continue;
            }
            return Ok(Some((total, kind, pre)));
        }
    }

    /// The block checks of [`FileReader::event_at_hand`]: a current-format event block,
    /// whole, within the limits, of an event type that is lent, as (length, kind, bytes
    /// before the event). Anything else (`None`) goes the general way.
    #[inline]
    fn event_block_at_hand(&self) -> Option<(usize, EventBlockKind, usize)> {
        let b = self.input.available();
        let head: &[u8; 8] = b.get(..8)?.try_into().ok()?;
        let ty = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let total = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let (kind, pre) = match ty {
            blocks::EVF_V2 if !self.skip_state_only => (
                EventBlockKind {
                    v1: false,
                    has_flags: true,
                    large: false,
                },
                6,
            ),
            blocks::EV_V2 => (
                EventBlockKind {
                    v1: false,
                    has_flags: false,
                    large: false,
                },
                2,
            ),
            _ => return None,
        };
        if total < 12 + pre + HEADER_LEN || total > MAX_SMALL_EVENT_BLOCK + 8 || total > b.len() {
            return None;
        }
        let etype = u16::from_le_bytes(b[8 + pre + 20..8 + pre + 22].try_into().unwrap());
        if etype >= EVENT_MAX {
            return None;
        }
        if (USER_ADDED_E..=GROUP_DELETED_X).contains(&etype) {
            return None;
        }
        Some((total, kind, pre))
    }

    /// The event the last [`FileReader::next_event`] lent, lent again (`None` before the
    /// first event, after the end, or after an error).
    pub fn current(&self) -> Option<RawEvent<'_>> {
        let last = self.last.as_ref()?;
        let block = self.input.available();
        let bytes: &[u8] = if last.v1 {
            &self.v1_scratch
        } else {
            block.get(last.start as usize..)?
        };
        let ty = u32::from_le_bytes(block.get(..4)?.try_into().ok()?);
        let cpu = u16::from_le_bytes(block.get(8..10)?.try_into().ok()?);
        let flags = if blocks::event_block_kind(ty)?.has_flags {
            u32::from_le_bytes(block.get(10..14)?.try_into().ok()?)
        } else {
            0
        };
        Some(RawEvent {
            event: last.shape.attach(bytes)?,
            cpu,
            flags,
            number: self.events,
            offset: self.input.offset(),
        })
    }
}

impl FileReader {
    /// Applies a user or group event (as sinsp writes its user table into captures) to the
    /// metadata's user and group lists.
    fn consume_user_event(&mut self, pre: usize) -> Result<()> {
        use crate::event::Value;
        let offset = self.input.offset();
        let b = self.input.available();
        let total = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
        let bad = |source| Error::BadEvent {
            number: self.events + 1,
            offset,
            source,
        };
        let ev = EventRef::new(&b[8 + pre..total - 4]).map_err(bad)?;
        let text = |name: &str| match ev.param_by_name(name).map(|p| p.value()) {
            Some(Ok(Value::Str(s))) => s.to_vec(),
            _ => Vec::new(),
        };
        let num = |name: &str| match ev.param_by_name(name).map(|p| p.value()) {
            Some(Ok(v)) => v.as_u64().unwrap_or(0) as u32,
            _ => 0,
        };
        let md = &mut self.metadata;
        let uid = |u: &blocks::UserRecord| u.uid;
        let gid = |g: &blocks::GroupRecord| g.gid;
        match ev.event_type() {
            USER_ADDED_E => {
                let user = blocks::UserRecord {
                    uid: num("uid"),
                    gid: num("gid"),
                    name: text("name"),
                    homedir: text("home"),
                    shell: text("shell"),
                };
                self.user_index.upsert(&mut md.users, user, uid);
            }
            USER_DELETED_E => self.user_index.remove(&mut md.users, num("uid"), uid),
            GROUP_ADDED_E => {
                let group = blocks::GroupRecord {
                    gid: num("gid"),
                    name: text("name"),
                };
                self.group_index.upsert(&mut md.groups, group, gid);
            }
            GROUP_DELETED_E => self.group_index.remove(&mut md.groups, num("gid"), gid),
            _ => {}
        }
        Ok(())
    }
}

/// Converts an event of an old block (22-byte header, no `nparams`) to the current layout in
/// `out`, finding `nparams` as libscap does: the largest count, from the schema's down, whose
/// lengths add up exactly to the event length.
fn widen_v1(ev: &[u8], etype: u16, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    out.extend_from_slice(&ev[..V1_HEADER_LEN]);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&ev[V1_HEADER_LEN..]);
    let mut len = u32::from_le_bytes(ev[16..20].try_into().unwrap()) as usize + 4;
    // Old producers wrote these two with a length 3 bytes too long.
    if etype == NOTIFICATION_E || etype == INFRASTRUCTURE_EVENT_E {
        len = len.saturating_sub(3);
    }
    if len > out.len() {
        return Err(format!(
            "old-format event length {} runs past its block",
            len - 4
        ));
    }
    if len < HEADER_LEN {
        return Err(format!(
            "old-format event length {} is shorter than its {V1_HEADER_LEN}-byte header",
            len - 4
        ));
    }
    let max = event_info(etype).map_or(0, |i| i.params.len());
    let lens = &out[HEADER_LEN..len];
    for n in (0..=max).rev() {
        if 2 * n > lens.len() {
            continue;
        }
        let sum: usize = (0..n)
            .map(|i| u16::from_le_bytes([lens[2 * i], lens[2 * i + 1]]) as usize)
            .sum();
        let end = HEADER_LEN + 2 * n + sum;
        if end < len {
            return Err("old-format event: parameter lengths do not add up to its length".into());
        }
        if end == len {
            out[16..20].copy_from_slice(&(len as u32).to_le_bytes());
            out[22..26].copy_from_slice(&(n as u32).to_le_bytes());
            return Ok(());
        }
    }
    Err("old-format event: no parameter count matches its length".into())
}
