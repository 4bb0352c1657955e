//! A seccomp-bpf program that makes only the traced syscalls stop the
//! tracee (`SECCOMP_RET_TRACE`); every other call runs at full speed
//! (strace's `--seccomp-bpf`). Hand-assembled rather than built with
//! seccompiler: the program is a list of number ranges, seccompiler's rule
//! model (per-argument conditions) would add a dependency for nothing.

const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K
const BPF_JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const BPF_JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// Offsets in `struct seccomp_data`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

/// One BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> BpfInsn {
    BpfInsn { code, jt, jf, k }
}

/// A compiled filter, ready to be installed in the child before `execve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeccompFilter {
    pub(crate) program: Vec<BpfInsn>,
}

impl SeccompFilter {
    /// Builds a filter for the native architecture that traces the syscall
    /// numbers in `traced` (numbers of the native table) and allows the
    /// rest. Calls of another architecture (i386 `int 0x80`, x32) are traced,
    /// so nothing the printer might want is lost; they are rare.
    ///
    /// The program tests the smaller of the two sets (traced or allowed) as
    /// ranges of consecutive numbers, so `-e trace=!futex` stays short.
    pub fn new(traced: &[u32], table_size: u32) -> SeccompFilter {
        let mut nrs: Vec<u32> = traced.iter().copied().filter(|&n| n < table_size).collect();
        nrs.sort_unstable();
        nrs.dedup();
        let invert = nrs.len() as u32 > table_size / 2;
        let (listed, listed_action, default_action) = if invert {
            let allowed: Vec<u32> = (0..table_size)
                .filter(|n| nrs.binary_search(n).is_err())
                .collect();
            (allowed, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE)
        } else {
            (nrs, SECCOMP_RET_TRACE, SECCOMP_RET_ALLOW)
        };
        let audit_arch = crate::arch::native_audit();
        let mut p = vec![
            insn(BPF_LD_W_ABS, 0, 0, DATA_ARCH),
            insn(BPF_JEQ_K, 1, 0, audit_arch),
            insn(BPF_RET_K, 0, 0, SECCOMP_RET_TRACE),
            insn(BPF_LD_W_ABS, 0, 0, DATA_NR),
            insn(BPF_JSET_K, 0, 1, X32_SYSCALL_BIT),
            insn(BPF_RET_K, 0, 0, SECCOMP_RET_TRACE),
        ];
        for (lo, hi) in ranges(&listed) {
            if lo == hi {
                p.push(insn(BPF_JEQ_K, 0, 1, lo));
            } else {
                // below lo: skip the upper test and the return
                p.push(insn(BPF_JGE_K, 0, 2, lo));
                // above hi: skip the return
                p.push(insn(BPF_JGT_K, 1, 0, hi));
            }
            p.push(insn(BPF_RET_K, 0, 0, listed_action));
        }
        p.push(insn(BPF_RET_K, 0, 0, default_action));
        SeccompFilter { program: p }
    }

    /// Number of BPF instructions (the kernel caps programs at 4096).
    pub fn len(&self) -> usize {
        self.program.len()
    }

    /// Whether the program is empty (never: it always has a default return).
    pub fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// Runs the program on a syscall as the kernel would and says whether it
    /// stops the tracee; lets the filter be tested without installing it.
    pub fn traces(&self, audit_arch: u32, nr: u32) -> bool {
        let mut acc = 0u32;
        let mut pc = 0usize;
        while let Some(i) = self.program.get(pc) {
            let jump = |cond: bool| pc + 1 + if cond { i.jt as usize } else { i.jf as usize };
            pc = match i.code {
                BPF_LD_W_ABS => {
                    acc = if i.k == DATA_ARCH { audit_arch } else { nr };
                    pc + 1
                }
                BPF_JEQ_K => jump(acc == i.k),
                BPF_JGT_K => jump(acc > i.k),
                BPF_JGE_K => jump(acc >= i.k),
                BPF_JSET_K => jump(acc & i.k != 0),
                _ => return i.k == SECCOMP_RET_TRACE,
            };
        }
        false
    }
}

fn ranges(sorted: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &n in sorted {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(n) => *hi = n,
            _ => out.push((n, n)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATIVE: u32 = if cfg!(target_arch = "aarch64") {
        0xc000_00b7
    } else {
        0xc000_003e
    };

    #[test]
    fn traces_exactly_the_listed_numbers() {
        let f = SeccompFilter::new(&[2, 3, 4, 10, 257], 460);
        for nr in 0..470 {
            assert_eq!(
                f.traces(NATIVE, nr),
                [2, 3, 4, 10, 257].contains(&nr),
                "nr {nr}"
            );
        }
    }

    #[test]
    fn large_sets_are_inverted_and_still_exact() {
        let traced: Vec<u32> = (0..460).filter(|n| *n != 1 && *n != 202).collect();
        let f = SeccompFilter::new(&traced, 460);
        assert!(
            f.len() < 20,
            "inverted program should be short, got {}",
            f.len()
        );
        for nr in 0..460 {
            assert_eq!(f.traces(NATIVE, nr), nr != 1 && nr != 202, "nr {nr}");
        }
    }

    #[test]
    fn foreign_arch_and_x32_calls_are_traced() {
        let f = SeccompFilter::new(&[257], 460);
        assert!(f.traces(0x4000_0003, 5));
        assert!(f.traces(NATIVE, X32_SYSCALL_BIT | 1));
        assert!(!f.traces(NATIVE, 1));
    }
}
