//! Random bytes through both decoders and all printers, plus the Go
//! listing layout: nothing may panic, and every instruction must advance.
//!
//! Work is linear in the input (about 3 µs a byte: every instruction was
//! decoded twice and printed eight times per architecture, and 60%
//! of the time is libFuzzer's comparison hooks), so a corpus of whole
//! binaries ran at under 20 executions a second and even 4 KiB inputs at
//! under 100. Only the first 64 bytes are decoded (several instructions
//! on either architecture: decoder paths are per instruction, and a few
//! lines exercise the listing's column layout), each syntax is printed
//! once per instruction outside the listing, and `fuzz/seeds.py` seeds
//! with 64-byte slices of the fixtures' text.
#![no_main]

use disasm::listing::{write_function, NoLines, Options};
use disasm::{Arch, NoSymbols, Syntax};
use libfuzzer_sys::fuzz_target;

/// Bytes decoded per execution.
const MAX_BYTES: usize = 64;

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(MAX_BYTES)];
    for arch in [Arch::Amd64, Arch::Arm64] {
        let mut off = 0usize;
        while off < data.len() {
            let inst = disasm::decode(arch, &data[off..], 0x401000 + off as u64);
            assert!(inst.len >= 1);
            // `text` prints the instruction (`to_string`) and splits it.
            for syntax in [Syntax::Go, Syntax::Gnu, Syntax::Intel] {
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
