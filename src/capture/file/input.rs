//! A read buffer that hands out borrowed windows of a byte stream, so blocks are decoded in
//! place without a copy per event. It grows only as far as the data that actually arrives,
//! so a hostile length field cannot make it allocate more than the stream holds (plus the
//! reader's own limit).
//!
//! Files are read, not mapped: a mapped file that another program truncates while it is
//! read (a capture being rotated, say) makes the kernel kill the reader with SIGBUS, and
//! mapping measured no faster here than reading a file in the page cache.

use std::io::{self, Read};

const CHUNK: usize = 1024 * 1024;

pub(crate) struct Input {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// The unconsumed bytes at hand are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// Stream offset of `buf[pos]`.
    offset: u64,
    eof: bool,
}

impl Input {
    /// Reads `inner` through a buffer.
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        Input {
            inner,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
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
        let Input { inner, buf, .. } = self;
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
