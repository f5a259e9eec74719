//! A read buffer that hands out borrowed windows of a byte stream, so blocks are decoded in
//! place without a copy per event.
//!
//! Two kinds of input sit behind it:
//! - a stream (a pipe, a gzip decoder, anything `Read`), read into a buffer that grows only
//!   as far as the data that actually arrives, so a hostile length field cannot make it
//!   allocate more than the stream holds (plus the reader's own limit);
//! - a plain regular file, mapped into memory a window at a time (8 MiB, or the block being
//!   read if it is larger), so the bytes are read where the page cache holds them, without
//!   a copy into a buffer. Only one window is mapped at a time, so memory stays constant
//!   however large the file is.
//!
//! A mapped file that another process truncates while it is read could make the kernel
//! raise SIGBUS on a page past the new end. The reader narrows that to nothing it can
//! avoid: it maps regular files only (pipes, devices and gzip files are streamed), it reads
//! the file's length again before mapping each window and never maps past it (a file that
//! shrank ends there, with the same truncation error as a stream; one that grew is read
//! further), and a window is mapped for the few milliseconds it takes to read 8 MiB. Only a
//! truncation that lands inside the very window being read is exposed, the same exposure
//! as any mmap-based reader; embedders that read files other programs may truncate can
//! stream them instead with `FileReader::new(File::open(path)?)`.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

const CHUNK: usize = 1024 * 1024;
/// Bytes of a mapped file mapped at once (more when one block is larger).
const WINDOW: usize = 8 * 1024 * 1024;

pub(crate) struct Input {
    src: Src,
    /// The unconsumed bytes at hand are `bytes()[pos..end]`.
    pos: usize,
    end: usize,
    /// Stream offset of `bytes()[pos]`.
    offset: u64,
    eof: bool,
}

enum Src {
    Stream {
        inner: Box<dyn Read + Send>,
        buf: Vec<u8>,
    },
    Mapped {
        file: File,
        /// The window of the file mapped now (`None` before the first and after the last).
        map: Option<Mapping>,
        window: usize,
        page: u64,
    },
}

