//! The loader's R_*_RELATIVE relocations, read in place: how a PIE's
//! pointers get their link-time values without a map of every entry.

use crate::bytes;
use object::elf;
use std::sync::OnceLock;

/// Size of an `Elf64_Rela` entry.
pub(super) const RELA_SIZE: usize = 24;
pub(super) const RELA_SIZE_U64: u64 = RELA_SIZE as u64;

/// The R_*_RELATIVE relocations of an ELF file, read in place from its
/// dynamic relocation table (`DT_RELA`).
///
/// A large PIE has hundreds of thousands (244k in Debian's dockerd); a
/// map of them all cost more memory than the rest of a command. Linkers
/// that count them in `DT_RELACOUNT` (GNU ld, lld, mold) write them first
/// and sorted by address, so lookups binary-search the file's bytes and
/// read a few pages of the table. Without that tag (Go's internal linker,
/// which does not sort them) one pass checks whether they are sorted
/// anyway, else collects them into a sorted vector. All of it happens on
/// the first lookup, so commands that read no pointer never touch the
/// table. A count that lies (a corrupt file) can hide relocations, giving
/// the file's own word instead, never a panic.
#[derive(Default)]
pub(super) struct Relocs<'data> {
    /// The raw `Elf64_Rela` entries, little-endian.
    pub(super) raw: &'data [u8],
    /// `DT_RELACOUNT`: how many leading entries are RELATIVE.
    pub(super) count: Option<usize>,
    index: OnceLock<RelocIndex>,
}

enum RelocIndex {
    /// Entries `[0, n)` are every RELATIVE one, sorted by address.
    SortedPrefix(usize),
    /// (address, value) of every RELATIVE entry, sorted by address, file
    /// order among equal addresses.
    Owned(Vec<(u64, u64)>),
}

