//! A process that is not there: registers and memory set by a test, so
//! decoding and unwinding are tested without root or ptrace.

use crate::{Error, Registers, Thread, X86_64Regs};

/// A stopped thread made of plain data.
#[derive(Debug, Clone)]
pub struct FakeThread {
    /// Thread id reported by [`Thread::tid`].
    pub tid: i32,
    /// Process id reported by [`Thread::pid`].
    pub pid: i32,
    /// Registers reported by [`Thread::registers`].
    pub registers: Registers,
    regions: Vec<(u64, Vec<u8>)>,
}

impl FakeThread {
    /// A thread with zeroed x86-64 registers and no memory.
    pub fn new(pid: i32, tid: i32) -> Self {
        FakeThread {
            tid,
            pid,
            registers: Registers::X86_64(X86_64Regs::default()),
            regions: Vec::new(),
        }
    }

    /// Maps `bytes` at `addr` (regions must not overlap).
    pub fn map(&mut self, addr: u64, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.regions.push((addr, bytes.into()));
        self
    }
}

impl Thread for FakeThread {
    fn tid(&self) -> i32 {
        self.tid
    }

    fn pid(&self) -> i32 {
        self.pid
    }

    fn registers(&self) -> Result<Registers, Error> {
        Ok(self.registers)
    }

    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        for (start, bytes) in &self.regions {
            let Some(offset) = addr.checked_sub(*start) else {
                continue;
            };
            let Ok(offset) = usize::try_from(offset) else {
                continue;
            };
            if let Some(avail) = bytes.get(offset..).filter(|b| !b.is_empty()) {
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                return Ok(n);
            }
        }
        Err(Error::Memory { addr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_cut_at_the_end_of_a_region() {
        let mut t = FakeThread::new(1, 2);
        t.map(0x1000, b"hello".to_vec());
        let mut buf = [0u8; 8];
        assert_eq!(t.read_memory(0x1001, &mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"ello");
        assert!(t.read_memory(0x2000, &mut buf).is_err());
        assert!(t.read_memory(0xfff, &mut buf).is_err());
        assert_eq!(t.tid(), 2);
        assert_eq!(t.pid(), 1);
    }
}
