//! A reader of one BPF ring buffer, over the kernel's documented memory layout: a consumer
//! page (read-write) holding the consumer position, then, read-only, a producer page holding
//! the producer position followed by the data area mapped twice in a row, so that a record
//! that wraps around the end reads as one contiguous slice. Records are an 8-byte header
//! (length with busy and discard bits, page offset) and the sample, padded to 8 bytes.
//!
//! The reader peeks the head record in place; it stays valid (the kernel does not reuse the
//! space) until [`Ring::consume`] moves the consumer position past it.

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
    /// Our consumer position (the kernel's copy is updated on consume).
    pos: u64,
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
        };
        ring.pos = ring.consumer_pos().load(Ordering::Acquire);
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

    /// The record at our consumer position: `None` if there is none or it is still being
    /// written, else its sample, its full length (header and padding) and whether it was
    /// discarded.
    fn record(&self) -> Option<(&[u8], u64, bool)> {
        let prod = self.producer_pos().load(Ordering::Acquire);
        if self.pos >= prod {
            return None;
        }
        let off = (self.pos as usize) & (self.data_size - 1);
        // SAFETY: `off` is inside the data area, which starts one page into the producer
        // mapping; headers are 8-byte aligned, so the u32 length is aligned.
        let hdr = unsafe { self.producer.as_ptr().add(self.page + off) };
        // SAFETY: see above; the kernel publishes the length with a release store.
        let len = unsafe { &*hdr.cast::<AtomicU32>() }.load(Ordering::Acquire);
        if len & BUSY_BIT != 0 {
            return None;
        }
        let sample = u64::from(len & !(BUSY_BIT | DISCARD_BIT));
        let total = (sample + HDR_LEN + 7) & !7;
        let discarded = len & DISCARD_BIT != 0 || sample as usize > self.data_size;
        // SAFETY: the sample follows its header and, the data area being mapped twice, is
        // contiguous even when it wraps; the kernel does not write it again until the
        // consumer position passes it, which only `consume` (taking `&mut self`) does.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                hdr.add(HDR_LEN as usize),
                if discarded { 0 } else { sample as usize },
            )
        };
        Some((bytes, total, discarded))
    }

    /// The head record's sample, if one is complete; discarded records are skipped (and
    /// released). The slice stays valid until [`Ring::consume`].
    pub fn peek(&mut self) -> Option<&[u8]> {
        loop {
            let (_, total, discarded) = self.record()?;
            if !discarded {
                break;
            }
            self.pos += total;
            self.consumer_pos().store(self.pos, Ordering::Release);
        }
        self.record().map(|(b, _, _)| b)
    }

    /// The head record's sample, as [`Ring::peek`] found it.
    pub fn head(&self) -> Option<&[u8]> {
        self.record().filter(|r| !r.2).map(|r| r.0)
    }

    /// Releases the head record to the kernel.
    pub fn consume(&mut self) {
        if let Some((_, total, _)) = self.record() {
            self.pos += total;
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