impl Relocs<'_> {
    fn len(&self) -> usize {
        self.raw.len() / RELA_SIZE
    }

    /// Entry `i`: (r_offset, is RELATIVE, r_addend).
    fn entry(&self, i: usize) -> Option<(u64, bool, u64)> {
        let b = self
            .raw
            .get(i.checked_mul(RELA_SIZE)?..)?
            .get(..RELA_SIZE)?;
        let word = |o: usize| bytes::u64_le(b, o).unwrap_or(0);
        let r_type = (word(8) & 0xffff_ffff) as u32;
        let (x86, arm) = (elf::R_X86_64_RELATIVE.0, elf::R_AARCH64_RELATIVE.0);
        let relative = r_type == x86 || r_type == arm;
        Some((word(0), relative, word(16)))
    }

    fn index(&self) -> &RelocIndex {
        self.index.get_or_init(|| {
            let n = self.len();
            if let Some(c) = self.count.filter(|&c| c > 0 && c <= n) {
                // Trusted as the linkers write it, after a look at both
                // ends of the run.
                if let (Some(first), Some(last)) = (self.entry(0), self.entry(c - 1)) {
                    if first.1 && last.1 && first.0 <= last.0 {
                        return RelocIndex::SortedPrefix(c);
                    }
                }
            }
            let mut prefix = 0;
            let mut prev = 0;
            while let Some((off, true, _)) = self.entry(prefix) {
                if off < prev {
                    break;
                }
                prev = off;
                prefix += 1;
            }
            let rest_relative = (prefix..n).any(|i| self.entry(i).is_some_and(|e| e.1));
            if !rest_relative {
                return RelocIndex::SortedPrefix(prefix);
            }
            let mut v: Vec<(u64, u64)> = (0..n)
                .filter_map(|i| self.entry(i))
                .filter(|e| e.1)
                .map(|(off, _, addend)| (off, addend))
                .collect();
            v.sort_by_key(|e| e.0);
            RelocIndex::Owned(v)
        })
    }

    /// The value the loader writes at `addr`, when it relocates it. Among
    /// several entries for one address the last one counts, as the loader
    /// applies them in order.
    pub(super) fn value_at(&self, addr: u64) -> Option<u64> {
        if self.raw.is_empty() {
            return None;
        }
        match self.index() {
            RelocIndex::SortedPrefix(n) => {
                let (mut lo, mut hi) = (0, *n);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.entry(mid)?.0 <= addr {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                let (off, _, value) = self.entry(lo.checked_sub(1)?)?;
                (off == addr).then_some(value)
            }
            RelocIndex::Owned(v) => {
                let i = v.partition_point(|e| e.0 <= addr).checked_sub(1)?;
                (v[i].0 == addr).then_some(v[i].1)
            }
        }
    }

    /// (address, value) of the relocated words in `[start, end)`, ascending.
    pub(super) fn within(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        if self.raw.is_empty() || start >= end {
            return Vec::new();
        }
        let mut out: Vec<(u64, u64)> = Vec::new();
        let mut push = |off: u64, value: u64| match out.last_mut() {
            // The last of equal addresses is the one that counts.
            Some(last) if last.0 == off => last.1 = value,
            _ => out.push((off, value)),
        };
        match self.index() {
            RelocIndex::SortedPrefix(n) => {
                let (mut lo, mut hi) = (0, *n);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    match self.entry(mid) {
                        Some(e) if e.0 < start => lo = mid + 1,
                        _ => hi = mid,
                    }
                }
                for (off, _, value) in (lo..*n).map_while(|i| self.entry(i)) {
                    if off >= end {
                        break;
                    }
                    push(off, value);
                }
            }
            RelocIndex::Owned(v) => {
                let lo = v.partition_point(|e| e.0 < start);
                for &(off, value) in v[lo..].iter().take_while(|e| e.0 < end) {
                    push(off, value);
                }
            }
        }
        out
    }

    /// Addresses (ascending) whose relocated value is `target`.
    pub(super) fn to(&self, target: u64) -> Vec<u64> {
        if self.raw.is_empty() {
            return Vec::new();
        }
        // (address, value) in address order; the last of equal addresses
        // is the one that counts.
        let pairs: Box<dyn Iterator<Item = (u64, u64)> + '_> = match self.index() {
            RelocIndex::SortedPrefix(n) => Box::new(
                (0..*n)
                    .filter_map(|i| self.entry(i))
                    .map(|(off, _, value)| (off, value)),
            ),
            RelocIndex::Owned(v) => Box::new(v.iter().copied()),
        };
        let mut out: Vec<u64> = Vec::new();
        let mut last: Option<(u64, u64)> = None;
        for (off, value) in pairs {
            if let Some((a, v)) = last {
                if a != off && v == target {
                    out.push(a);
                }
            }
            last = Some((off, value));
        }
        if let Some((a, v)) = last {
            if v == target {
                out.push(a);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Binary;
    use object::Object as _;

    fn rela(entries: &[Entry]) -> Vec<u8> {
        let mut raw = Vec::new();
        for &(off, ty, addend) in entries {
            raw.extend_from_slice(&off.to_le_bytes());
            raw.extend_from_slice(&u64::from(ty).to_le_bytes());
            raw.extend_from_slice(&addend.to_le_bytes());
        }
        raw
    }

    /// (r_offset, r_type, r_addend).
    type Entry = (u64, u32, u64);

    const REL: u32 = 8; // R_X86_64_RELATIVE
    const GLOB_DAT: u32 = 6;

    /// Every path (counted, sorted without a count, unsorted) answers like
    /// a map of the entries with the last entry for an address winning.
    #[test]
    fn relocation_lookups_match_a_map() {
        let sorted = [
            (0x100, REL, 1),
            (0x108, REL, 2),
            (0x108, REL, 3),
            (0x200, REL, 1),
            (0x300, GLOB_DAT, 9),
        ];
        let unsorted = [
            (0x200, REL, 1),
            (0x100, REL, 1),
            (0x300, GLOB_DAT, 9),
            (0x108, REL, 2),
            (0x108, REL, 3),
        ];
        let cases: [(&[Entry], Option<usize>); 4] = [
            (&sorted, Some(4)),
            (&sorted, None),
            (&unsorted, None),
            (&unsorted, Some(1)),
        ];
        for (entries, count) in cases {
            let raw = rela(entries);
            let r = Relocs {
                raw: &raw,
                count,
                index: OnceLock::new(),
            };
            let mut map = std::collections::BTreeMap::new();
            for &(off, ty, addend) in entries {
                if ty == REL {
                    map.insert(off, addend);
                }
            }
            // A count of 1 on unsorted entries is the lying-count case:
            // only check it does not panic.
            let trusted = count != Some(1);
            for addr in [0x0, 0x100, 0x104, 0x108, 0x200, 0x300, 0x400] {
                let got = r.value_at(addr);
                if trusted {
                    assert_eq!(
                        got,
                        map.get(&addr).copied(),
                        "{entries:?} {count:?} {addr:#x}"
                    );
                }
            }
            if trusted {
                let want: Vec<u64> = map.iter().filter(|e| *e.1 == 1).map(|e| *e.0).collect();
                assert_eq!(r.to(1), want);
                let within: Vec<(u64, u64)> =
                    map.range(0x104..0x201).map(|(&a, &v)| (a, v)).collect();
                assert_eq!(r.within(0x104, 0x201), within);
            }
        }
    }

    /// On every PIE fixture the in-place table answers what `object`'s
    /// reading of the relocations does.
    #[test]
    fn fixture_relocations_match_object() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/bin");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(data) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(file) = object::File::parse(&*data) else {
                continue;
            };
            let Some(relocs) = file.dynamic_relocations() else {
                continue;
            };
            let mut map = std::collections::HashMap::new();
            for (offset, rel) in relocs {
                if let object::RelocationFlags::Elf { r_type } = rel.flags() {
                    if r_type == elf::R_X86_64_RELATIVE || r_type == elf::R_AARCH64_RELATIVE {
                        map.insert(offset, rel.addend() as u64);
                    }
                }
            }
            if map.is_empty() {
                continue;
            }
            let bin = Binary::parse(&data).expect("fixture parses");
            for (&addr, &value) in &map {
                assert_eq!(
                    bin.relocs.value_at(addr),
                    Some(value),
                    "{:?} {addr:#x}",
                    entry.path()
                );
            }
            let target = *map.values().next().unwrap_or(&0);
            let mut want: Vec<u64> = map
                .iter()
                .filter(|e| *e.1 == target)
                .map(|e| *e.0)
                .collect();
            want.sort_unstable();
            assert_eq!(bin.relocations_to(target), want);
            checked += 1;
        }
        assert!(checked >= 2, "no PIE fixture with relocations found");
    }
}
