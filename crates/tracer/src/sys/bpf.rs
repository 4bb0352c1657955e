//! The `bpf(2)` calls the eBPF backend needs, over libc: maps, program
//! load, raw tracepoint attach.

use crate::ebpf::asm::Insn;
use crate::Error;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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
    pub(super) max_entries: usize,
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
