//! Claims from Go's own structures, read from the file so that a stripped
//! binary measures the same: function bodies and their alignment fill, the
//! pclntab's pieces per function, funcdata blobs and `findfunctab`.

use super::claims::{merge_owner, settle, Builder, P_GO};
use super::owners::package_of;
use super::report::Kind;
use gobin::pclntab::{Func, Layout};
use gobin::GoBinary;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// Per package owner id: (code bytes, alignment fill inside them,
/// functions).
pub(super) type CodeTally = HashMap<u32, (u64, u64, u64)>;

/// Claims everything Go structures account for; returns each owner's code
/// tally.
pub(super) fn claim(b: &mut Builder<'_>, go: &GoBinary<'_>) -> CodeTally {
    let funcs: Vec<Func<'_>> = go.pclntab.funcs().collect();
    // Functions whose record is corrupt keep owner 0 for their functab
    // entry, as they always have.
    let mut func_owner = vec![0u32; go.pclntab.len()];
    for f in &funcs {
        if let Some(slot) = func_owner.get_mut(f.index()) {
            *slot = b.owners.id(package_of(f.name()));
        }
    }
    let pieces = pclntab_pieces(b, go, &funcs, &func_owner);
    let mut code = CodeTally::new();
    for f in &funcs {
        let owner = func_owner[f.index()];
        let body = pieces
            .as_ref()
            .and_then(|p| p.body_len.get(f.index()).copied().flatten())
            .unwrap_or(f.size())
            .min(f.size());
        b.claim_va(P_GO, f.entry(), body, Some(Kind::Code), owner);
        b.claim_va(
            P_GO,
            f.entry() + body,
            f.size() - body,
            Some(Kind::Padding),
            owner,
        );
        let e = code.entry(owner).or_default();
        e.0 += f.size();
        e.1 += f.size() - body;
        e.2 += 1;
    }
    let md = go.moduledata.as_ref();
    let findfunctab = md.and_then(|m| m.findfunctab);
    if let (Some(ff), Some(md)) = (findfunctab, md) {
        let owner = b.owners.id(Kind::Pclntab.pool());
        b.claim_va(P_GO, ff, md.findfunctab_len(), Some(Kind::Pclntab), owner);
    }
    if let Some(p) = pieces {
        // The last funcdata blob runs at most to the next structure the
        // runtime points at (moduledata words: gcdata, gcbss, findfunctab,
        // types, the pclntab...), never by symbols, so a stripped twin
        // measures the same.
        let last = p.funcdata.iter().map(|f| f.0).max().unwrap_or(0);
        let mut bound = b.place_of(last).map_or(last, |pl| pl.addr + pl.file_size);
        let md_words = md.map_or(Vec::new(), |m| m.pointers(&go.bin));
        let types = md.and_then(|m| m.types).map(|t| t.0);
        for other in md_words.into_iter().chain(
            [findfunctab, types, Some(go.pclntab.addr())]
                .into_iter()
                .flatten(),
        ) {
            if other > last {
                bound = bound.min(other);
            }
        }
        claim_funcdata(b, p.funcdata, bound);
    }
    code
}

/// What claiming the pclntab's pieces learns for the rest: each
/// function's body length (from its pc/sp table) by function index, and
/// funcdata addresses with their owners.
struct PclnPieces {
    body_len: Vec<Option<u64>>,
    funcdata: Vec<(u64, u32)>,
}

