//! Random bytes through both decoders and all printers, plus the Go
//! listing layout: nothing may panic, and every instruction must advance.
//!
//! Work is linear in the input (about 3 µs a byte: every instruction is
//! decoded for both architectures and printed six ways, and 60% of the
//! time is libFuzzer's comparison hooks), so a corpus of whole binaries
//! ran at under 20 executions a second and even 4 KiB inputs at under
//! 100. Only the first 128 bytes are decoded (a few dozen instructions,
//! enough for every decoder path and the listing's column layout), and
//! `fuzz/seeds.py` seeds with 128-byte slices of the fixtures' text.
#![no_main]

use disasm::listing::{write_function, NoLines, Options};
use disasm::{Arch, NoSymbols, Syntax};
use libfuzzer_sys::fuzz_target;

/// Bytes decoded per execution.
const MAX_BYTES: usize = 128;

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(MAX_BYTES)];
    for arch in [Arch::Amd64, Arch::Arm64] {
        let mut off = 0usize;
        while off < data.len() {
            let inst = disasm::decode(arch, &data[off..], 0x401000 + off as u64);
            assert!(inst.len >= 1);
            for syntax in [Syntax::Go, Syntax::Gnu, Syntax::Intel] {
                let _ = inst.to_string(syntax, &NoSymbols);
                let _ = inst.text(syntax, &NoSymbols);
            }
            off += inst.len as usize;
        }
        let mut out = String::new();
        let opts = Options {
            syntax: Syntax::Go,
            both: true,
        };
        write_function(
            arch, "f", 0x401000, data, &NoSymbols, &NoLines, opts, None, &mut out,
        );
    }
});
