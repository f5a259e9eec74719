//! A reader of one BPF ring buffer, over the kernel's documented memory layout: a consumer
//! page (read-write) holding the consumer position, then, read-only, a producer page holding
//! the producer position followed by the data area mapped twice in a row, so that a record
//! that wraps around the end reads as one contiguous slice. Records are an 8-byte header
//! (length with busy and discard bits, page offset) and the sample, padded to 8 bytes.
//!
//! The reader peeks the head record in place; it stays valid (the kernel does not reuse the
//! space) until the consumer position moves past it, which [`Ring::consume`] and
//! [`Ring::release`] do only for records already consumed. Space goes back to the kernel an
//! eighth of the ring at a time, and all of it whenever the reader finds every ring empty:
//! the producer can fill at least seven eighths of a ring however late the reader is.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

const BUSY_BIT: u32 = 1 << 31;
const DISCARD_BIT: u32 = 1 << 30;
const HDR_LEN: u64 = 8;

/// One mapped ring buffer.
pub struct Ring {
    consumer: NonNull<u8>,
    producer: NonNull<u8>,
    page: usize,
    data_size: usize,
    /// Our consumer position: the head record's header.
    pos: u64,
    /// The producer position last read: records below it are complete or busy. Read again
    /// only when `pos` reaches it, so the cache line the producer writes for every event is
    /// not pulled over at every event.
    prod: u64,
    /// The consumer position last stored for the kernel. Space is handed back in steps of
    /// `release_step` bytes, or all of it when the reader goes idle ([`Ring::release`]),
    /// rather than at every record, which would bounce that cache line to the producer.
    released: u64,
    release_step: u64,
    /// The head record found by [`Ring::peek`]: offset of its sample in the producer
    /// mapping, the sample's length, and the record's full length.
    head: Option<(usize, usize, u64)>,
}

// SAFETY: the mappings belong to this value alone; the kernel writes them concurrently, which
// every access handles with atomics. Moving the reader to another thread is sound.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps the ring buffer map `fd` of `data_size` bytes (its max_entries: a power of two,
    /// a multiple of the page size).
    pub fn map(fd: BorrowedFd<'_>, data_size: usize) -> io::Result<Ring> {
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
            .map_err(|_| io::Error::other("page size unknown"))?;
        if !data_size.is_power_of_two() || !data_size.is_multiple_of(page) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ring size must be a power of two and a multiple of the page size",
            ));
        }
        // SAFETY: a fresh shared mapping of the map's consumer page; the kernel checks the
        // length and offset against the map and fails otherwise, which is handled.
        let consumer = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if consumer == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above, the producer page and the data area twice, read-only.
        let producer = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page + 2 * data_size,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                page as libc::off_t,
            )
        };
        if producer == libc::MAP_FAILED {
            let err = io::Error::last_os_error();
            // SAFETY: unmaps exactly the mapping made above.
            unsafe { libc::munmap(consumer, page) };
            return Err(err);
        }
        let consumer = NonNull::new(consumer.cast::<u8>()).expect("mmap never returns null");
        let producer = NonNull::new(producer.cast::<u8>()).expect("mmap never returns null");
        let mut ring = Ring {
            consumer,
            producer,
            page,
            data_size,
            pos: 0,
            prod: 0,
            released: 0,
            release_step: (data_size / 8) as u64,
            head: None,
        };
        ring.pos = ring.consumer_pos().load(Ordering::Acquire);
        ring.released = ring.pos;
        ring.prod = ring.pos;
        Ok(ring)
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the consumer page is mapped for the life of `self`, page-aligned, and the
        // kernel's consumer position is the u64 at its start.
        unsafe { &*self.consumer.as_ptr().cast::<AtomicU64>() }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: as above, for the producer position at the start of the producer page.
        unsafe { &*self.producer.as_ptr().cast::<AtomicU64>() }
    }

    /// The head record's sample, if one is complete; discarded records are skipped. The
    /// slice stays valid until [`Ring::consume`].
    pub fn peek(&mut self) -> Option<&[u8]> {
        while self.head.is_none() {
            if self.pos >= self.prod {
                self.prod = self.producer_pos().load(Ordering::Acquire);
                if self.pos >= self.prod {
                    return None;
                }
            }
            let off = self.page + ((self.pos as usize) & (self.data_size - 1));
            // SAFETY: `off` is inside the data area, which starts one page into the producer
            // mapping; headers are 8-byte aligned, so the u32 length is aligned. The kernel
            // publishes the length with a release store.
            let len = unsafe { &*self.producer.as_ptr().add(off).cast::<AtomicU32>() }
                .load(Ordering::Acquire);
            if len & BUSY_BIT != 0 {
                return None;
            }
            let sample = (len & !(BUSY_BIT | DISCARD_BIT)) as usize;
            let total = (sample as u64 + HDR_LEN + 7) & !7;
            if len & DISCARD_BIT != 0 || sample > self.data_size {
                self.pos += total;
                continue;
            }
            self.head = Some((off + HDR_LEN as usize, sample, total));
        }
        self.head()
    }

    /// The head record's sample, as [`Ring::peek`] found it.
    pub fn head(&self) -> Option<&[u8]> {
        let (off, len, _) = self.head?;
        // SAFETY: the sample follows its header and, the data area being mapped twice, is
        // contiguous even when it wraps; the kernel does not write it again until the
        // consumer position passes it, which only `consume` and `release` (taking
        // `&mut self`) do, and only past records already consumed.
        Some(unsafe { std::slice::from_raw_parts(self.producer.as_ptr().add(off), len) })
    }

    /// Moves past the head record; its space goes back to the kernel with the next step.
    pub fn consume(&mut self) {
        if let Some((_, _, total)) = self.head.take() {
            self.pos += total;
            if self.pos - self.released >= self.release_step {
                self.release();
            }
        }
    }

    /// Hands the space of every consumed record back to the kernel.
    pub fn release(&mut self) {
        if self.released != self.pos {
            self.released = self.pos;
            self.consumer_pos().store(self.pos, Ordering::Release);
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the two mappings made in `map`, which nothing borrows any
        // more (peeked slices borrow `self`).
        unsafe {
            libc::munmap(self.consumer.as_ptr().cast(), self.page);
            libc::munmap(
                self.producer.as_ptr().cast(),
                self.page + 2 * self.data_size,
            );
        }
    }
}
