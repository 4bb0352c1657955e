//! Layouts of the runtime's structures per Go version, as live tracing
//! reads them from a process: where `g` is kept, and the offsets of the
//! `g` and `m` fields the unwinder and goroutine labels need.
//!
//! The offsets are computed from the structure definitions (go-internals
//! §4.2) rather than read from DWARF: a stripped binary has none. The
//! head of `g` and `m` has changed only when `gobuf` lost or gained a word
//! (1.23 added `g.syscallbp`, 1.25 removed `gobuf.ret`), so one function
//! keyed by [`GoVersion`] covers every release from 1.9. 64-bit targets
//! only. Pure data: readers (the tracer's goroutine reader, the eBPF
//! program generator) apply it to memory they fetch themselves.

use crate::version::GoVersion;

/// `_Gsyscall`: the goroutine is in a system call; `syscall{sp,pc,bp}` are
/// valid.
pub const G_SYSCALL: u32 = 3;

/// Bytes at the start of `g` that hold every field [`GLayout`] names, in
/// every supported release (a reader copies this much once).
pub const G_HEAD_BYTES: usize = 176;

/// Offsets into `runtime.g` (64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GLayout {
    /// `g.m`.
    pub m: usize,
    /// `g.sched.sp`.
    pub sched_sp: usize,
    /// `g.sched.pc`.
    pub sched_pc: usize,
    /// `g.sched.lr` (LR machines).
    pub sched_lr: usize,
    /// `g.sched.bp`.
    pub sched_bp: usize,
    /// `g.syscallsp`.
    pub syscall_sp: usize,
    /// `g.syscallpc`.
    pub syscall_pc: usize,
    /// `g.syscallbp` (Go 1.23+).
    pub syscall_bp: Option<usize>,
    /// `g.atomicstatus` (u32).
    pub status: usize,
    /// `g.goid` (u64).
    pub goid: usize,
}

/// Offsets into `runtime.m` (64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MLayout {
    /// `m.g0` (always 0).
    pub g0: usize,
    /// `m.procid`: the OS thread id on Linux.
    pub procid: usize,
    /// `m.gsignal`.
    pub gsignal: usize,
    /// `m.curg`.
    pub curg: usize,
}

/// Layouts for a Go release, `None` before 1.9 (not supported).
pub fn layouts(v: GoVersion) -> Option<(GLayout, MLayout)> {
    if !v.at_least(1, 9) {
        return None;
    }
    // gobuf: sp pc g ctxt [ret] lr bp. `ret` went away in 1.25.
    let gobuf_words = if v.at_least(1, 25) { 6 } else { 7 };
    let sched = 56;
    let sched_bp = sched + (gobuf_words - 1) * 8;
    let sched_lr = sched_bp - 8;
    let after_sched = sched + gobuf_words * 8;
    let has_syscallbp = v.at_least(1, 23);
    let syscall_sp = after_sched;
    let syscall_pc = after_sched + 8;
    let syscall_bp = has_syscallbp.then_some(after_sched + 16);
    // stktopsp, param follow; then atomicstatus, stackLock, goid.
    let status = after_sched + if has_syscallbp { 24 } else { 16 } + 16;
    let goid = status + 8;
    let g = GLayout {
        m: 48,
        sched_sp: sched,
        sched_pc: sched + 8,
        sched_lr,
        sched_bp,
        syscall_sp,
        syscall_pc,
        syscall_bp,
        status,
        goid,
    };
    // m: g0, morebuf (a gobuf), divmod+pad, procid, gsignal,
    // goSigStack (40), sigmask (8), tls[6], mstartfn, curg.
    let procid = 8 + gobuf_words * 8 + 8;
    let gsignal = procid + 8;
    let tls = gsignal + 8 + 40 + 8;
    let m = MLayout {
        g0: 0,
        procid,
        gsignal,
        curg: tls + 6 * 8 + 8,
    };
    Some((g, m))
}

/// Where `g` sits relative to the thread pointer (fs_base) on linux/amd64:
/// -8 for Go's own TLS slot, or, for binaries a C linker laid out (cgo,
/// `-linkmode=external`), the link-time `runtime.tlsg` minus the PT_TLS
/// block's size rounded up to its alignment (go-internals §4.1). `tls` is
/// the PT_TLS segment's (vaddr, memsz, align); `tlsg` the symbol's value.
pub fn g_tls_offset_amd64(tls: Option<(u64, u64, u64)>, tlsg: Option<u64>) -> i64 {
    match (tls, tlsg) {
        (Some((vaddr, memsz, align)), Some(tlsg)) if align.is_power_of_two() => {
            let pad = (0u64.wrapping_sub(vaddr).wrapping_sub(memsz)) & (align - 1);
            let memsz = memsz.wrapping_add(pad);
            (tlsg as i64).wrapping_sub(memsz as i64)
        }
        _ => -8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_the_verified_go127_offsets() {
        let (g, m) = layouts(GoVersion::new(1, 27, 3)).unwrap();
        assert_eq!(g.goid, 152);
        assert_eq!(g.status, 144);
        assert_eq!(g.syscall_sp, 104);
        assert_eq!(g.syscall_pc, 112);
        assert_eq!(g.syscall_bp, Some(120));
        assert_eq!(g.sched_bp, 96);
        assert_eq!(g.sched_lr, 88);
        assert_eq!(m.procid, 64);
        assert_eq!(m.gsignal, 72);
        assert_eq!(m.curg, 184);
    }

    #[test]
    fn goid_moves_with_syscallbp_and_gobuf_ret() {
        let goid = |minor| layouts(GoVersion::new(1, minor, 0)).unwrap().0.goid;
        assert_eq!(goid(19), 152);
        assert_eq!(goid(22), 152);
        assert_eq!(goid(23), 160);
        assert_eq!(goid(24), 160);
        assert_eq!(goid(25), 152);
        assert!(layouts(GoVersion::new(1, 8, 0)).is_none());
        let (g, _) = layouts(GoVersion::new(1, 21, 0)).unwrap();
        assert_eq!(g.syscall_bp, None);
        assert_eq!(g.status, 144);
    }

    #[test]
    fn the_g_head_holds_every_field_in_every_release() {
        for minor in 9..=30 {
            let (g, _) = layouts(GoVersion::new(1, minor, 0)).unwrap();
            assert!(g.goid + 8 <= G_HEAD_BYTES, "1.{minor}");
        }
    }

    #[test]
    fn tls_slot_is_minus_8_unless_a_c_linker_placed_it() {
        assert_eq!(g_tls_offset_amd64(None, None), -8);
        assert_eq!(g_tls_offset_amd64(Some((0x1000, 0x10, 8)), None), -8);
        // A 0x14-byte TLS block aligned to 8 takes 0x18 bytes; tlsg at 0x8
        // within it is 0x10 below the thread pointer.
        assert_eq!(
            g_tls_offset_amd64(Some((0x1000, 0x14, 8)), Some(0x8)),
            -0x10
        );
    }
}
