//! Claims on file ranges at priority levels, and their resolution into
//! pieces that cover the file exactly once: a higher level wins where
//! claims overlap, and bytes nobody claims become padding (zeros) or
//! "unattributed".

use super::report::Kind;
use std::collections::HashMap;

/// Claim priority levels (higher wins).
/// Container structures: headers, header tables, load commands.
pub(super) const P_STRUCT: u8 = 5;
/// Go structures read from the file itself, and symbol-table entries.
pub(super) const P_GO: u8 = 4;
/// Symbols with a size (or, on Mach-O, the span to the next symbol).
pub(super) const P_SYM: u8 = 3;
/// The span after a zero-size container symbol; `__LINKEDIT` tables.
pub(super) const P_CONTAINER: u8 = 2;
/// The rest of each section, by the section's kind.
pub(super) const P_SECTION: u8 = 1;

/// A claim on the file bytes `[start, end)`, and, once resolved, one
/// attributed piece.
#[derive(Clone, Copy, Debug)]
pub(super) struct Claim {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) kind: Kind,
    /// Owner: a package or pool name, interned.
    pub(super) owner: u32,
    /// Place: a section label or a structure name, interned.
    pub(super) place: u32,
}

/// Interned strings: owners and places.
#[derive(Default)]
pub(super) struct Names {
    pub(super) list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    pub(super) fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// One section with file bytes, for mapping addresses to file offsets.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub(super) addr: u64,
    pub(super) off: u64,
    pub(super) file_size: u64,
    pub(super) kind: Kind,
    pub(super) place: u32,
}

/// The claims of one file, by priority level, and what they need to map
/// addresses to file offsets.
pub(super) struct Builder<'a> {
    pub(super) data: &'a [u8],
    levels: [Vec<Claim>; 6],
    pub(super) owners: Names,
    pub(super) places: Names,
    /// Loaded sections with file bytes, sorted by address.
    by_addr: Vec<Place>,
    pub(super) notes: Vec<String>,
}

/// What resolving the claims gives: non-overlapping pieces covering the
/// file, in file order, with the interned names they refer to.
pub(super) struct Resolved {
    pub(super) pieces: Vec<Claim>,
    pub(super) owners: Names,
    pub(super) places: Names,
    pub(super) notes: Vec<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Builder {
            data,
            levels: Default::default(),
            owners: Names::default(),
            places: Names::default(),
            by_addr: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a loaded section with file bytes to the address map.
    pub(super) fn map_section(&mut self, place: Place) {
        let i = self.by_addr.partition_point(|p| p.addr <= place.addr);
        self.by_addr.insert(i, place);
    }

    pub(super) fn claim(
        &mut self,
        prio: u8,
        start: u64,
        end: u64,
        kind: Kind,
        owner: u32,
        place: u32,
    ) {
        let end = end.min(self.data.len() as u64);
        if start < end {
            self.levels[usize::from(prio)].push(Claim {
                start,
                end,
                kind,
                owner,
                place,
            });
        }
    }

    /// The loaded section holding `addr`.
    pub(super) fn place_of(&self, addr: u64) -> Option<&Place> {
        let i = self.by_addr.partition_point(|p| p.addr <= addr);
        let p = self.by_addr.get(i.checked_sub(1)?)?;
        (addr - p.addr < p.file_size).then_some(p)
    }

    /// Claims `[addr, addr+len)` clipped to the section holding `addr`.
    pub(super) fn claim_va(
        &mut self,
        prio: u8,
        addr: u64,
        len: u64,
        kind: Option<Kind>,
        owner: u32,
    ) {
        let Some(p) = self.place_of(addr) else {
            return;
        };
        let rel = addr - p.addr;
        let len = len.min(p.file_size - rel);
        let (start, place, pk) = (p.off + rel, p.place, p.kind);
        self.claim(prio, start, start + len, kind.unwrap_or(pk), owner, place);
    }

    /// The file bytes at a virtual address, up to the end of its section.
    pub(super) fn bytes_at(&self, addr: u64) -> Option<&'a [u8]> {
        let p = self.place_of(addr)?;
        let start = usize::try_from(p.off.checked_add(addr - p.addr)?).ok()?;
        let end = usize::try_from(p.off.checked_add(p.file_size)?).ok()?;
        self.data.get(start..end)
    }

