//! Mach-O images and fat (universal) containers: the fat splitter, the
//! thin parser and everything `inspect` reads from a slice. The first
//! byte chooses the shape: the rest as-is, or wrapped in a fat header
//! (32- or 64-bit, one or two slices) so the splitter is exercised on
//! every input, not only when mutation happens to produce `cafebabe`.
//! Seeds: the first bytes of the committed darwin fixtures (`fuzz/run.sh`).
#![no_main]

use libfuzzer_sys::fuzz_target;

const CPU_ARM64: u32 = 0x0100_000c;
const CPU_X86_64: u32 = 0x0100_0007;

/// `rest` behind a fat header whose slice entries point at it; offsets
/// and sizes come from the input, so they may lie.
fn fat(mode: u8, rest: &[u8]) -> Vec<u8> {
    let wide = mode & 2 != 0;
    let two = mode & 4 != 0;
    let lie = mode & 8 != 0;
    let nslices: u32 = if two { 2 } else { 1 };
    let entry = if wide { 32 } else { 20 };
    let body = 8 + entry * nslices as usize;
    let mut out = Vec::with_capacity(body + rest.len());
    out.extend_from_slice(if wide {
        &[0xca, 0xfe, 0xba, 0xbf]
    } else {
        &[0xca, 0xfe, 0xba, 0xbe]
    });
    out.extend_from_slice(&nslices.to_be_bytes());
    for i in 0..nslices {
        let cpu = if i == 0 { CPU_ARM64 } else { CPU_X86_64 };
        let (off, size) = if lie {
            let w = |k: usize| gobin::bytes::u32_le(rest, k).unwrap_or(0);
            (w(0) as u64, w(4) as u64)
        } else {
            (body as u64, rest.len() as u64)
        };
        out.extend_from_slice(&cpu.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        if wide {
            out.extend_from_slice(&off.to_be_bytes());
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
        } else {
            out.extend_from_slice(&(off as u32).to_be_bytes());
            out.extend_from_slice(&(size as u32).to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
        }
    }
    out.extend_from_slice(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let wrapped;
    let file = if mode & 1 == 0 {
        rest
    } else {
        wrapped = fat(mode, rest);
        &wrapped
    };
    let _ = gobin::container::is_fat(file);
    if let Ok(report) = gobin::report::inspect(file) {
        let _ = serde_json::to_string(&report);
    }
    for slice in gobin::container::slices(file).unwrap_or_default() {
        let Ok(bin) = gobin::Binary::parse(slice.data) else {
            continue;
        };
        let _ = gobin::buildinfo::read(&bin);
        let _ = bin.layout();
        let _ = (bin.has_symtab(), bin.has_dwarf(), bin.symbols().len());
        let _ = gobin::imports::Stubs::read(&bin).import_at(bin.entry);
        for s in bin.sections() {
            let _ = bin.section_data(s);
        }
        for seg in bin.segments() {
            let _ = bin.read_va(seg.addr, 16);
        }
        let _ = gobin::GoBinary::parse(slice.data);
    }
});
