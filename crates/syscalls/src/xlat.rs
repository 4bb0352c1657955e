//! Named constants and flag bits as data, and the two ways strace shows
//! them: a `|`-joined bit set, or one symbol.

use model::syscall::Arg;
use std::borrow::Cow;

/// A list of (value, name) pairs for one kind of constant.
pub(crate) struct Xlat {
    pub entries: &'static [(u64, &'static str)],
    /// How a value no entry names prints: as hex (flags, most enums) or
    /// decimal.
    pub unknown_dec: bool,
}

impl Xlat {
    pub const fn new(entries: &'static [(u64, &'static str)]) -> Xlat {
        Xlat {
            entries,
            unknown_dec: false,
        }
    }

    pub const fn dec(entries: &'static [(u64, &'static str)]) -> Xlat {
        Xlat {
            entries,
            unknown_dec: true,
        }
    }

    pub fn name(&self, v: u64) -> Option<&'static str> {
        self.entries.iter().find(|e| e.0 == v).map(|e| e.1)
    }

    /// One symbol; unknown values in hex (or decimal) with strace's
    /// `/* PREFIX_??? */` comment left out for brevity of the model.
    pub fn sym(&self, v: u64) -> Arg {
        match self.name(v) {
            Some(n) => Arg::Sym(n.into()),
            None if self.unknown_dec => Arg::Int(v as i64),
            None => Arg::Hex(v),
        }
    }

    /// A bit set: names of the entries whose bits are all present, in
    /// table order, then the leftover bits in hex. A zero value prints the
    /// table's zero entry if it has one.
    pub fn flags(&self, v: u64) -> Arg {
        let mut names = Vec::new();
        let mut rest = v;
        if v == 0 {
            if let Some(n) = self.name(0) {
                names.push(n.into());
            }
            return Arg::Flags { names, rest: 0 };
        }
        self.take_bits(&mut rest, &mut names);
        Arg::Flags { names, rest }
    }

    /// Appends the names of the entries whose bits are all in `rest`, in
    /// table order, and clears those bits (for words that mix fields and
    /// flags).
    pub fn take_bits(&self, rest: &mut u64, names: &mut Vec<Cow<'static, str>>) {
        for &(bits, name) in self.entries {
            if bits != 0 && *rest & bits == bits {
                names.push(name.into());
                *rest &= !bits;
            }
        }
    }
}
