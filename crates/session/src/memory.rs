//! A stopped thread's memory as the syscall decoders and the path runner
//! read it.

use tracer::Thread;

/// Reads tracee memory for the `syscalls` decoders.
pub(crate) struct ThreadMemory<'a>(pub(crate) &'a dyn Thread);

impl syscalls::Memory for ThreadMemory<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        self.0.read_memory(addr, buf).unwrap_or(0)
    }
}

/// One little-endian 64-bit word of the thread's memory.
pub(crate) fn read_word(t: &dyn Thread, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    if t.read_memory(addr, &mut b).ok()? != 8 {
        return None;
    }
    gobin::bytes::u64_le(&b, 0)
}
