//! A read-only private mapping of a kernel file, for the kernel's BTF:
//! sysfs hands `/sys/kernel/btf/vmlinux` out one page per `read`, some
//! 1,300 calls and 13-40 ms for its 5 MB on every eBPF start, where one
//! `mmap` costs a fraction of a millisecond (Linux 6.16 and later allow
//! it; older kernels refuse and the caller reads the file instead).

use std::os::fd::AsRawFd;
use std::path::Path;

/// The bytes of a file, mapped read-only and private until dropped.
pub(crate) struct Mapped {
    ptr: *const u8,
    len: usize,
}

impl Mapped {
    /// Maps the whole of `path`; `None` when it cannot be opened, is
    /// empty, or the kernel refuses to map it.
    pub(crate) fn open(path: &Path) -> Option<Mapped> {
        let file = std::fs::File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh read-only private mapping of an open file,
        // checked for failure; the kernel's BTF never changes while the
        // system runs, so the bytes stay what they were when mapped.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then(|| Mapped {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes are mapped readable at `ptr` until drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `open`; no slice
        // from `deref` outlives `self`.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}
