//! The Go 1.2 (1.12-1.15 and 1.2-1.11 records) and Go 1.16 table layouts.
//! No fixture toolchain is that old (they start at Go 1.19), so these
//! tests assemble tables byte by byte from the layout reference
//! (docs: go-internals §1.2-§1.8) and read them back. Also: corrupt
//! tables, which must give an error or a partial answer, never a panic or
//! a hang.

use gobin::pclntab::{Context, Image, Layout, Pclntab};
use gobin::version::GoVersion;
use model::Frame;

const TABLE_ADDR: u64 = 0x60_0000;
const TEXT: u64 = 0x40_1000;

/// A pc-value table: (value, length in bytes) runs, quantum 1.
fn pcvalue(runs: &[(i32, u32)]) -> Vec<u8> {
    fn uvarint(out: &mut Vec<u8>, mut v: u32) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::new();
    let mut prev = -1i32;
    for &(v, len) in runs {
        let d = v - prev;
        let zz = if d < 0 {
            ((-d - 1) as u32) << 1 | 1
        } else {
            (d as u32) << 1
        };
        uvarint(&mut out, zz);
        uvarint(&mut out, len);
        prev = v;
    }
    out.push(0);
    out
}

/// One function to lay out.
struct F {
    name: &'static str,
    size: u32,
    pcsp: Vec<u8>,
    pcfile: Vec<u8>,
    pcln: Vec<u8>,
    /// (pcdata index, table)
    pcdata: Vec<(usize, Vec<u8>)>,
    /// Inline tree entries: (callee name, parent index, call file no, call line, parentPc).
    inl: Vec<(&'static str, i16, i32, i32, i32)>,
}

/// main.main calls main.inner (inlined at main.go:11, body in inner.go:50)
/// and then main.helper is a second, plain function.
fn program(inl_pcdata: usize) -> Vec<F> {
    vec![
        F {
            name: "main.main",
            size: 0x40,
            pcsp: pcvalue(&[(0, 4), (0x18, 0x38), (0, 4)]),
            pcfile: pcvalue(&[(1, 0x20), (2, 0x10), (1, 0x10)]),
            pcln: pcvalue(&[(10, 0x10), (11, 0x10), (50, 0x10), (12, 0x10)]),
            pcdata: vec![(inl_pcdata, pcvalue(&[(-1, 0x20), (0, 0x10), (-1, 0x10)]))],
            inl: vec![("main.inner", -1, 1, 11, 0x18)],
        },
        F {
            name: "main.helper",
            size: 0x20,
            pcsp: pcvalue(&[(0, 0x20)]),
            pcfile: pcvalue(&[(1, 0x20)]),
            pcln: pcvalue(&[(20, 0x10), (21, 0x10)]),
            pcdata: vec![],
            inl: vec![],
        },
    ]
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn align8(b: &mut Vec<u8>) {
    while b.len() % 8 != 0 {
        b.push(0);
    }
}

fn cstr(b: &mut Vec<u8>, s: &str) -> u32 {
    let at = b.len() as u32;
    b.extend_from_slice(s.as_bytes());
    b.push(0);
    at
}

/// A 1.2-magic table with Go 1.12-1.15 `_func` records (funcID, u8
/// nfuncdata) or, with `old`, Go 1.2-1.11 records (i32 nfuncdata).
/// Every offset counts from the table start; pcfile values index the
/// file table directly.
fn build_v12(funcs: &[F], inl_funcdata: usize, old: bool) -> Vec<u8> {
    let n = funcs.len();
    let mut b = vec![0xfb, 0xff, 0xff, 0xff, 0, 0, 1, 8];
    b.extend_from_slice(&(n as u64).to_le_bytes());
    let functab = b.len();
    b.resize(functab + (2 * n + 1) * 8 + 4, 0);
    let filetab_slot = functab + (2 * n + 1) * 8;
    // File table: nfiles, then offsets of names.
    let files = ["", "main.go", "inner.go"];
    align8(&mut b);
    let filetab = b.len();
    put_u32(&mut b, filetab_slot, filetab as u32);
    b.resize(filetab + 4 * files.len(), 0);
    put_u32(&mut b, filetab, files.len() as u32);
    for (i, f) in files.iter().enumerate().skip(1) {
        let off = cstr(&mut b, f);
        put_u32(&mut b, filetab + 4 * i, off);
    }
    let mut entry = TEXT;
    for (i, f) in funcs.iter().enumerate() {
        let name = cstr(&mut b, f.name);
        let pcsp = b.len() as u32;
        b.extend_from_slice(&f.pcsp);
        let pcfile = b.len() as u32;
        b.extend_from_slice(&f.pcfile);
        let pcln = b.len() as u32;
        b.extend_from_slice(&f.pcln);
        let npcdata = f.pcdata.iter().map(|(k, _)| k + 1).max().unwrap_or(0);
        let mut pcdata = vec![0u32; npcdata];
        for (k, t) in &f.pcdata {
            pcdata[*k] = b.len() as u32;
            b.extend_from_slice(t);
        }
        // The inline tree (20-byte 1.12+ entries, 16-byte before) lives
        // in the table too; funcdata are absolute pointers.
        let callee_names: Vec<u32> = f.inl.iter().map(|e| cstr(&mut b, e.0)).collect();
        align8(&mut b);
        let tree = b.len();
        for (&(_, parent, file, line, parent_pc), &name) in f.inl.iter().zip(&callee_names) {
            let at = b.len();
            if old {
                b.resize(at + 16, 0);
                put_u32(&mut b, at, parent as i32 as u32);
                put_u32(&mut b, at + 4, file as u32);
                put_u32(&mut b, at + 8, line as u32);
                put_u32(&mut b, at + 12, name);
            } else {
                b.resize(at + 20, 0);
                b[at..at + 2].copy_from_slice(&parent.to_le_bytes());
                put_u32(&mut b, at + 4, file as u32);
                put_u32(&mut b, at + 8, line as u32);
                put_u32(&mut b, at + 12, name);
                put_u32(&mut b, at + 16, parent_pc as u32);
            }
        }
        align8(&mut b);
        let rec = b.len();
        let nfuncdata = if f.inl.is_empty() {
            0
        } else {
            inl_funcdata + 1
        };
        let fixed = 40 + 4 * npcdata;
        let fd_at = fixed.div_ceil(8) * 8;
        b.resize(rec + fd_at + 8 * nfuncdata, 0);
        put_u64(&mut b, rec, entry);
        put_u32(&mut b, rec + 8, name);
        put_u32(&mut b, rec + 12, 16);
        put_u32(&mut b, rec + 20, pcsp);
        put_u32(&mut b, rec + 24, pcfile);
        put_u32(&mut b, rec + 28, pcln);
        put_u32(&mut b, rec + 32, npcdata as u32);
        if old {
            put_u32(&mut b, rec + 36, nfuncdata as u32);
        } else {
            b[rec + 36] = 0; // funcID normal
            b[rec + 39] = nfuncdata as u8;
        }
        for (k, off) in pcdata.iter().enumerate() {
            put_u32(&mut b, rec + 40 + 4 * k, *off);
        }
        if nfuncdata > 0 {
            put_u64(
                &mut b,
                rec + fd_at + 8 * inl_funcdata,
                TABLE_ADDR + tree as u64,
            );
        }
        put_u64(&mut b, functab + 16 * i, entry);
        put_u64(&mut b, functab + 16 * i + 8, rec as u64);
        entry += u64::from(f.size);
    }
    put_u64(&mut b, functab + 16 * n, entry);
    b
}

/// A Go 1.16-1.17 table: header with sub-table offsets, absolute entry
/// words, CU-relative file numbers, pointer funcdata, 20-byte inline
/// entries (FUNCDATA_InlTree 3, PCDATA_InlTreeIndex 2).
fn build_v116(funcs: &[F]) -> Vec<u8> {
    let n = funcs.len();
    let mut b = vec![0xfa, 0xff, 0xff, 0xff, 0, 0, 1, 8];
    b.resize(64, 0);
    put_u64(&mut b, 8, n as u64);
    // funcnametab
    let funcnametab = b.len();
    let mut names = Vec::new();
    let mut name_offs = Vec::new();
    for f in funcs {
        name_offs.push(cstr(&mut names, f.name));
    }
    let inner_name = cstr(&mut names, "main.inner");
    b.extend_from_slice(&names);
    align8(&mut b);
    // cutab: one CU, file numbers 0.. map into filetab.
    let cutab = b.len();
    let files = ["", "main.go", "inner.go"];
    let mut filetab_bytes = Vec::new();
    let mut file_offs = Vec::new();
    for f in files {
        file_offs.push(cstr(&mut filetab_bytes, f));
    }
    for off in &file_offs {
        b.extend_from_slice(&off.to_le_bytes());
    }
    let filetab = b.len();
    b.extend_from_slice(&filetab_bytes);
    align8(&mut b);
    let pctab = b.len();
    b.push(0); // offset 0 is reserved: "no table"
    let mut offs = Vec::new();
    for f in funcs {
        let mut add = |t: &[u8]| {
            let at = (b.len() - pctab) as u32;
            b.extend_from_slice(t);
            at
        };
        let pcsp = add(&f.pcsp);
        let pcfile = add(&f.pcfile);
        let pcln = add(&f.pcln);
        let pcdata: Vec<(usize, u32)> = f.pcdata.iter().map(|(k, t)| (*k, add(t))).collect();
        offs.push((pcsp, pcfile, pcln, pcdata));
    }
    align8(&mut b);
    let pclntable = b.len();
    b.resize(pclntable + (2 * n + 1) * 8, 0);
    let mut entry = TEXT;
    for (i, f) in funcs.iter().enumerate() {
        align8(&mut b);
        let (pcsp, pcfile, pcln, pcdata) = &offs[i];
        let npcdata = pcdata.iter().map(|(k, _)| k + 1).max().unwrap_or(0);
        let nfuncdata = if f.inl.is_empty() { 0 } else { 4 };
        let rec = b.len();
        let fixed = 44 + 4 * npcdata;
        let fd_at = fixed.div_ceil(8) * 8;
        b.resize(rec + fd_at + 8 * nfuncdata, 0);
        put_u64(&mut b, rec, entry);
        put_u32(&mut b, rec + 8, name_offs[i]);
        put_u32(&mut b, rec + 12, 16);
        put_u32(&mut b, rec + 20, *pcsp);
        put_u32(&mut b, rec + 24, *pcfile);
        put_u32(&mut b, rec + 28, *pcln);
        put_u32(&mut b, rec + 32, npcdata as u32);
        put_u32(&mut b, rec + 36, 0); // cuOffset
        b[rec + 41] = if i == 1 { 4 } else { 0 }; // helper: flag Asm
        b[rec + 43] = nfuncdata as u8;
        for (k, off) in pcdata {
            put_u32(&mut b, rec + 44 + 4 * k, *off);
        }
        if nfuncdata > 0 {
            align8(&mut b);
            let tree = b.len();
            for &(_, parent, file, line, parent_pc) in &f.inl {
                let at = b.len();
                b.resize(at + 20, 0);
                b[at..at + 2].copy_from_slice(&parent.to_le_bytes());
                put_u32(&mut b, at + 4, file as u32);
                put_u32(&mut b, at + 8, line as u32);
                put_u32(&mut b, at + 12, inner_name);
                put_u32(&mut b, at + 16, parent_pc as u32);
            }
            put_u64(&mut b, rec + fd_at + 8 * 3, TABLE_ADDR + tree as u64);
        }
        put_u64(&mut b, pclntable + 16 * i, entry);
        put_u64(&mut b, pclntable + 16 * i + 8, (rec - pclntable) as u64);
        entry += u64::from(f.size);
    }
    put_u64(&mut b, pclntable + 16 * n, entry);
    for (k, v) in [funcnametab, cutab, filetab, pctab, pclntable]
        .iter()
        .enumerate()
    {
        put_u64(&mut b, 24 + 8 * k, *v as u64);
    }
    put_u64(&mut b, 16, files.len() as u64);
    b
}

fn parse<'a>(table: &'a [u8], version: Option<GoVersion>) -> Pclntab<'a> {
    let mut image = Image::default();
    image.add(TABLE_ADDR, table);
    let ctx = Context {
        version,
        image,
        ..Context::default()
    };
    Pclntab::parse(table, TABLE_ADDR, ctx).expect("assembled table parses")
}

