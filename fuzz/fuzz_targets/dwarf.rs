//! DWARF parameter names (`gobin::dwarf::Params`) on fuzzed debug
//! sections. Fuzzing whole binaries would spend every execution in the
//! ELF and zlib layers, so the input is the sections themselves, wrapped
//! in a small ELF here: byte 0 picks options, then each of the nine
//! sections the reader loads is a little-endian u16 length and its bytes.
//! Option bit 0 marks `.debug_info` SHF_COMPRESSED, so its first bytes
//! are a compression header whose claimed size the reader must check
//! before inflating. Seeds: small units of the fixtures' DWARF, made by
//! `fuzz/seeds.py`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use object::write::Object;
use object::{Architecture, BinaryFormat, Endianness, SectionFlags, SectionKind};

const SECTIONS: [&str; 9] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_str",
    ".debug_line_str",
    ".debug_addr",
    ".debug_str_offsets",
    ".debug_line",
    ".debug_rnglists",
    ".debug_ranges",
];

fn elf(mode: u8, mut rest: &[u8]) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    for name in SECTIONS {
        let len = gobin::bytes::u16_le(rest, 0).unwrap_or(0) as usize;
        let body = rest.get(2..).unwrap_or(&[]);
        let take = len.min(body.len());
        let id = obj.add_section(Vec::new(), name.as_bytes().to_vec(), SectionKind::Debug);
        obj.set_section_data(id, body[..take].to_vec(), 1);
        if name == ".debug_info" && mode & 1 != 0 {
            obj.section_mut(id).flags = SectionFlags::Elf {
                sh_type: object::elf::SHT_PROGBITS,
                sh_flags: object::elf::SHF_COMPRESSED,
            };
        }
        rest = &body[take..];
    }
    obj.write().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = elf(mode, rest);
    if let Some(params) = gobin::dwarf::Params::load(&file) {
        for entry in [0, 0x40_1000, 0x40_2000] {
            let _ = params.words(entry);
        }
    }
});
