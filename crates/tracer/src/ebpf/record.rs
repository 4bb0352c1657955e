//! The records the programs write into the ring buffer, parsed: a
//! syscall record becomes the thread it describes (see [`EventThread`]),
//! the others the fields of a fork, exit or signal.

use super::prog;
use super::thread::EventThread;
use crate::event::{ExitKind, SignalInfo, SyscallEntry};
use crate::{Arch, X86_64Regs};
use gobin::bytes;

/// Where the fake thread pointer lives: a non-canonical address, so it
/// never collides with real tracee memory.
const FAKE_FS: u64 = 0xdead_0000_0000_0000;
/// Largest stack image rebuilt from the frame chain.
const MAX_IMAGE: u64 = 256 << 10;

/// Record fields, read from the kernel's bytes; past the end reads 0 (a
/// record is never shorter than its header, checked first).
pub(super) fn u32_field(b: &[u8], off: usize) -> u32 {
    bytes::u32_le(b, off).unwrap_or(0)
}

pub(super) fn u64_field(b: &[u8], off: usize) -> u64 {
    bytes::u64_le(b, off).unwrap_or(0)
}

/// One syscall record, decoded.
pub(super) struct Record {
    /// A value-result argument's u32 at entry: (address, value).
    pub(super) entry_word: Option<(u64, u32)>,
    pub(super) nr: u64,
    pub(super) args: [u64; 6],
    pub(super) ret: i64,
    /// Kernel times (CLOCK_MONOTONIC ns): when the call entered (0 when not
    /// recorded) and when the record was made (exit, or entry for calls
    /// seen at entry only).
    pub(super) entered: u64,
    pub(super) recorded: u64,
    pub(super) thread: EventThread,
}

impl Record {
    /// The call as its entry stop would show it.
    pub(super) fn entry(&self) -> SyscallEntry {
        SyscallEntry {
            arch: Arch::Amd64,
            nr: self.nr,
            args: self.args,
            pc: self.thread.regs.rip,
            sp: self.thread.regs.rsp,
        }
    }
}

/// Parses a syscall record (header, frames, captures) into a thread
/// whose memory holds the captured bytes and a rebuilt stack image.
pub(super) fn parse_syscall(rec: &[u8]) -> Option<Record> {
    if rec.len() < prog::HDR {
        return None;
    }
    let tid = u32_field(rec, 8) as i32;
    let pid = u32_field(rec, 12) as i32;
    let nr = u64_field(rec, 16);
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_field(rec, 24 + 8 * i);
    }
    let ret = u64_field(rec, 72) as i64;
    let (ip, sp, bp, g) = (
        u64_field(rec, 96),
        u64_field(rec, 104),
        u64_field(rec, 112),
        u64_field(rec, 120),
    );
    let nframes = u32_field(rec, 4) as usize;
    let mut regions = Vec::new();
    let mut off = prog::HDR;
    let frames_end = off.checked_add(nframes.checked_mul(prog::FRAME)?)?;
    let frames = rec.get(off..frames_end)?;
    off = frames_end;
    let mut captures = Vec::new();
    while off + 16 <= rec.len() {
        let addr = u64_field(rec, off);
        let len = u32_field(rec, off + 8) as usize;
        let slot = u32_field(rec, off + 12);
        let data = rec.get(off + 16..off + 16 + len)?;
        captures.push((addr, slot, data));
        off += 16 + ((len + 7) & !7);
    }
    // The kernel digests what the unwinder reads (registers, frames, the
    // word at SP, g) and leaves frames and g out of records whose digest
    // it sent before: the digest is the stack's identity either way.
    let flags = u32_field(rec, 0);
    let leaf = u64_field(rec, 128);
    let stack_key = (flags & prog::KIND_STACK != 0).then(|| u64_field(rec, 152));
    let stack = (flags & prog::KIND_ELIDED == 0 && (nframes > 0 || leaf != 0))
        .then(|| (sp, leaf, frames.to_vec()));
    let mut have_g = false;
    for &(addr, slot, data) in &captures {
        if !data.is_empty() {
            regions.push((addr, data.to_vec()));
            have_g |= slot == prog::SLOT_G && addr == g;
        }
    }
    if have_g {
        // The thread pointer slot Go keeps g in (fs_base + small negative
        // offset) reads as g.
        let words: Vec<u8> = std::iter::repeat_n(g.to_ne_bytes(), 8).flatten().collect();
        regions.push((FAKE_FS - 64, words));
    }
    let regs = X86_64Regs {
        rip: ip,
        rsp: sp,
        rbp: bp,
        r14: g,
        orig_rax: nr,
        rax: ret as u64,
        rdi: args[0],
        rsi: args[1],
        rdx: args[2],
        r10: args[3],
        r8: args[4],
        r9: args[5],
        fs_base: if have_g { FAKE_FS } else { 0 },
        ..X86_64Regs::default()
    };
    let word = u64_field(rec, 144);
    let entry_word = match (word >> 32) as usize {
        0 => None,
        i => args.get(i - 1).map(|&addr| (addr, word as u32)),
    };
    Some(Record {
        entry_word,
        nr,
        args,
        ret,
        entered: u64_field(rec, 88),
        recorded: u64_field(rec, 80),
        thread: EventThread {
            tid,
            pid,
            regs,
            regions,
            prior: None,
            time: None,
            stack_key,
            stack,
            image: std::cell::OnceCell::new(),
        },
    })
}

