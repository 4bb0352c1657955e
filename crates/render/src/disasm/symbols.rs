//! Symbols for a binary without a symbol table: the pclntab's functions,
//! named and sized as the linker's symbol table would have them, so a
//! stripped binary's listing diffs clean against its unstripped twin.

use gobin::pclntab::{Abi, Func, Pclntab};
use gobin::symtab::Sym;
use std::collections::HashMap;

/// Function symbols from the pclntab, named as the symbol table would
/// name them: when two functions share a name (an ABI wrapper and its
/// target), the ABI0 one gets the linker's `.abi0` suffix.
pub fn pclntab_symbols(tab: &Pclntab<'_>) -> Vec<Sym> {
    let funcs: Vec<_> = tab.funcs().collect();
    let mut count: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in funcs.iter().enumerate() {
        count.entry(f.name()).or_default().push(i);
    }
    let mut abi0 = vec![false; funcs.len()];
    for idx in count.values().filter(|v| v.len() == 2) {
        let (a, b) = (idx[0], idx[1]);
        let (ka, kb) = (funcs[a].abi(), funcs[b].abi());
        match (ka, kb) {
            (Abi::Abi0, k) if k != Abi::Abi0 => abi0[a] = true,
            (k, Abi::Abi0) if k != Abi::Abi0 => abi0[b] = true,
            (Abi::Wrapper, Abi::Internal) => abi0[a] = true,
            (Abi::Internal, Abi::Wrapper) => abi0[b] = true,
            _ => {}
        }
    }
    funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = if abi0[i] {
                format!("{}.abi0", f.name())
            } else {
                f.name().to_string()
            };
            Sym {
                name,
                addr: f.entry(),
                size: code_end(f) - f.entry(),
                text: true,
            }
        })
        .collect()
}

/// The end of a function's code proper: where its line table stops,
/// before the alignment padding that runs to the next function.
fn code_end(f: &Func<'_>) -> u64 {
    let (mut lo, mut hi) = (f.entry(), f.end());
    if f.line(lo).is_none() {
        return hi;
    }
    // Invariant: line(lo) is known; find the first pc without one.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f.line(mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}