    /// Resolves the claims into non-overlapping pieces covering the file.
    pub(super) fn resolve(mut self) -> Resolved {
        let mut covered: Vec<(u64, u64)> = Vec::new();
        let mut pieces: Vec<Claim> = Vec::new();
        for prio in (0..self.levels.len()).rev() {
            let mut level = std::mem::take(&mut self.levels[prio]);
            level.sort_by_key(|c| c.start);
            let mut new: Vec<Claim> = Vec::new();
            let mut level_end = 0u64;
            for c in level {
                let mut s = c.start.max(level_end);
                if s >= c.end {
                    continue;
                }
                level_end = c.end;
                let mut i = covered.partition_point(|&(_, e)| e <= s);
                while s < c.end {
                    match covered.get(i) {
                        Some(&(cs, ce)) if cs < c.end => {
                            if s < cs {
                                new.push(Claim {
                                    start: s,
                                    end: cs,
                                    ..c
                                });
                            }
                            s = s.max(ce);
                            i += 1;
                        }
                        _ => {
                            new.push(Claim { start: s, ..c });
                            s = c.end;
                        }
                    }
                }
            }
            covered.extend(new.iter().map(|c| (c.start, c.end)));
            covered.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(covered.len());
            for (s, e) in covered {
                match merged.last_mut() {
                    Some(last) if last.1 >= s => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            covered = merged;
            pieces.extend(new);
        }
        pieces.sort_by_key(|c| c.start);
        // Gaps: zero runs are padding, anything else is unattributed.
        let pad_owner = self.owners.id(Kind::Padding.pool());
        let un_owner = self.owners.id(Kind::Unattributed.pool());
        let pad_place = self.places.id("(padding)");
        let un_place = self.places.id("(unattributed)");
        let mut out = Vec::with_capacity(pieces.len() * 2);
        let mut pos = 0u64;
        let size = self.data.len() as u64;
        let data = self.data;
        let gap = |from: u64, to: u64, out: &mut Vec<Claim>| {
            if from >= to {
                return;
            }
            let bytes = &data[from as usize..to as usize];
            let lead = bytes.iter().take_while(|&&b| b == 0).count() as u64;
            let trail = if lead as usize == bytes.len() {
                0
            } else {
                bytes.iter().rev().take_while(|&&b| b == 0).count() as u64
            };
            let mid = (from + lead, to - trail);
            for (s, e, k, o, p) in [
                (from, mid.0, Kind::Padding, pad_owner, pad_place),
                (mid.0, mid.1, Kind::Unattributed, un_owner, un_place),
                (mid.1, to, Kind::Padding, pad_owner, pad_place),
            ] {
                if s < e {
                    out.push(Claim {
                        start: s,
                        end: e,
                        kind: k,
                        owner: o,
                        place: p,
                    });
                }
            }
        };
        for c in pieces {
            gap(pos, c.start, &mut out);
            pos = c.end;
            out.push(c);
        }
        // A short tail after the last structure is the image's own fill
        // (strip leaves some) and is classified like any gap; a long one
        // is not the binary's and is counted, not read (a Go binary at the
        // start of a 4 GB file must not page in 4 GB to be measured).
        if size.saturating_sub(pos) <= TAIL_READ {
            gap(pos, size, &mut out);
        } else {
            out.push(Claim {
                start: pos,
                end: size,
                kind: Kind::Unattributed,
                owner: un_owner,
                place: self.places.id(AFTER_IMAGE),
            });
        }
        Resolved {
            pieces: out,
            owners: self.owners,
            places: self.places,
            notes: self.notes,
        }
    }
}

/// The most bytes after the image's last structure that are read to tell
/// padding from data.
pub(super) const TAIL_READ: u64 = 1 << 20;

/// Where bytes past the image's last structure are counted: data
/// appended to the file, or the rest of a larger file holding a binary.
pub(super) const AFTER_IMAGE: &str = "(after the end of the binary)";

/// An owner slot shared by several functions' claims: the one owner, or
/// [`MIXED`] once two differ.
pub(super) const MIXED: u32 = u32::MAX;

/// Adds owner `o` to a slot shared by several claimants.
pub(super) fn merge_owner(slot: &mut Option<u32>, o: u32) {
    *slot = match *slot {
        None => Some(o),
        Some(x) if x == o => Some(x),
        Some(_) => Some(MIXED),
    };
}

/// The owner of a shared slot: its one owner, else `shared`.
pub(super) fn settle(slot: Option<u32>, shared: u32) -> u32 {
    slot.filter(|&o| o != MIXED).unwrap_or(shared)
}
