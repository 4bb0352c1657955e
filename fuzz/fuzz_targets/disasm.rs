//! Random bytes through both decoders and all printers, plus the Go
//! listing layout: nothing may panic, and every instruction must advance.
#![no_main]

use disasm::listing::{write_function, NoLines, Options};
use disasm::{Arch, NoSymbols, Syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