fn frame(function: &str, file: &str, line: u32, inlined: bool, pc: u64) -> Frame {
    Frame {
        pc,
        function: function.into(),
        file: file.into(),
        line,
        inlined,
    }
}

/// What every assembled table must answer.
fn check_program(t: &Pclntab<'_>) {
    assert_eq!(t.len(), 2);
    let names: Vec<_> = t.funcs().map(|f| (f.name(), f.entry(), f.end())).collect();
    assert_eq!(
        names,
        vec![
            ("main.main", TEXT, TEXT + 0x40),
            ("main.helper", TEXT + 0x40, TEXT + 0x60)
        ]
    );
    let main = t.func_at(TEXT + 0x3f).expect("main.main");
    assert_eq!(main.name(), "main.main");
    assert_eq!(main.file_line(TEXT), Some(("main.go", 10)));
    assert_eq!(main.file_line(TEXT + 0x24), Some(("inner.go", 50)));
    assert_eq!(main.sp_delta(TEXT + 2), Some(0));
    assert_eq!(main.sp_delta(TEXT + 0x10), Some(0x18));
    assert_eq!(main.frame_size(), Some(0x18));
    assert_eq!(main.args(), Some(16));
    assert!(t.func_at(TEXT - 1).is_none());
    assert!(t.func_at(TEXT + 0x60).is_none());
    assert_eq!(
        t.func_at(TEXT + 0x5f).map(|f| f.name()),
        Some("main.helper")
    );
    assert_eq!(
        t.frames_at(TEXT + 0x24),
        vec![
            frame("main.inner", "inner.go", 50, true, TEXT + 0x24),
            frame("main.main", "main.go", 11, false, TEXT + 0x24),
        ]
    );
    assert_eq!(
        t.frames_at(TEXT + 0x44),
        vec![frame("main.helper", "main.go", 20, false, TEXT + 0x44)]
    );
}

