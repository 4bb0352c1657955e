//! Where each part of the table lies, as byte ranges from the table's
//! start: the header and its sub-tables, functab entries, pc-value tables,
//! compilation units' file lists and the name strings. `size` attributes
//! the table's bytes with these; lookups never need them.

use super::pcvalue;
use super::Pclntab;
use crate::bytes;
use std::ops::Range;

/// The parts a Go 1.16+ header points at, in header order. Each ends
/// where the next one (in address order) begins; the linker writes them
/// in header order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubTables {
    /// The header itself.
    pub header: Range<usize>,
    /// Function names (`funcnametab`), inlined functions' names too.
    pub funcnames: Range<usize>,
    /// Per compilation unit, its file-table offsets (`cutab`).
    pub cutab: Range<usize>,
    /// File names (`filetab`).
    pub filetab: Range<usize>,
    /// pc-value tables (`pctab`).
    pub pctab: Range<usize>,
    /// The functab and the `_func` records after it, to the end of the
    /// table's bytes.
    pub functab: Range<usize>,
}

impl<'data> Pclntab<'data> {
    /// The header's sub-tables; `None` for Go 1.2-1.15 tables, which are
    /// one blob.
    pub fn sub_tables(&self) -> Option<&SubTables> {
        self.sub_tables.as_ref()
    }

    /// Start of the functab and records: where funcoffs count from.
    fn functab_start(&self) -> usize {
        self.sub_tables.as_ref().map_or(0, |t| t.functab.start)
    }

    /// Functab entry `i`.
    pub fn functab_entry(&self, i: usize) -> Option<Range<usize>> {
        let size = self.entry_size();
        let start = self
            .functab_start()
            .checked_add(self.functab_off)?
            .checked_add(i.checked_mul(size)?)?;
        Some(start..start.checked_add(size)?)
    }

    /// Offset of function `i`'s `_func` record.
    pub(super) fn record_start(&self, i: usize) -> Option<usize> {
        self.functab_start().checked_add(self.funcoff(i)?)
    }

    /// Every string of the function-name table with its bytes (the NUL
    /// included); a string that is not UTF-8 reads as empty.
    pub fn func_names(&self) -> impl Iterator<Item = (Range<usize>, &'data str)> + '_ {
        let base = self.sub_tables.as_ref().map_or(0, |t| t.funcnames.start);
        let names = self.funcnametab;
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos >= names.len() || self.sub_tables.is_none() {
                return None;
            }
            let bytes = bytes::cstr_bytes(names, pos).unwrap_or(&names[pos..]);
            let name = std::str::from_utf8(bytes).unwrap_or("");
            let end = (pos + bytes.len() + 1).min(names.len());
            let range = base + pos..base + end;
            pos = end;
            Some((range, name))
        })
    }

    /// The bytes of the pc-value table at offset `off` of pctab, up to and
    /// including its terminator; `None` for 0 (absent) or a table that
    /// does not end.
    pub fn pc_table(&self, off: u32) -> Option<Range<usize>> {
        let (len, _) = pcvalue::extent(self.pctab_at(off)?, self.quantum)?;
        let start = self.sub_tables.as_ref()?.pctab.start + off as usize;
        Some(start..start + len)
    }

    /// The run of cutab entries of the compilation unit at cutab index
    /// `cu`, up to the next unit's index (or the end of cutab), with the
    /// file-name offsets it lists. `None` when the run is empty.
    pub fn cu_files(&self, cu: u32, next: Option<u32>) -> Option<(Range<usize>, Vec<u32>)> {
        let cutab = &self.sub_tables.as_ref()?.cutab;
        let start = (cu as usize).saturating_mul(4);
        let end = next
            .map_or(self.cutab.len(), |n| (n as usize).saturating_mul(4))
            .min(self.cutab.len());
        if start >= end {
            return None;
        }
        let files = (start..end)
            .step_by(4)
            .filter_map(|slot| bytes::u32_le(self.cutab, slot))
            .filter(|&f| f != u32::MAX)
            .collect();
        Some((cutab.start + start..cutab.start + end, files))
    }

    /// The bytes of the file name at offset `off` of the file table, its
    /// NUL included.
    pub fn file_name_bytes(&self, off: u32) -> Option<Range<usize>> {
        let n = bytes::cstr_bytes(self.filetab, off as usize)?.len();
        let start = self.sub_tables.as_ref()?.filetab.start + off as usize;
        Some(start..start + n + 1)
    }
}
