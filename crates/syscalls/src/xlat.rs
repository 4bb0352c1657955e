//! Named constants and flag bits as data, and the two ways strace shows
//! them: a `|`-joined bit set, or one symbol.

use model::syscall::Arg;
use std::borrow::Cow;

/// A list of (value, name) pairs for one kind of constant.
pub(crate) struct Xlat {
    pub entries: &'static [(u64, &'static str)],
    /// How a value no entry names prints: in hex (flags, most enums) or,
    /// where strace uses `printxval_d` (protocol numbers), in decimal.
    pub unknown_dec: bool,
}

impl Xlat {
    pub const fn new(entries: &'static [(u64, &'static str)]) -> Xlat {
        Xlat {
            entries,
            unknown_dec: false,
        }
    }

    /// A table whose unknown values print in decimal.
    pub const fn dec(entries: &'static [(u64, &'static str)]) -> Xlat {
        Xlat {
            entries,
            unknown_dec: true,
        }
    }

    pub fn name(&self, v: u64) -> Option<&'static str> {
        self.entries.iter().find(|e| e.0 == v).map(|e| e.1)
    }

    /// One symbol. A value no entry names prints as strace's `printxval`
    /// prints it: in hex (decimal for [`Xlat::dec`] tables), with the
    /// table's `/* PREFIX_??? */` comment.
    pub fn sym(&self, v: u64) -> Arg {
        match self.name(v) {
            Some(n) => Arg::Sym(n.into()),
            None => Arg::Commented {
                value: Box::new(if self.unknown_dec {
                    Arg::Int(v as i64)
                } else {
                    Arg::Hex(v)
                }),
                comment: self.unknown(),
            },
        }
    }

    /// strace's name for a value outside the table: the prefix every
    /// name shares, up to its last `_`, then `???` (`RLIMIT_???`).
    pub fn unknown(&self) -> String {
        let mut names = self.entries.iter().map(|e| e.1);
        let first = names.next().unwrap_or("");
        let common = names.fold(first.len(), |len, n| {
            first
                .bytes()
                .zip(n.bytes())
                .take(len)
                .take_while(|(a, b)| a == b)
                .count()
        });
        let prefix = first[..common].rfind('_').map_or("", |i| &first[..=i]);
        format!("{prefix}???")
    }

    /// A bit set as strace prints it: [`Xlat::bits`], except that a value
    /// in which no bit has a name prints as `0x10 /* PREFIX_??? */`.
    pub fn flags(&self, v: u64) -> Arg {
        self.unnamed_bits(self.bits(v))
    }

    /// A bit set built from this table (or several) given strace's form for
    /// a nonzero value with no named bit.
    pub fn unnamed_bits(&self, a: Arg) -> Arg {
        match a {
            Arg::Flags { names, rest } if names.is_empty() && rest != 0 => Arg::Commented {
                value: Box::new(Arg::Hex(rest)),
                comment: self.unknown(),
            },
            other => other,
        }
    }

    /// A bit set: names of the entries whose bits are all present, in
    /// table order, then the leftover bits in hex. A zero value prints the
    /// table's zero entry if it has one.
    pub fn bits(&self, v: u64) -> Arg {
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