#[test]
fn go112_to_115_records() {
    // Go 1.14-1.15 numbering: FUNCDATA_InlTree 4, PCDATA_InlTreeIndex 2.
    let table = build_v12(&program(2), 4, false);
    let t = parse(&table, Some(GoVersion::new(1, 15, 0)));
    assert_eq!(t.layout(), Layout::V12);
    check_program(&t);
    // Go 1.12-1.13 numbering (FUNCDATA 2, PCDATA 1) is the default when
    // no build info says otherwise.
    let table = build_v12(&program(1), 2, false);
    check_program(&parse(&table, None));
}

#[test]
fn go12_to_111_records_and_call_site_inline_entries() {
    // Go 1.9-1.11: i32 nfuncdata, 16-byte inline entries holding the call
    // site (main.go:11) instead of a parent pc.
    let table = build_v12(&program(1), 2, true);
    check_program(&parse(&table, Some(GoVersion::new(1, 10, 0))));
    // Without a version, the record shape gives the era away.
    check_program(&parse(&table, None));
}

#[test]
fn go116_layout() {
    let table = build_v116(&program(2));
    let t = parse(&table, None);
    assert_eq!(t.layout(), Layout::V116);
    check_program(&t);
    let helper = t.func_at(TEXT + 0x40).unwrap();
    assert!(helper.is_asm());
    assert_eq!(helper.abi(), gobin::pclntab::Abi::Abi0);
}