impl Input {
    /// Reads `inner` through a buffer.
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        Input {
            src: Src::Stream {
                inner,
                buf: vec![0; CHUNK],
            },
            pos: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    /// Reads `file` by mapping it, if it is a non-empty regular file that does not start
    /// with the gzip magic and the first window maps; gives the file back otherwise (still
    /// at offset 0), for the caller to stream.
    pub(crate) fn mapped(file: File) -> std::result::Result<Self, File> {
        Self::mapped_with_window(file, WINDOW)
    }

    pub(crate) fn mapped_with_window(file: File, window: usize) -> std::result::Result<Self, File> {
        let Ok(meta) = file.metadata() else {
            return Err(file);
        };
        let mut head = [0u8; 2];
        if !meta.is_file() || meta.len() < 2 || file.read_exact_at(&mut head, 0).is_err() {
            return Err(file);
        }
        if head == [0x1f, 0x8b] {
            return Err(file);
        }
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as u64 } else { 4096 };
        let window = window.max(1);
        let size = meta.len().min(window as u64) as usize;
        let map = match Mapping::new(&file, 0, size) {
            Ok(map) => map,
            Err(_) => return Err(file),
        };
        Ok(Input {
            src: Src::Mapped {
                file,
                map: Some(map),
                window,
                page,
            },
            pos: 0,
            end: size,
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
        let (inner, buf) = match &mut self.src {
            Src::Stream { inner, buf } => (inner, buf),
            Src::Mapped { .. } => {
                self.remap(n)?;
                return Ok(self.end - self.pos);
            }
        };
        while self.end - self.pos < n && !self.eof {
            if buf.len() - self.pos < n {
                // Move the unconsumed bytes to the front, then grow only if still short.
                buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.end == buf.len() {
                // Full and still short: double, so the buffer stays within twice the data
                // that really arrived.
                let grown = buf.len().saturating_mul(2).min(n).max(CHUNK);
                buf.resize(grown, 0);
            }
            match inner.read(&mut buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.pos)
    }

    /// Maps the window that starts at the page holding the next unconsumed byte and covers
    /// at least `n` bytes from it, as far as the file (its length read again now) reaches.
    fn remap(&mut self, n: usize) -> io::Result<()> {
        let Src::Mapped {
            file,
            map,
            window,
            page,
        } = &mut self.src
        else {
            // A stream has no windows.
            return Ok(());
        };
        // Unmap first: at most one window is mapped at any time.
        *map = None;
        let len = file.metadata()?.len();
        let at = self.offset;
        let base = at - at % *page;
        let lead = (at - base) as usize;
        let want = lead.saturating_add(n.max(*window));
        let size = (want as u64).min(len.saturating_sub(base)) as usize;
        if size <= lead {
            // Nothing left past the consumed bytes.
            self.pos = 0;
            self.end = 0;
            self.eof = true;
            return Ok(());
        }
        *map = Some(Mapping::new(file, base, size)?);
        self.pos = lead;
        self.end = size;
        if size - lead < n {
            // The file ends before `n` bytes: as a stream would, stop here.
            self.eof = true;
        }
        Ok(())
    }

    /// The available bytes (after a `fill`).
    #[inline]
    pub(crate) fn available(&self) -> &[u8] {
        let all: &[u8] = match &self.src {
            Src::Stream { buf, .. } => buf,
            Src::Mapped { map, .. } => map.as_ref().map_or(&[], Mapping::bytes),
        };
        &all[self.pos..self.end]
    }

    /// Consumes `n` available bytes.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
        self.offset += n as u64;
    }
}

/// One read-only mapping of part of a file, unmapped on drop.
struct Mapping {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by one `Mapping`; the pointer is only read
// through `bytes`, which borrows the `Mapping`, so moving it to another thread is as safe
// as moving a `Box<[u8]>`.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Maps `len > 0` bytes of `file` from `offset` (a multiple of the page size), all
    /// within the file's current length.
    fn new(file: &File, offset: u64, len: usize) -> io::Result<Mapping> {
        let off = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        // SAFETY: a fresh private read-only mapping at an address the kernel picks: it
        // aliases no Rust object. `len` is non-zero and `offset` page-aligned (the caller's
        // contract; the kernel refuses otherwise and we return the error). POPULATE maps the
        // pages now, so reading the window takes no page faults.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                off,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: ptr as *const u8,
            len,
        })
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live mapping of `len` readable bytes until `self` drops, and
        // nothing writes to it (read-only, private). The bytes are within the file's length
        // as read just before mapping; see the module comment for a file truncated later.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, unmapped once, here; no
        // borrow of `bytes` outlives `self`.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(bytes: &[u8]) -> File {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("peregrine-input-{}-{n}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(bytes).unwrap();
        let f = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    /// Reads everything, asking for `ask` bytes at a time.
    fn drain(input: &mut Input, ask: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let have = input.fill(ask).unwrap();
            if have == 0 {
                return out;
            }
            let take = have.min(ask);
            out.extend_from_slice(&input.available()[..take]);
            input.consume(take);
        }
    }

    #[test]
    fn mapped_windows_give_the_same_bytes_as_a_stream() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for (window, ask) in [(1, 1), (1, 5000), (4096, 8), (4096, 10_000), (1 << 20, 3)] {
            let mut mapped = match Input::mapped_with_window(temp_file(&bytes), window) {
                Ok(i) => i,
                Err(_) => panic!("a regular file maps"),
            };
            let mut stream = Input::new(Box::new(io::Cursor::new(bytes.clone())));
            assert_eq!(drain(&mut mapped, ask), bytes, "window {window}, ask {ask}");
            assert_eq!(drain(&mut stream, ask), bytes);
            assert_eq!(mapped.offset(), bytes.len() as u64);
        }
    }

    #[test]
    fn mapped_input_reports_what_remains_when_asked_for_more() {
        let bytes = vec![5u8; 10_000];
        let mut input = Input::mapped_with_window(temp_file(&bytes), 4096)
            .ok()
            .unwrap();
        assert_eq!(input.fill(9000).unwrap(), 9000);
        input.consume(9000);
        assert_eq!(input.fill(4000).unwrap(), 1000);
        assert_eq!(input.fill(4000).unwrap(), 1000);
        assert_eq!(input.offset(), 9000);
    }

    #[test]
    fn gzip_empty_and_non_regular_files_are_not_mapped() {
        assert!(Input::mapped(temp_file(&[0x1f, 0x8b, 8, 0])).is_err());
        assert!(Input::mapped(temp_file(&[])).is_err());
        if let Ok(null) = File::open("/dev/null") {
            assert!(Input::mapped(null).is_err());
        }
    }
}
