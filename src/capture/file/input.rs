//! A read buffer that hands out borrowed windows of a byte stream, so blocks are decoded in
//! place without a copy per event. It grows only as far as the data that actually arrives,
//! so a hostile length field cannot make it allocate more than the stream holds (plus the
//! reader's own limit).
//!
//! The stream is read either on the caller's thread or, ahead of the caller, on a thread of
//! its own ([`Input::read_ahead`]): the kernel's copy of a file into memory, or the gzip
//! decompression, then runs on another core while the caller decodes. The chunks read ahead
//! are handed over whole, not copied again: each keeps room in front for the unconsumed end
//! of the one before, so a block cut by a chunk boundary joins without moving the chunk.
//!
//! Files are read, not mapped: a mapped file that another program truncates while it is
//! read (a capture being rotated, say) makes the kernel kill the reader with SIGBUS, and
//! mapping measured no faster here than reading a file in the page cache.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

const CHUNK: usize = 1024 * 1024;

/// The size of the first chunk read ahead; the next ones double up to [`CHUNK`].
const FIRST_CHUNK: usize = 64 * 1024;

/// Room kept in front of each chunk read ahead for the unconsumed end of the one before
/// (about the largest ordinary event block, 64 KiB plus its block header); a longer end is
/// joined by copying.
const HEADROOM: usize = 64 * 1024;

/// Reads land at addresses aligned to this: the kernel's copy into a misaligned buffer
/// measured four times slower (0.20 against 0.05 s for 270 MiB from the page cache).
const ALIGN: usize = 64;

/// Chunks in circulation between the reading thread and the caller: one being decoded, one
/// being read, one ready.
const CHUNKS: usize = 3;

/// Where the bytes come from.
enum Feed {
    /// Read on the caller's thread, into the buffer.
    Direct(Box<dyn Read + Send>),
    /// Read ahead by a thread of its own, which sends filled chunks and gets the spent ones
    /// back. Dropping the `Input` closes both channels, and the thread ends at its next
    /// send or receive.
    Ahead {
        filled: Receiver<Filled>,
        spent: SyncSender<Vec<u8>>,
    },
}

/// What the reading thread sends.
enum Filled {
    /// A chunk whose bytes are `buf[start..start + len]`, with at least [`HEADROOM`] bytes
    /// before `start`.
    Data {
        buf: Vec<u8>,
        start: usize,
        len: usize,
    },
    /// The end of the stream.
    End,
    /// The stream failed; the thread has stopped.
    Failed(io::Error),
}

pub(crate) struct Input {
    feed: Feed,
    buf: Vec<u8>,
    /// The unconsumed bytes at hand are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// Stream offset of `buf[pos]`.
    offset: u64,
    eof: bool,
}

impl Input {
    /// Reads `inner` through a buffer, on the caller's thread.
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        let buf = vec![0; CHUNK];
        let start = aligned(&buf, 0);
        Input {
            feed: Feed::Direct(inner),
            buf,
            pos: start,
            end: start,
            offset: 0,
            eof: false,
        }
    }

    /// Reads `inner` on a thread of its own, up to [`CHUNKS`] chunks ahead of the caller.
    /// Fails only if the thread cannot be started.
    pub(crate) fn read_ahead(mut inner: Box<dyn Read + Send>) -> io::Result<Self> {
        let (filled_tx, filled) = sync_channel(CHUNKS);
        let (spent, spent_rx) = sync_channel::<Vec<u8>>(CHUNKS);
        std::thread::Builder::new()
            .name("peregrine-read".into())
            .spawn(move || {
                let mut fresh = CHUNKS;
                // Chunks start small and double up to `CHUNK` as the stream proves long,
                // so that a small file costs small buffers.
                let mut size = FIRST_CHUNK;
                loop {
                    let mut buf = if fresh > 0 {
                        fresh -= 1;
                        Vec::new()
                    } else {
                        match spent_rx.recv() {
                            Ok(b) => b,
                            Err(_) => return, // the Input is gone
                        }
                    };
                    // A chunk too small for this size (new, or from the start of the
                    // stream), or one grown to join a long block, is allocated anew.
                    if buf.len() < ALIGN + HEADROOM + size || buf.len() > ALIGN + HEADROOM + CHUNK {
                        buf = vec![0; ALIGN + HEADROOM + size];
                    }
                    let start = aligned(&buf, HEADROOM);
                    let msg = loop {
                        match inner.read(&mut buf[start..start + size]) {
                            Ok(0) => break Filled::End,
                            Ok(len) => break Filled::Data { buf, start, len },
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Filled::Failed(e),
                        }
                    };
                    size = (size * 2).min(CHUNK);
                    let last = !matches!(msg, Filled::Data { .. });
                    if filled_tx.send(msg).is_err() || last {
                        return;
                    }
                }
            })?;
        Ok(Input {
            feed: Feed::Ahead { filled, spent },
            buf: Vec::new(),
            pos: 0,
            end: 0,
            offset: 0,
            eof: false,
        })
    }

    /// Stream offset of the next unconsumed byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes at least `n` bytes available if the stream has them; returns how many are
    /// available (fewer than `n` only at end of stream).
    #[inline]
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<usize> {
        let have = self.end - self.pos;
        if have >= n || self.eof {
            return Ok(have);
        }
        self.fill_more(n)
    }

    #[inline(never)]
    fn fill_more(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.pos < n && !self.eof {
            match &mut self.feed {
                Feed::Direct(inner) => {
                    let buf = &mut self.buf;
                    let tail = self.end - self.pos;
                    if self.pos >= ALIGN
                        && (buf.len() - self.end < CHUNK / 2 || buf.len() - self.pos < n)
                    {
                        // Little room left: move the unconsumed bytes to the front, so that
                        // they end where a read lands aligned.
                        let to = aligned(buf, tail) - tail;
                        buf.copy_within(self.pos..self.end, to);
                        self.pos = to;
                        self.end = to + tail;
                    }
                    if buf.len() - self.end < ALIGN {
                        // Full and still short: double, so the buffer stays within twice
                        // the data that really arrived.
                        let grown = buf.len().saturating_mul(2).min(self.pos + n + ALIGN);
                        buf.resize(grown, 0);
                    }
                    // Whole multiples of the alignment, so that the next read (of a file,
                    // which fills what is asked) lands aligned as well.
                    let room = buf.len() - self.end;
                    let ask = if room >= 2 * ALIGN {
                        room / ALIGN * ALIGN
                    } else {
                        room
                    };
                    match inner.read(&mut buf[self.end..self.end + ask]) {
                        Ok(0) => self.eof = true,
                        Ok(k) => self.end += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Feed::Ahead { filled, spent } => {
                    // A closed channel means the thread stopped after reporting the end or
                    // an error: the stream ends there.
                    match filled.recv().unwrap_or(Filled::End) {
                        Filled::End => self.eof = true,
                        Filled::Failed(e) => {
                            self.eof = true;
                            return Err(e);
                        }
                        Filled::Data {
                            buf: mut next,
                            start,
                            len,
                        } => {
                            let tail = self.end - self.pos;
                            let spent_buf = if tail <= start {
                                // The usual case: the end of this chunk goes in front of
                                // the next, which becomes the buffer.
                                next[start - tail..start]
                                    .copy_from_slice(&self.buf[self.pos..self.end]);
                                self.pos = start - tail;
                                self.end = start + len;
                                std::mem::replace(&mut self.buf, next)
                            } else {
                                // A long block crosses: gather it in this buffer.
                                self.buf.copy_within(self.pos..self.end, 0);
                                self.buf.truncate(tail);
                                self.buf.extend_from_slice(&next[start..start + len]);
                                self.pos = 0;
                                self.end = self.buf.len();
                                next
                            };
                            // The buffer the caller started with is not one of the chunks.
                            if spent_buf.capacity() > 0 {
                                // Never blocks: the channel holds as many as circulate.
                                let _ = spent.try_send(spent_buf);
                            }
                        }
                    }
                }
            }
        }
        Ok(self.end - self.pos)
    }

    /// The available bytes (after a `fill`).
    #[inline]
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Consumes `n` available bytes.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
        self.offset += n as u64;
    }
}

