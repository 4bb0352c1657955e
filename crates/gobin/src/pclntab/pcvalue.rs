//! pc-value tables: the run-length encoding behind pcsp, pcfile, pcln and
//! every pcdata table (go-internals §1.7).
//!
//! Each step is a zig-zag value delta and a pc delta (in units of the
//! instruction quantum), both as uvarints. Decoding is a forward walk with
//! no allocation: tables are short (one function each), and a cache would
//! cost more memory than the walk costs time.

use crate::bytes;

/// A forward walk over one pc-value table, yielding `(start, end, value)`
/// ranges: `value` holds for pcs in `[start, end)`.
pub(crate) struct PcValues<'a> {
    data: &'a [u8],
    pos: usize,
    pc: u64,
    value: i32,
    first: bool,
    quantum: u64,
    /// The terminator was read: the walk ended with the table, not by
    /// running off the end of the bytes.
    ended: bool,
}

impl<'a> PcValues<'a> {
    /// Starts a walk at `entry` over `data`, which begins at the table and
    /// may run to the end of pctab (the table ends itself).
    pub(crate) fn new(data: &'a [u8], entry: u64, quantum: u8) -> Self {
        PcValues {
            data,
            pos: 0,
            pc: entry,
            value: -1,
            first: true,
            quantum: u64::from(quantum.max(1)),
            ended: false,
        }
    }
}

impl Iterator for PcValues<'_> {
    type Item = (u64, u64, i32);

    fn next(&mut self) -> Option<Self::Item> {
        let uv = bytes::uvarint32(self.data, &mut self.pos)?;
        if uv == 0 && !self.first {
            self.ended = true;
            return None;
        }
        self.first = false;
        self.value = self.value.wrapping_add(zigzag(uv));
        let pcdelta = bytes::uvarint32(self.data, &mut self.pos)?;
        let start = self.pc;
        self.pc = self
            .pc
            .checked_add(u64::from(pcdelta).checked_mul(self.quantum)?)?;
        Some((start, self.pc, self.value))
    }
}

/// Most pairs walked by [`extent`] (a function of 1 MB at one pair per
/// byte; real tables have far fewer).
const MAX_PAIRS: usize = 1 << 20;

/// The bytes a whole table occupies (its terminator included) and the pc
/// span it covers; `None` when it does not end.
pub(crate) fn extent(data: &[u8], quantum: u8) -> Option<(usize, u64)> {
    let mut walk = PcValues::new(data, 0, quantum);
    let span = walk.by_ref().take(MAX_PAIRS).last().map_or(0, |r| r.1);
    walk.ended.then_some((walk.pos, span))
}

/// The value at `pc`, or `None` when the table does not cover it (the
/// runtime's "-1, unknown").
pub(crate) fn value_at(data: &[u8], entry: u64, quantum: u8, pc: u64) -> Option<i32> {
    if pc < entry {
        return None;
    }
    // The walk of [`PcValues`] to the first range ending past `pc`, as a
    // plain loop: every lookup makes three of these walks.
    let quantum = u64::from(quantum.max(1));
    let (mut pos, mut end, mut value) = (0usize, entry, -1i32);
    let mut first = true;
    loop {
        let uv = bytes::uvarint32(data, &mut pos)?;
        if uv == 0 && !first {
            return None;
        }
        first = false;
        value = value.wrapping_add(zigzag(uv));
        let pcdelta = bytes::uvarint32(data, &mut pos)?;
        end = end.checked_add(u64::from(pcdelta) * quantum)?;
        if pc < end {
            return Some(value);
        }
    }
}

/// A zig-zag encoded delta.
fn zigzag(uv: u32) -> i32 {
    if uv & 1 != 0 {
        -((uv >> 1) as i32) - 1
    } else {
        (uv >> 1) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pcsp table of main.main in the go1.27 amd64 sample
    /// (go-internals §1.7 worked example).
    const MAIN_PCSP: [u8; 11] = [
        0x02, 0x07, 0x10, 0x07, 0x60, 0x3b, 0x5f, 0x01, 0x0f, 0x08, 0x00,
    ];

    #[test]
    fn decodes_worked_example() {
        let got: Vec<_> = PcValues::new(&MAIN_PCSP, 0x1000, 1).collect();
        assert_eq!(
            got,
            vec![
                (0x1000, 0x1007, 0),
                (0x1007, 0x100e, 8),
                (0x100e, 0x1049, 56),
                (0x1049, 0x104a, 8),
                (0x104a, 0x1052, 0),
            ]
        );
        assert_eq!(value_at(&MAIN_PCSP, 0x1000, 1, 0x1010), Some(56));
        assert_eq!(value_at(&MAIN_PCSP, 0x1000, 1, 0x1052), None);
        assert_eq!(value_at(&MAIN_PCSP, 0x1000, 1, 0xfff), None);
    }

    #[test]
    fn value_at_agrees_with_the_walk() {
        let tables: [&[u8]; 4] = [
            &MAIN_PCSP,
            &[0x02, 0x07],
            &[0x02, 0x07, 0x00],
            &[0x01, 0x90, 0x03, 0x04, 0x05, 0x00],
        ];
        for t in tables {
            for q in [1, 4] {
                for pc in 0xff0..0x1400 {
                    let want = if pc < 0x1000 {
                        None
                    } else {
                        PcValues::new(t, 0x1000, q)
                            .find(|&(_, end, _)| pc < end)
                            .map(|r| r.2)
                    };
                    assert_eq!(value_at(t, 0x1000, q, pc), want, "{t:?} q={q} pc={pc:#x}");
                }
            }
        }
    }

    #[test]
    fn extent_stops_at_terminator() {
        // value +1 over 5 pcs, value +2 over 3 pcs, end.
        let t = [2, 5, 4, 3, 0, 9];
        assert_eq!(extent(&t, 1), Some((5, 8)));
        assert_eq!(extent(&t, 4), Some((5, 32)));
        assert_eq!(extent(&[2, 5], 1), None);
    }

    #[test]
    fn quantum_scales_pc() {
        assert_eq!(value_at(&MAIN_PCSP, 0, 4, 27), Some(0));
        assert_eq!(value_at(&MAIN_PCSP, 0, 4, 28), Some(8));
    }

    #[test]
    fn truncated_and_overlong_varints_end_the_walk() {
        assert_eq!(PcValues::new(&[0x02], 0, 1).count(), 0);
        assert_eq!(PcValues::new(&[0x80, 0x80], 0, 1).count(), 0);
    }
}
