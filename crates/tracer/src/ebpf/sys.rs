//! The `bpf(2)` calls the backend needs, over libc: maps, program load,
//! raw tracepoint attach, and the ring buffer's shared pages.

use super::asm::Insn;
use crate::Error;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

const MAP_CREATE: i32 = 0;
const MAP_LOOKUP_ELEM: i32 = 1;
const MAP_UPDATE_ELEM: i32 = 2;
const MAP_DELETE_ELEM: i32 = 3;
const PROG_LOAD: i32 = 5;
const RAW_TRACEPOINT_OPEN: i32 = 17;

/// Map types used here.
pub const MAP_HASH: u32 = 1;
/// Array map.
pub const MAP_ARRAY: u32 = 2;
/// Per-CPU array map.
pub const MAP_PERCPU_ARRAY: u32 = 6;
/// Ring buffer.
pub const MAP_RINGBUF: u32 = 27;
const PROG_RAW_TRACEPOINT: u32 = 17;

/// The `union bpf_attr` as bytes; every command fills the fields it uses
/// and leaves the rest zero, which the kernel requires.
struct Attr([u8; 128]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 128])
    }
    fn u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn name(&mut self, off: usize, name: &str) -> &mut Self {
        let n = name.len().min(15);
        self.0[off..off + n].copy_from_slice(&name.as_bytes()[..n]);
        self
    }
}

fn bpf(cmd: i32, attr: &mut Attr) -> std::io::Result<i64> {
    // SAFETY: `attr` is a live, zero-initialized 128-byte buffer laid out
    // as `union bpf_attr` for `cmd`; any pointers stored in it point to
    // buffers the caller keeps alive for the duration of the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.0.as_mut_ptr(),
            attr.0.len() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn fd_from(r: i64) -> OwnedFd {
    // SAFETY: `r` is a file descriptor the kernel just returned to us and
    // nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(r as RawFd) }
}

/// `BPF_F_NO_PREALLOC`: hash map entries allocated on update, so a large
/// `max_entries` costs nothing at start.
pub const NO_PREALLOC: u32 = 1;

/// A BPF map, closed on drop.
#[derive(Debug)]
pub struct Map {
    fd: OwnedFd,
    key_size: usize,
    value_size: usize,
    max_entries: usize,
}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory effects.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl Map {
    /// Creates a map.
    pub fn create(
        kind: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        name: &str,
    ) -> Result<Map, Error> {
        Map::create_with(kind, key_size, value_size, max_entries, 0, name)
    }

    /// Creates a map with `map_flags` (e.g. [`NO_PREALLOC`]).
    pub fn create_with(
        kind: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        flags: u32,
        name: &str,
    ) -> Result<Map, Error> {
        let mut a = Attr::new();
        a.u32(0, kind)
            .u32(4, key_size)
            .u32(8, value_size)
            .u32(12, max_entries)
            .u32(16, flags)
            .name(28, name);
        let r = bpf(MAP_CREATE, &mut a).map_err(|source| Error::Os {
            what: "bpf(BPF_MAP_CREATE)",
            source,
        })?;
        Ok(Map {
            fd: fd_from(r),
            key_size: key_size as usize,
            value_size: value_size as usize,
            max_entries: max_entries as usize,
        })
    }

    /// The map's descriptor, for `load_map` in programs.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Sets `key` to `value` (sizes must match the map's).
    pub fn update(&self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        assert!(key.len() == self.key_size && value.len() == self.value_size);
        let mut a = Attr::new();
        a.u32(0, self.fd() as u32)
            .u64(8, key.as_ptr() as u64)
            .u64(16, value.as_ptr() as u64);
        bpf(MAP_UPDATE_ELEM, &mut a).map_err(|source| Error::Os {
            what: "bpf(BPF_MAP_UPDATE_ELEM)",
            source,
        })?;
        Ok(())
    }

    /// Reads `key` into `value`; false when absent.
    pub fn lookup(&self, key: &[u8], value: &mut [u8]) -> bool {
        assert!(key.len() == self.key_size && value.len() >= self.value_size);
        let mut a = Attr::new();
        a.u32(0, self.fd() as u32)
            .u64(8, key.as_ptr() as u64)
            .u64(16, value.as_mut_ptr() as u64);
        bpf(MAP_LOOKUP_ELEM, &mut a).is_ok()
    }

    /// Removes `key`; absent keys are fine.
    pub fn delete(&self, key: &[u8]) {
        assert!(key.len() == self.key_size);
        let mut a = Attr::new();
        a.u32(0, self.fd() as u32).u64(8, key.as_ptr() as u64);
        let _ = bpf(MAP_DELETE_ELEM, &mut a);
    }
}

/// Loads a raw tracepoint program; on a verifier rejection the error
/// carries the end of the verifier's log.
pub fn load_program(name: &str, insns: &[Insn]) -> Result<OwnedFd, Error> {
    let license = b"GPL\0";
    let try_load = |log: &mut Vec<u8>| {
        let mut a = Attr::new();
        a.u32(0, PROG_RAW_TRACEPOINT)
            .u32(4, insns.len() as u32)
            .u64(8, insns.as_ptr() as u64)
            .u64(16, license.as_ptr() as u64)
            .name(48, name);
        if !log.is_empty() {
            a.u32(24, 1)
                .u32(28, log.len() as u32)
                .u64(32, log.as_mut_ptr() as u64);
        }
        bpf(PROG_LOAD, &mut a)
    };
    match try_load(&mut Vec::new()) {
        Ok(fd) => Ok(fd_from(fd)),
        Err(first) => {
            let mut log = vec![0u8; 1 << 22];
            let _ = try_load(&mut log);
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            let tail: Vec<&str> = text.lines().rev().take(12).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(Error::Os {
                what: "bpf(BPF_PROG_LOAD)",
                source: std::io::Error::new(
                    first.kind(),
                    format!("{first}; verifier: {}", tail.join(" | ")),
                ),
            })
        }
    }
}

/// Attaches `prog` to the raw tracepoint `name`; detached when the
/// returned descriptor closes.
pub fn attach_raw_tracepoint(name: &str, prog: &OwnedFd) -> Result<OwnedFd, Error> {
    let cname = std::ffi::CString::new(name).expect("tracepoint names have no NUL");
    let mut a = Attr::new();
    a.u64(0, cname.as_ptr() as u64)
        .u32(8, prog.as_raw_fd() as u32);
    let r = bpf(RAW_TRACEPOINT_OPEN, &mut a).map_err(|source| Error::Os {
        what: "bpf(BPF_RAW_TRACEPOINT_OPEN)",
        source,
    })?;
    Ok(fd_from(r))
}

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