/// The first index of `buf` at or after `at` whose address is aligned to [`ALIGN`] (at
/// most `at + ALIGN - 1`; callers keep that much spare room).
fn aligned(buf: &[u8], at: usize) -> usize {
    let skew = buf.as_ptr().wrapping_add(at).align_offset(ALIGN);
    at + if skew < ALIGN { skew } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out at most `step` bytes per read, then fails if `fail` is set.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() && self.fail {
                return Err(io::Error::other("the disk went away"));
            }
            let k = out.len().min(self.step).min(self.data.len() - self.at);
            out[..k].copy_from_slice(&self.data[self.at..self.at + k]);
            self.at += k;
            Ok(k)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Takes the stream in windows of the given sizes (cycled), checking every byte.
    fn read_in_windows(input: &mut Input, data: &[u8], windows: &[usize]) -> io::Result<()> {
        let mut at = 0;
        for &w in windows.iter().cycle() {
            let have = input.fill(w)?;
            assert_eq!(input.offset(), at as u64);
            let want = w.min(data.len() - at);
            assert!(have >= want, "{have} bytes at {at}, wanted {want}");
            assert_eq!(&input.available()[..want], &data[at..at + want]);
            if want == 0 {
                return Ok(());
            }
            // Consume only part of a window, so that windows overlap chunk boundaries.
            let used = want.div_ceil(2).max(1);
            input.consume(used);
            at += used;
        }
        Ok(())
    }

    #[test]
    fn read_ahead_hands_out_the_stream_unchanged_across_chunk_boundaries() {
        // Small reads (a pipe), large reads (a file), windows short and longer than the
        // headroom and than a chunk.
        let data = pattern(3 * CHUNK + 12_345);
        for step in [4096, 100_000, CHUNK] {
            for windows in [&[8, 300, 26][..], &[HEADROOM + 10, 8], &[2 * CHUNK + 3, 40]] {
                let src = Trickle {
                    data: data.clone(),
                    at: 0,
                    step,
                    fail: false,
                };
                let mut ahead = Input::read_ahead(Box::new(src)).unwrap();
                read_in_windows(&mut ahead, &data, windows).unwrap();
                let mut direct = Input::new(Box::new(std::io::Cursor::new(data.clone())));
                read_in_windows(&mut direct, &data, windows).unwrap();
            }
        }
    }

    #[test]
    fn read_ahead_reports_the_streams_error_after_its_data() {
        let data = pattern(CHUNK + 999);
        let src = Trickle {
            data: data.clone(),
            at: 0,
            step: 70_000,
            fail: true,
        };
        let mut input = Input::read_ahead(Box::new(src)).unwrap();
        let err = read_in_windows(&mut input, &data, &[1000]).unwrap_err();
        assert_eq!(err.to_string(), "the disk went away");
        // Everything before the failure was handed out, and it stays at hand.
        assert_eq!(
            input.offset() + input.available().len() as u64,
            data.len() as u64
        );
        assert_eq!(input.fill(1).unwrap(), input.available().len());
    }
}
