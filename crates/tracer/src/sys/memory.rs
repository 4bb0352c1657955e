//! Reading another process's memory.

use crate::Error;

/// Reads tracee memory with one `process_vm_readv`, stopping at the first
/// unreadable page (the call returns a short count there).
pub(crate) fn read_memory(pid: i32, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
    if buf.is_empty() {
        return Ok(0);
    }
    let local = [std::io::IoSliceMut::new(buf)];
    let remote = [nix::sys::uio::RemoteIoVec {
        base: addr as usize,
        len: local[0].len(),
    }];
    match nix::sys::uio::process_vm_readv(nix::unistd::Pid::from_raw(pid), &mut { local }, &remote)
    {
        Ok(0) | Err(_) => Err(Error::Memory { addr }),
        Ok(n) => Ok(n),
    }
}
