//! The thread a record describes: registers from the syscall, memory made
//! of the bytes the kernel copied and a stack image rebuilt from the frame
//! records, so decoders and the unwinder read it like a stopped thread.

use super::record::stack_image;
use crate::{Error, Registers, Thread, X86_64Regs};
use std::time::Duration;

/// A traced thread as one record shows it: registers from the syscall,
/// memory made of the captured bytes.
pub struct EventThread {
    pub(super) tid: i32,
    pub(super) pid: i32,
    pub(super) regs: X86_64Regs,
    pub(super) regions: Vec<(u64, Vec<u8>)>,
    /// Read before anything else: a value-result argument as it was at
    /// entry (a larger capture may cover it with its exit value).
    pub(super) prior: Option<(u64, [u8; 4])>,
    /// The kernel's CLOCK_MONOTONIC time of the event being delivered.
    pub(super) time: Option<Duration>,
    /// See [`Thread::stack_key`]; set when the record has a stack.
    pub(super) stack_key: Option<u64>,
    /// What the stack image is made of: SP, the word at SP and the frame
    /// records. The image itself is built on the first read, so events
    /// whose stack is reused (same key) never pay for it.
    pub(super) stack: Option<(u64, u64, Vec<u8>)>,
    pub(super) image: std::cell::OnceCell<Option<Vec<u8>>>,
}

impl EventThread {
    pub(super) fn bare(tid: i32, pid: i32) -> EventThread {
        EventThread {
            tid,
            pid,
            regs: X86_64Regs::default(),
            regions: Vec::new(),
            prior: None,
            time: None,
            stack_key: None,
            stack: None,
            image: std::cell::OnceCell::new(),
        }
    }

    /// The stack image (from SP), built on first use.
    fn image(&self) -> Option<(u64, &[u8])> {
        let (sp, leaf, frames) = self.stack.as_ref()?;
        let image = self.image.get_or_init(|| {
            let captures: Vec<(u64, u32, &[u8])> = self
                .regions
                .iter()
                .map(|(a, d)| (*a, 0, d.as_slice()))
                .collect();
            stack_image(*sp, *leaf, frames, &captures)
        });
        image.as_deref().map(|i| (*sp, i))
    }
}

impl Thread for EventThread {
    fn tid(&self) -> i32 {
        self.tid
    }
    fn pid(&self) -> i32 {
        self.pid
    }
    fn registers(&self) -> Result<Registers, Error> {
        Ok(Registers::X86_64(self.regs))
    }
    fn event_time(&self) -> Option<Duration> {
        self.time
    }
    fn stack_key(&self) -> Option<u64> {
        self.stack_key
    }
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some((at, bytes)) = &self.prior {
            if let Some(avail) = addr
                .checked_sub(*at)
                .and_then(|o| bytes.get(usize::try_from(o).ok()?..))
                .filter(|a| !a.is_empty())
            {
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                return Ok(n);
            }
        }
        // Regions may overlap (a struct on the stack is both a capture
        // and part of the stack image, with the same bytes); the longest
        // run from `addr` wins.
        let mut best: Option<&[u8]> = None;
        let image = self.image();
        let stack = image.iter().map(|&(sp, bytes)| (sp, bytes));
        let captured = self.regions.iter().map(|(a, d)| (*a, d.as_slice()));
        for (start, bytes) in stack.chain(captured) {
            let Some(off) = addr.checked_sub(start) else {
                continue;
            };
            let Some(avail) = usize::try_from(off).ok().and_then(|o| bytes.get(o..)) else {
                continue;
            };
            if !avail.is_empty() && best.is_none_or(|b| b.len() < avail.len()) {
                best = Some(avail);
            }
        }
        match best {
            Some(avail) => {
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                Ok(n)
            }
            None => Err(Error::Memory { addr }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_region_wins_reads() {
        let mut t = EventThread::bare(1, 1);
        t.regions.push((0x100, vec![1; 4]));
        t.regions.push((0xf0, vec![2; 0x40]));
        let mut b = [0u8; 64];
        assert_eq!(t.read_memory(0x100, &mut b).unwrap(), 0x30);
        assert!(t.read_memory(0x200, &mut b).is_err());
    }
}
