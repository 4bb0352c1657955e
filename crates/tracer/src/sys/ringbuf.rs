//! The consumer side of a BPF ring buffer: two shared mappings of the map
//! and the lock-free protocol the kernel documents for reading them.

use super::bpf::{Map, MAP_RINGBUF};
use super::page_size;
use crate::Error;
use std::sync::atomic::{AtomicU64, Ordering};

/// The consumer side of a `BPF_MAP_TYPE_RINGBUF`: the consumer position
/// page (ours to write) and the producer page plus the data area, mapped
/// twice back to back by the kernel so a record never wraps.
pub struct RingBuf {
    map: Map,
    cons: *mut u8,
    prod: *mut u8,
    page: usize,
    size: usize,
}
impl RingBuf {
    /// Creates the ring buffer map of `size` bytes (rounded up to a power
    /// of two, at least a page): the slow part, the kernel allocates and
    /// clears every page, so callers may run it on another thread.
    pub fn create(size: usize) -> Result<Map, Error> {
        let size = size.max(page_size()).checked_next_power_of_two();
        let size = size.and_then(|s| u32::try_from(s).ok()).ok_or(Error::Os {
            what: "bpf(BPF_MAP_CREATE)",
            source: std::io::Error::from_raw_os_error(libc::E2BIG),
        })?;
        Map::create(MAP_RINGBUF, 0, 0, size, "rh_events")
    }

    /// Maps a ring buffer map made by [`RingBuf::create`].
    pub fn from_map(map: Map) -> Result<RingBuf, Error> {
        let page = page_size();
        let size = map.max_entries;
        // SAFETY: mapping the map fd at offset 0 for one page is how the
        // kernel exposes the consumer position; the mapping is checked for
        // failure and unmapped in Drop.
        let cons = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                map.fd(),
                0,
            )
        };
        if cons == libc::MAP_FAILED {
            return Err(Error::os("mmap(ring buffer consumer page)"));
        }
        // SAFETY: the producer page and the doubly mapped data area start
        // one page in; the kernel only allows read-only mappings there.
        let prod = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page + 2 * size,
                libc::PROT_READ,
                libc::MAP_SHARED,
                map.fd(),
                page as libc::off_t,
            )
        };
        if prod == libc::MAP_FAILED {
            let e = Error::os("mmap(ring buffer data)");
            // SAFETY: `cons` was mapped above with this length.
            unsafe { libc::munmap(cons, page) };
            return Err(e);
        }
        Ok(RingBuf {
            map,
            cons: cons.cast(),
            prod: prod.cast(),
            page,
            size,
        })
    }

    /// The map, for programs to write into.
    pub fn map(&self) -> &Map {
        &self.map
    }

    fn cons_pos(&self) -> &AtomicU64 {
        // SAFETY: the consumer page is mapped for the RingBuf's lifetime,
        // page aligned, and the kernel reads it as an unsigned long.
        unsafe { &*(self.cons as *const AtomicU64) }
    }

    fn prod_pos(&self) -> &AtomicU64 {
        // SAFETY: as above for the producer page, which the kernel
        // updates with release semantics.
        unsafe { &*(self.prod as *const AtomicU64) }
    }

    /// Hands every committed record to `f`, in order, and returns how many
    /// there were. Discarded records are skipped; a record still being
    /// written ends the batch.
    pub fn drain(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut cons = self.cons_pos().load(Ordering::Acquire);
        let mut n = 0;
        // Bounded, so a tracee that writes as fast as we read still lets
        // the caller check for Ctrl-C and the end of the trace.
        while n < 65536 {
            let prod = self.prod_pos().load(Ordering::Acquire);
            if cons >= prod {
                break;
            }
            let off = (cons as usize) & (self.size - 1);
            // SAFETY: `off` is inside the data area, which starts one page
            // after the producer page; the 8-byte header is in bounds
            // because records are 8-aligned. The kernel writes the length
            // word with release semantics, read here with acquire.
            let hdr = unsafe {
                &*(self.prod.add(self.page + off) as *const std::sync::atomic::AtomicU32)
            };
            let len_word = hdr.load(Ordering::Acquire);
            if len_word & (1 << 31) != 0 {
                break; // busy: still being written
            }
            let len = (len_word & !(3 << 30)) as usize;
            if len_word & (1 << 30) == 0 && len <= self.size {
                // SAFETY: the record (header + len bytes) lies within the
                // data area's second mapping, which repeats the first, so
                // it is contiguous even when it wraps the ring.
                let data =
                    unsafe { std::slice::from_raw_parts(self.prod.add(self.page + off + 8), len) };
                f(data);
                n += 1;
            }
            cons += ((len + 8 + 7) & !7) as u64;
            self.cons_pos().store(cons, Ordering::Release);
        }
        n
    }
}

impl Drop for RingBuf {
    fn drop(&mut self) {
        // SAFETY: both regions were mapped in `new` with these lengths and
        // no reference into them outlives `self`.
        unsafe {
            libc::munmap(self.cons.cast(), self.page);
            libc::munmap(self.prod.cast(), self.page + 2 * self.size);
        }
    }
}