/// The table's parts by byte range (what `size` attributes): the header's
/// sub-tables, names, functab entries, records, pc-value tables and the
/// compilation unit's files, each where the assembler put it.
#[test]
fn go116_parts_lie_where_they_were_written() {
    let funcs = program(2);
    let table = build_v116(&funcs);
    let t = parse(&table, None);
    let word = |i: usize| gobin::bytes::u64_le(&table, 8 * i).unwrap() as usize;
    let parts = t.sub_tables().unwrap();
    assert_eq!(parts.header, 0..64);
    assert_eq!(parts.funcnames, word(3)..word(4));
    assert_eq!(parts.cutab, word(4)..word(5));
    assert_eq!(parts.filetab, word(5)..word(6));
    assert_eq!(parts.pctab, word(6)..word(7));
    assert_eq!(parts.functab, word(7)..table.len());

    let names: Vec<_> = t.func_names().collect();
    let named: Vec<&str> = names
        .iter()
        .map(|n| n.1)
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(named, ["main.main", "main.helper", "main.inner"]);
    assert_eq!(
        names[0].0,
        parts.funcnames.start..parts.funcnames.start + 10
    );
    assert_eq!(names.last().unwrap().0.end, parts.funcnames.end);
    assert!(names.windows(2).all(|w| w[0].0.end == w[1].0.start));

    let functab = parts.functab.start;
    for (i, (f, want)) in t.funcs().zip(&funcs).enumerate() {
        assert_eq!(
            t.functab_entry(i),
            Some(functab + 16 * i..functab + 16 * (i + 1))
        );
        let funcoff = gobin::bytes::u64_le(&table, functab + 16 * i + 8).unwrap() as usize;
        let record = f.record().unwrap();
        assert_eq!(record.start, functab + funcoff);
        assert_eq!(f.body_len(), Some(u64::from(want.size)));
        let tables: Vec<u32> = f.pc_tables().collect();
        assert_eq!(tables.len(), 3 + want.pcdata.len());
        let pcsp = t.pc_table(tables[0]).unwrap();
        assert_eq!(pcsp.start, parts.pctab.start + tables[0] as usize);
        assert_eq!(pcsp.len(), want.pcsp.len());
        assert_eq!(&table[pcsp], &want.pcsp[..]);
        assert_eq!(
            f.funcdata_addrs().count(),
            usize::from(!want.inl.is_empty())
        );
        assert_eq!(f.cu_offset(), Some(0));
    }
    assert_eq!(t.pc_table(0), None);

    let (run, files) = t.cu_files(0, None).unwrap();
    assert_eq!(run, parts.cutab);
    assert_eq!(files, [0, 1, 9]);
    let main_go = t.file_name_bytes(1).unwrap();
    assert_eq!(&table[main_go], b"main.go\0");
    assert_eq!(t.cu_files(3, None), None);
}

