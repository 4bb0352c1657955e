//! Inputs the `pclntab` fuzz target found, kept so the fixes stay fixed.
//! Each is a raw table read the way the target reads it (the table is
//! also the funcdata memory) and walked the way `funcs`/`disasm` walk it.

use gobin::pclntab::{Context, Image, Pclntab};
use std::sync::mpsc;
use std::time::Duration;

/// Walks every function's pc-value tables and funcdata; returns how many
/// of each it found.
fn walk(table: &'static [u8]) -> (usize, usize) {
    let mut image = Image::default();
    image.add(0x60_0000, table);
    let ctx = Context {
        text_start: Some(0x40_1000),
        gofunc: Some(0x60_0000),
        image,
        ..Context::default()
    };
    let Ok(t) = Pclntab::parse(table, 0x60_0000, ctx) else {
        return (0, 0);
    };
    let (mut tables, mut funcdata) = (0, 0);
    for f in t.funcs().take(64) {
        tables += f.pc_tables().count();
        funcdata += f.funcdata_addrs().count();
    }
    (tables, funcdata)
}

/// The fuzz input claims 419,430,406 pcdata tables for the function
/// whose record starts at table offset 192,040 (its count at +28), in a
/// 12.5 KB record: `pc_tables` went through every claimed slot (7 s in
/// the fuzz build, a libFuzzer timeout). The test also raises that count
/// to the largest a u32 holds. Every table offset is a 4-byte slot inside
/// the record, so no walk can find more tables than the input has words;
/// the old walk yielded every claimed slot (or, at u32::MAX, ran for
/// minutes: the deadline below only turns such a hang into a failure).
#[test]
fn huge_pcdata_count_stops_at_the_record_end() {
    let input: &[u8] = include_bytes!("fuzz_inputs/pclntab-huge-npcdata.bin");
    // The fuzz target's first byte picks the mode; 0 is a raw table.
    assert_eq!(input[0], 0);
    let found: &'static [u8] = input[1..].to_vec().leak();
    let count = 192_040 + 28;
    assert_eq!(gobin::bytes::u32_le(found, count), Some(419_430_406));
    let mut max = found.to_vec();
    max[count..count + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let max: &'static [u8] = max.leak();
    for table in [found, max] {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(walk(table)));
        let got = rx.recv_timeout(Duration::from_secs(60));
        let (tables, funcdata) = got.expect("walking the table did not end");
        assert!(
            tables <= table.len() / 4 && funcdata <= table.len() / 4,
            "{tables} pc tables and {funcdata} funcdata slots in {} bytes",
            table.len()
        );
    }
}