/// The stack from SP up to the last frame record, zero where nothing was
/// read, with the frame records and the captures that fall inside it.
pub(super) fn stack_image(
    sp: u64,
    leaf: u64,
    frames: &[u8],
    captures: &[(u64, u32, &[u8])],
) -> Option<Vec<u8>> {
    let mut end = sp.checked_add(8)?;
    let records: Vec<(u64, u64, u64)> = frames
        .chunks_exact(prog::FRAME)
        .map(|f| (u64_field(f, 0), u64_field(f, 8), u64_field(f, 16)))
        // A record at the top of the address space would wrap the
        // image's end below its own slot.
        .filter(|&(fp, _, _)| fp >= sp && fp - sp < MAX_IMAGE && fp.checked_add(16).is_some())
        .collect();
    for &(fp, _, _) in &records {
        end = end.max(fp + 16);
    }
    let mut image = vec![0u8; usize::try_from(end - sp).ok()?];
    image[..8].copy_from_slice(&leaf.to_ne_bytes());
    for &(fp, next, ret) in &records {
        let o = (fp - sp) as usize;
        image[o..o + 8].copy_from_slice(&next.to_ne_bytes());
        image[o + 8..o + 16].copy_from_slice(&ret.to_ne_bytes());
    }
    for &(addr, _, data) in captures {
        if addr >= sp && addr < end {
            let o = (addr - sp) as usize;
            let n = data.len().min(image.len() - o);
            image[o..o + n].copy_from_slice(&data[..n]);
        }
    }
    Some(image)
}

/// The `siginfo_t` prefix a signal record carries (48 bytes: every field
/// strace prints), zero-extended.
pub(super) fn signal_info(raw48: &[u8]) -> SignalInfo {
    let mut raw = [0u8; 128];
    let n = raw48.len().min(48);
    raw[..n].copy_from_slice(&raw48[..n]);
    SignalInfo::from_raw(raw)
}

/// How a process ended, from a wait status (`task_struct.exit_code` has
/// the same encoding).
pub(super) fn exit_kind(code: u32) -> ExitKind {
    let code = code as i32;
    if code & 0x7f == 0 {
        ExitKind::Exited((code >> 8) & 0xff)
    } else {
        ExitKind::Killed {
            signal: code & 0x7f,
            core: code & 0x80 != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_image_places_frames_and_captures() {
        let sp = 0x1000;
        let mut frames = Vec::new();
        for (fp, next, ret) in [(0x1010u64, 0x1040u64, 0x4444u64), (0x1040, 0, 0x5555)] {
            frames.extend_from_slice(&fp.to_ne_bytes());
            frames.extend_from_slice(&next.to_ne_bytes());
            frames.extend_from_slice(&ret.to_ne_bytes());
        }
        let cap: &[u8] = &[9, 9];
        let img = stack_image(sp, 0x3333, &frames, &[(0x1020, 0, cap)]).unwrap();
        assert_eq!(img.len(), 0x50);
        assert_eq!(u64_field(&img, 0), 0x3333);
        assert_eq!(u64_field(&img, 0x10), 0x1040);
        assert_eq!(u64_field(&img, 0x18), 0x4444);
        assert_eq!(u64_field(&img, 0x48), 0x5555);
        assert_eq!(&img[0x20..0x22], &[9, 9]);
    }

    #[test]
    fn exit_codes_decode_like_wait_status() {
        assert_eq!(exit_kind(3 << 8), ExitKind::Exited(3));
        assert_eq!(
            exit_kind(9),
            ExitKind::Killed {
                signal: 9,
                core: false
            }
        );
    }
}