#[test]
fn inline_tree_loops_are_bounded() {
    // parentPc pointing back into the inlined range: the chain repeats.
    let mut p = program(2);
    p[0].inl[0].4 = 0x24;
    let table = build_v116(&p);
    let t = parse(&table, None);
    let frames = t.frames_at(TEXT + 0x24);
    assert!(frames.len() > 2 && frames.len() <= 257, "{}", frames.len());
    assert!(!frames.last().unwrap().inlined);
    // An index past the end of the tree.
    let mut p = program(2);
    p[0].pcdata[0].1 = pcvalue(&[(-1, 0x20), (1_000_000, 0x10), (-1, 0x10)]);
    let table = build_v116(&p);
    let t = parse(&table, None);
    assert_eq!(
        t.frames_at(TEXT + 0x24).last().unwrap().function,
        "main.main"
    );
}

#[test]
fn absurd_counts_and_offsets_are_errors() {
    let mut table = build_v116(&program(2));
    put_u64(&mut table, 8, 1 << 40);
    assert!(Pclntab::parse(&table, TABLE_ADDR, Context::default()).is_err());
    let mut table = build_v116(&program(2));
    put_u64(&mut table, 56, 1 << 40); // pclnOffset
    assert!(Pclntab::parse(&table, TABLE_ADDR, Context::default()).is_err());
    let mut table = build_v12(&program(1), 2, false);
    put_u64(&mut table, 8, u64::MAX / 2);
    assert!(Pclntab::parse(&table, TABLE_ADDR, Context::default()).is_err());
    // Not a table at all.
    assert!(Pclntab::parse(b"\x7fELF\x02\x01\x01\0", 0, Context::default()).is_err());
    assert!(Pclntab::parse(&[], 0, Context::default()).is_err());
    // 1.18+ with a zero text start and no moduledata cannot place code.
    let mut t118 = table.clone();
    t118[..4].copy_from_slice(&0xffff_fff1u32.to_le_bytes());
    assert!(Pclntab::parse(&t118, 0, Context::default()).is_err());
}

