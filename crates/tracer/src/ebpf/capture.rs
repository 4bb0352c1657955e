//! The capture plan: per syscall, which bytes behind which arguments the
//! kernel side copies, and when.
//!
//! The decoders in the `syscalls` crate read tracee memory through a
//! `Memory` trait; with eBPF that memory is gone by the time user space
//! sees the event, so the program copies, at the syscall's exit (at its
//! entry for `execve` and the calls that never return), what those
//! decoders will read. What they read is declared next to each decoder
//! ([`syscalls::reads`]); [`plan`] turns a declaration into the program's
//! copy slots, so a new decoder gets its bytes without an edit here.
//! `tests/captures.rs` runs every decoder against these plans and checks
//! each read it makes falls inside what is copied.

use super::{prog, Options};
use std::collections::HashSet;
use syscalls::reads::{Kind, Len};

/// Most bytes copied for one argument.
pub const CAP_MAX: u32 = 8192;
/// Pointers copied from an `argv` or `envp` array.
pub const ARGV_PTRS: u32 = 64;
/// Strings of `argv` copied.
pub const ARGV_STRS: usize = 16;
/// The capture slots (positions in a declaration) that may hold
/// [`Kind::Argv`]; the BPF program copies pointed-to strings only there.
pub const ARGV_SLOTS: [u32; 2] = [1, 2];
/// Capture slots per syscall in the program's table.
pub const SLOTS: usize = 4;
/// The longest path a decoder shows, its NUL, and one byte more to tell
/// a path of exactly 4096 bytes from a longer one.
const PATH_BYTES: u32 = 4098;

/// How the program copies one argument's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copy {
    /// A NUL-terminated string of at most `max` bytes.
    Str,
    /// `max` bytes.
    Fixed,
    /// `scale` bytes per unit of a length, at most `max`.
    Len {
        /// Where the length is.
        from: Len,
        /// Bytes per unit.
        scale: u8,
    },
    /// A pointer array (`max` bytes of pointers) and the first
    /// [`ARGV_STRS`] strings its pointers lead to.
    Argv,
}

/// One copy slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The argument register holding the pointer.
    pub arg: u8,
    /// How the bytes are copied.
    pub copy: Copy,
    /// Most bytes copied (0: the slot copies nothing at this `-s`).
    pub max: u32,
}

impl Slot {
    /// How many bytes the slot copies for a call with these argument
    /// registers and this result: the extent the decoders may read.
    pub fn bytes(&self, args: &[u64; 6], ret: i64) -> u64 {
        let max = u64::from(self.max);
        match self.copy {
            Copy::Len { from, scale } => {
                let units = match from {
                    Len::Arg(i) => args.get(usize::from(i)).copied().unwrap_or(0),
                    Len::Ret => u64::try_from(ret).unwrap_or(0),
                };
                units.saturating_mul(u64::from(scale)).min(max)
            }
            Copy::Str | Copy::Fixed | Copy::Argv => max,
        }
    }
}

/// Everything the program does for one syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The event is taken at entry: the arguments are gone at exit
    /// (`execve` replaces the address space) or there is no exit.
    pub at_entry: bool,
    /// The new child's return (0) is not an event of the parent's call.
    pub skip_child_zero: bool,
    /// A value-result length argument whose word is also copied at entry.
    pub entry_word: Option<u8>,
    /// Copy slots, in declaration order (a position matters: see
    /// [`ARGV_SLOTS`]); at most [`SLOTS`].
    pub slots: Vec<Slot>,
}

/// The plan for `name` (strace's name) with `-s string_limit`, from the
/// decoder's declared reads.
pub fn plan(name: &str, string_limit: usize) -> Plan {
    let limit = string_limit.min(CAP_MAX as usize) as u32;
    let mut entry_word = None;
    let slots = syscalls::reads::reads(name)
        .iter()
        .take(SLOTS)
        .map(|&(arg, kind)| {
            let (copy, max) = match kind {
                Kind::Path => (Copy::Str, PATH_BYTES),
                Kind::CStr => (Copy::Str, limit + 2),
                Kind::Data(from) => (Copy::Len { from, scale: 1 }, limit),
                Kind::Sized(from, scale) => (Copy::Len { from, scale }, CAP_MAX),
                Kind::Fixed(n) => (Copy::Fixed, n.min(CAP_MAX)),
                Kind::ValueResult => {
                    entry_word = Some(arg);
                    (Copy::Fixed, 4)
                }
                Kind::Argv => (Copy::Argv, 8 * ARGV_PTRS),
            };
            Slot { arg, copy, max }
        })
        .collect();
    Plan {
        at_entry: matches!(name, "execve" | "execveat" | "exit" | "exit_group"),
        skip_child_zero: matches!(name, "clone" | "clone3" | "fork" | "vfork"),
        entry_word,
        slots,
    }
}

