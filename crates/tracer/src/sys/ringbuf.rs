//! The consumer side of a BPF ring buffer: two shared mappings of the map
//! and the lock-free protocol the kernel documents for reading them.
//!
//! The kernel offers the data area twice back to back, so that a record
//! that wraps the ring's end reads as one slice, and inserts every page of
//! a mapping at `mmap`: mapped that way, the default 32 MiB ring is 64 MiB
//! of resident memory, most of rabbithole's footprint when it traces a
//! short command. Here the data area is mapped once, and only as far as
//! the producer has written: the address range is reserved up front and
//! filled in chunks as records arrive, so a short trace costs the pages
//! it used and a long one the ring's size. The rare record that wraps the
//! end is copied into a small buffer instead.

use super::bpf::{Map, MAP_RINGBUF};
use super::page_size;
use crate::Error;
use std::sync::atomic::{AtomicU64, Ordering};

/// The consumer side of a `BPF_MAP_TYPE_RINGBUF`: the consumer position
/// page (ours to write) and the producer page plus the data area, mapped
/// once and as far as used.
pub struct RingBuf {
    map: Map,
    cons: *mut u8,
    /// The producer page, followed by the data area's reserved range.
    prod: *mut u8,
    page: usize,
    size: usize,
    /// Bytes of the data area mapped so far, from its start.
    mapped: usize,
    /// A record that wraps the end of the data area, made contiguous.
    wrapped: Vec<u8>,
}

/// How much more of the data area is mapped at a time (fewer `mmap` calls
/// while a busy trace fills the ring).
const MAP_CHUNK: usize = 256 << 10;
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
        // SAFETY: reserves addresses only (no access, no memory); the
        // producer page is then mapped over its start, read-only as the
        // kernel requires, at the map's offset of one page.
        let prod = unsafe {
            let reserved = libc::mmap(
                std::ptr::null_mut(),
                page + size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if reserved == libc::MAP_FAILED {
                reserved
            } else {
                let p = libc::mmap(
                    reserved,
                    page,
                    libc::PROT_READ,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    map.fd(),
                    page as libc::off_t,
                );
                if p == libc::MAP_FAILED {
                    libc::munmap(reserved, page + size);
                }
                p
            }
        };
        if prod == libc::MAP_FAILED {
            let e = Error::os("mmap(ring buffer producer page)");
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
            mapped: 0,
            wrapped: Vec::new(),
        })
    }

    /// Maps the data area up to `end` bytes (a chunk more, at most the
    /// whole area) over the reserved range; false if the kernel refused.
    fn map_data(&mut self, end: usize) -> bool {
        if end <= self.mapped {
            return true;
        }
        let want = end.next_multiple_of(MAP_CHUNK).min(self.size).max(end);
        // SAFETY: the range lies inside the reservation made in
        // `from_map` (page + size bytes), after what is mapped already;
        // MAP_FIXED replaces only our own reserved pages. The file offset
        // is the same position in the map's data area.
        let p = unsafe {
            libc::mmap(
                self.prod.add(self.page + self.mapped).cast(),
                want - self.mapped,
                libc::PROT_READ,
                libc::MAP_SHARED | libc::MAP_FIXED,
                self.map.fd(),
                (self.page + self.page + self.mapped) as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return false;
        }
        self.mapped = want;
        true
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
            // Positions only grow: below `size` the producer has written
            // the area up to `prod`, from then on all of it. A refused
            // mapping leaves the records in the ring (the kernel counts
            // what no longer fits as lost).
            if !self.map_data((prod as usize).min(self.size)) {
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
            if len_word & (1 << 30) == 0 && len + 8 <= self.size {
                // The header is 8-aligned and never wraps; the data after
                // it may (`start` is `size` when the header ends the area).
                let start = off + 8;
                let first = len.min(self.size - start);
                // SAFETY: `start..start + first` and `0..len - first` lie
                // inside the data area, mapped one page after the producer
                // page for the RingBuf's lifetime.
                let data = unsafe {
                    let area = self.prod.add(self.page);
                    let head = std::slice::from_raw_parts(area.add(start), first);
                    if first == len {
                        head
                    } else {
                        self.wrapped.clear();
                        self.wrapped.extend_from_slice(head);
                        self.wrapped
                            .extend_from_slice(std::slice::from_raw_parts(area, len - first));
                        &self.wrapped[..]
                    }
                };
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
        // SAFETY: both regions were mapped in `from_map` with these
        // lengths and no reference into them outlives `self`.
        unsafe {
            libc::munmap(self.cons.cast(), self.page);
            libc::munmap(self.prod.cast(), self.page + self.size);
        }
    }
}