#[test]
fn unsorted_functab_gives_a_partial_table_with_a_warning() {
    let mut table = build_v116(&program(2));
    let pclntable = gobin::bytes::u64_le(&table, 56).unwrap() as usize;
    // End entry below the second function's entry.
    put_u64(&mut table, pclntable + 32, TEXT + 0x10);
    let t = Pclntab::parse(&table, TABLE_ADDR, Context::default()).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t.warnings().len(), 1);
    assert_eq!(t.funcs().count(), 1);
}

/// Every truncation and many single-byte corruptions of an assembled table
/// and of a real one: parsing and every lookup return, without panicking.
#[test]
fn corrupt_tables_never_panic() {
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bin/syscall_minimal-go1.27-linux-amd64"
    ))
    .unwrap();
    let go = gobin::GoBinary::parse(&real).unwrap();
    let sect = go.bin.section(".gopclntab").unwrap();
    let real_table = go.bin.section_data(sect).unwrap().to_vec();
    let text = go.pclntab.text_start();
    let exercise = |t: &Pclntab<'_>, pcs: &[u64]| {
        for f in t.funcs().take(200) {
            let _ = (
                f.file_line(f.entry()),
                f.frame_size(),
                f.abi(),
                f.start_line(),
            );
        }
        for &pc in pcs {
            let _ = t.frames_at(pc);
        }
    };
    let small = build_v116(&program(2));
    let pcs: Vec<u64> = (0..0x60).map(|i| TEXT + i).collect();
    for cut in 0..small.len() {
        let b = &small[..cut];
        if let Ok(t) = Pclntab::parse(b, TABLE_ADDR, Context::default()) {
            exercise(&t, &pcs);
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let real_pcs: Vec<u64> = (0..300).map(|i| text + i * 1700).collect();
    for round in 0..400 {
        let (mut b, pcs) = if round % 2 == 0 {
            (small.clone(), &pcs)
        } else {
            (real_table.clone(), &real_pcs)
        };
        for _ in 0..1 + rand() % 8 {
            let i = (rand() % b.len() as u64) as usize;
            b[i] = rand() as u8;
        }
        let mut image = Image::default();
        image.add(TABLE_ADDR, &b);
        let ctx = Context {
            text_start: Some(text),
            gofunc: Some(TABLE_ADDR),
            image,
            ..Context::default()
        };
        if let Ok(t) = Pclntab::parse(&b, TABLE_ADDR, ctx) {
            exercise(&t, pcs);
        }
    }
    for cut in [8, 64, 100, 1000, real_table.len() / 2, real_table.len() - 1] {
        let ctx = Context {
            text_start: Some(text),
            ..Context::default()
        };
        if let Ok(t) = Pclntab::parse(&real_table[..cut], 0, ctx) {
            exercise(&t, &real_pcs);
        }
    }
}

#[test]
fn non_go_files_are_errors() {
    for bytes in [
        &b""[..],
        b"hello",
        &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0],
    ] {
        assert!(gobin::GoBinary::parse(bytes).is_err());
    }
    if let Ok(sh) = std::fs::read("/bin/sh") {
        let err = gobin::GoBinary::parse(&sh)
            .err()
            .expect("/bin/sh is not Go");
        assert!(err.to_string().contains("pclntab"), "{err}");
    }
}