/// The per-syscall table values: flags and up to four capture slots.
pub(super) fn syscall_table(opts: &Options) -> Vec<(u32, [u8; prog::CFG_SIZE as usize])> {
    let wanted: Option<HashSet<u64>> = opts.wanted.as_ref().map(|w| w.iter().copied().collect());
    let mut out = Vec::new();
    for &(nr, name) in &opts.names {
        if nr >= u64::from(prog::NR_MAX) {
            continue;
        }
        let want = wanted.as_ref().is_none_or(|w| w.contains(&nr));
        let exec = matches!(name, "execve" | "execveat");
        if !want && !exec {
            continue;
        }
        let plan = plan(name, opts.string_limit);
        let mut v = [0u8; prog::CFG_SIZE as usize];
        let mut flags = prog::F_WANT;
        if plan.at_entry {
            flags |= prog::F_ENTRY;
        }
        if plan.skip_child_zero {
            flags |= prog::F_SKIP_ZERO;
        }
        if let Some(arg) = plan.entry_word {
            flags |= prog::F_ENTRY_WORD;
            let offs = prog::regs::ARGS;
            v[36] = offs[usize::from(arg).min(5)] as u8;
            v[37] = arg;
        }
        v[..4].copy_from_slice(&flags.to_ne_bytes());
        for (j, slot) in plan.slots.iter().enumerate() {
            if slot.max == 0 {
                continue;
            }
            let len_idx = |l: Len| match l {
                Len::Arg(i) => i,
                Len::Ret => 6,
            };
            let (k, lenarg, mul) = match slot.copy {
                Copy::Str => (prog::K_STR, 0, 1),
                Copy::Fixed => (prog::K_FIXED, 0, 1),
                Copy::Len { from, scale } => (prog::K_LEN, len_idx(from), scale),
                Copy::Argv => (prog::K_ARGV, 0, 1),
            };
            let at = 4 + 8 * j;
            v[at] = slot.arg;
            v[at + 1] = k;
            v[at + 2] = lenarg;
            v[at + 3] = mul;
            v[at + 4..at + 8].copy_from_slice(&slot.max.to_ne_bytes());
        }
        // Not wanted, but kept so the spawned child's execve still
        // switches it to traced: no flags means no event.
        if !want {
            v[..4].copy_from_slice(&0u32.to_ne_bytes());
        }
        out.push((nr as u32, v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every declaration fits the program: at most [`SLOTS`] reads, one
    /// value-result word, pointer arrays only where strings are copied.
    #[test]
    fn every_declaration_fits_the_program() {
        let names = syscalls::decoded_syscalls();
        assert!(names.len() > 100, "only {} decoders", names.len());
        for name in names {
            let reads = syscalls::reads::reads(name);
            assert!(reads.len() <= SLOTS, "{name}: {} reads", reads.len());
            let words = reads
                .iter()
                .filter(|(_, k)| *k == Kind::ValueResult)
                .count();
            assert!(words <= 1, "{name}: {words} value-result words");
            for (j, (_, kind)) in reads.iter().enumerate() {
                if matches!(kind, Kind::Argv) {
                    assert!(ARGV_SLOTS.contains(&(j as u32)), "{name} slot {j}");
                }
            }
        }
    }

    #[test]
    fn the_table_marks_entry_calls_and_copies_paths() {
        let opts = Options {
            names: vec![
                (2, "open"),
                (59, "execve"),
                (231, "exit_group"),
                (1, "write"),
            ],
            wanted: Some(vec![2, 231]),
            ..Options::default()
        };
        let t: HashMap<u32, [u8; 40]> = syscall_table(&opts).into_iter().collect();
        assert!(!t.contains_key(&1), "write is not wanted");
        assert_eq!(u32_le(&t[&2], 0), prog::F_WANT);
        assert_eq!(t[&2][5], prog::K_STR);
        assert_eq!(u32_le(&t[&231], 0), prog::F_WANT | prog::F_ENTRY);
        assert_eq!(
            u32_le(&t[&59], 0),
            0,
            "execve kept for the exec switch only"
        );
    }

    fn u32_le(b: &[u8], off: usize) -> u32 {
        gobin::bytes::u32_le(b, off).unwrap()
    }
}
