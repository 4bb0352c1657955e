//! Random syscall numbers, registers, return values and tracee memory
//! through both decoding phases and the strace renderer: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use model::Arch;
use render::strace::{format_call, LineOptions, Printer};
use syscalls::{decode_entry, decode_exit, decode_siginfo, Context, Entry, FakeMemory, Options};

/// Word `i` of the input (inputs are at least 72 bytes: nine words).
fn u64_at(d: &[u8], i: usize) -> u64 {
    gobin::bytes::u64_le(d, i * 8).unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 72 {
        return;
    }
    let arch = if data[0] & 1 == 0 {
        Arch::Amd64
    } else {
        Arch::Arm64
    };
    let nr = u64_at(data, 1) % 512;
    // Point some arguments into the fuzzed memory region so decoders
    // follow pointers into arbitrary bytes.
    let base = 0x10000u64;
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        let v = u64_at(data, 2 + i);
        *a = if v & 1 == 0 {
            base + (v >> 1) % 256
        } else {
            v >> 1
        };
    }
    let ret = u64_at(data, 8) as i64;
    let mut mem = FakeMemory::new();
    mem.map(base, data[72..].to_vec());
    let opts = Options {
        string_limit: (data[1] as usize % 64) + 1,
        verbose: data[2] & 1 == 1,
    };
    let fd_path = |fd: i32| Some(format!("/fd/{fd}"));
    let ctx = Context {
        arch,
        mem: &mem,
        opts: &opts,
        fd_path: if data[3] & 1 == 1 {
            Some(&fd_path)
        } else {
            None
        },
    };
    let pending = decode_entry(&ctx, &Entry { nr, args, sp: base });
    let mut p = Printer::new(LineOptions::default());
    let _ = p.entry(1, pending.call(), None);
    let call = decode_exit(&ctx, pending, ret);
    let _ = p.exit(2, &call, None, None);
    let _ = format_call(&call);
    let _ = decode_siginfo(arch, &data[72..]);
});