/// Claims the pclntab's pieces: header, names, functab, records, pc-value
/// tables, the cutab run and file names of each compilation unit. A piece
/// used by one package's functions only is that package's; the rest is the
/// shared pool.
fn pclntab_pieces(
    b: &mut Builder<'_>,
    go: &GoBinary<'_>,
    funcs: &[Func<'_>],
    func_owner: &[u32],
) -> Option<PclnPieces> {
    let tab = &go.pclntab;
    if tab.layout() == Layout::V12 {
        b.notes
            .push("Go 1.2-1.15 pclntab: its pieces are not attributed per package".into());
        return None;
    }
    let parts = tab.sub_tables()?;
    let addr = tab.addr();
    let shared = b.owners.id(Kind::Pclntab.pool());
    let claim = |b: &mut Builder<'_>, r: Range<usize>, owner: u32| {
        let len = (r.end - r.start) as u64;
        b.claim_va(P_GO, addr + r.start as u64, len, Some(Kind::Pclntab), owner);
    };
    claim(b, parts.header.clone(), shared);
    // Function names (inlined functions' names too): by the name itself.
    for (range, name) in tab.func_names() {
        let owner = if name.is_empty() {
            shared
        } else {
            b.owners.id(package_of(name))
        };
        claim(b, range, owner);
    }
    for i in 0..tab.len() {
        let owner = func_owner.get(i).copied().unwrap_or(shared);
        if let Some(entry) = tab.functab_entry(i) {
            claim(b, entry, owner);
        }
    }
    let mut table_owner: HashMap<u32, Option<u32>> = HashMap::new();
    let mut cu_owner: BTreeMap<u32, Option<u32>> = BTreeMap::new();
    let mut body_len = vec![None; tab.len()];
    let mut funcdata = Vec::new();
    for f in funcs {
        let Some(record) = f.record() else { continue };
        let owner = func_owner[f.index()];
        claim(b, record, owner);
        for t in f.pc_tables() {
            merge_owner(table_owner.entry(t).or_default(), owner);
        }
        body_len[f.index()] = f.body_len();
        if let Some(cu) = f.cu_offset() {
            merge_owner(cu_owner.entry(cu).or_default(), owner);
        }
        funcdata.extend(f.funcdata_addrs().map(|fd| (fd, owner)));
    }
    for (&t, &owner) in &table_owner {
        if let Some(range) = tab.pc_table(t) {
            claim(b, range, settle(owner, shared));
        }
    }
    // cutab: one run of file indexes per compilation unit (a package).
    let cus: Vec<(u32, Option<u32>)> = cu_owner.into_iter().collect();
    let mut file_owner: BTreeMap<u32, Option<u32>> = BTreeMap::new();
    for (j, &(cu, owner)) in cus.iter().enumerate() {
        let next = cus.get(j + 1).map(|c| c.0);
        let Some((run, files)) = tab.cu_files(cu, next) else {
            continue;
        };
        let owner = settle(owner, shared);
        claim(b, run, owner);
        for f in files {
            merge_owner(file_owner.entry(f).or_default(), owner);
        }
    }
    for (&f, &owner) in &file_owner {
        if let Some(range) = tab.file_name_bytes(f) {
            claim(b, range, settle(owner, shared));
        }
    }
    Some(PclnPieces { body_len, funcdata })
}

/// Stack maps (funcdata 0 and 1) carry their own size.
fn stackmap_len(b: &[u8]) -> Option<u64> {
    let n = u64::from(gobin::bytes::u32_le(b, 0)?);
    let nbit = u64::from(gobin::bytes::u32_le(b, 4)?);
    Some(8 + n.checked_mul(nbit.div_ceil(8))?)
}

/// Claims funcdata blobs: each runs to the next blob, owned by the
/// package when only one package's functions refer to it.
fn claim_funcdata(b: &mut Builder<'_>, mut blobs: Vec<(u64, u32)>, bound: u64) {
    if blobs.is_empty() {
        return;
    }
    let shared = b.owners.id(Kind::Funcdata.pool());
    blobs.sort_unstable();
    let mut starts: Vec<(u64, Option<u32>)> = Vec::new();
    for (a, o) in blobs {
        match starts.last_mut() {
            Some((la, lo)) if *la == a => merge_owner(lo, o),
            _ => starts.push((a, Some(o))),
        }
    }
    for (j, &(a, owner)) in starts.iter().enumerate() {
        let next = starts.get(j + 1).map_or(bound, |n| n.0).max(a);
        let mut len = next - a;
        if j + 1 == starts.len() {
            // The last blob: trust its own header when it is a stack map
            // that fits, else it runs to the bound.
            if let Some(n) = b.bytes_at(a).and_then(stackmap_len) {
                len = len.min(n);
            }
        }
        b.claim_va(P_GO, a, len, Some(Kind::Funcdata), settle(owner, shared));
    }
}
