//! Fuzzes pclntab parsing and lookup: raw tables (with the table itself as
//! funcdata memory, so inline trees are followed) and whole binaries.
#![no_main]

use gobin::pclntab::{Context, Image, Pclntab};
use libfuzzer_sys::fuzz_target;

fn exercise(t: &Pclntab<'_>, probes: &[u8]) {
    for f in t.funcs().take(64) {
        let _ = (
            f.name(),
            f.entry_position(),
            f.frame_size(),
            f.abi(),
            f.is_asm(),
        );
        let _ = f.frames(f.entry() + f.size() / 2);
        let _ = (f.record(), f.body_len(), f.pc_tables().count());
        let _ = f.funcdata_addrs().count();
        for off in f.pc_tables() {
            let _ = t.pc_table(off);
        }
    }
    let _ = t.func_names().take(64).count();
    for i in 0..probes.len().min(256) / 4 {
        let off = gobin::bytes::u32_le(probes, 4 * i).unwrap_or(0);
        let pc = 0x40_1000 + u64::from(off % 0x10_0000);
        let _ = t.frames_at(pc);
        if let Some(f) = t.func_at(pc) {
            let _ = (
                f.file_line(pc),
                f.sp_delta(pc),
                f.pcdata(2, pc),
                f.funcdata(3),
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let mut image = Image::default();
        image.add(0x60_0000, rest);
        let ctx = Context {
            text_start: Some(0x40_1000),
            gofunc: Some(0x60_0000),
            image,
            ..Context::default()
        };
        if let Ok(t) = Pclntab::parse(rest, 0x60_0000, ctx) {
            exercise(&t, rest.get(rest.len() / 2..).unwrap_or(&[]));
        }
    } else if let Ok(go) = gobin::GoBinary::parse(rest) {
        exercise(&go.pclntab, rest.get(..256).unwrap_or(&[]));
    }
});
