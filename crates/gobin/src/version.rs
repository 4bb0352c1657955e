//! `GoVersion`: every Go-version decision goes through this one type.
//!
//! The exact version comes from build info (`go1.21.13`). When a binary has
//! none, the pclntab magic still bounds it from below (`go1.20+`), which is
//! all the table decoder needs; such a version says so through
//! [`GoVersion::is_lower_bound`] and prints with a `+`.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// A Go release, ordered by (major, minor, patch).
#[derive(Clone, Copy, Debug)]
pub struct GoVersion {
    /// Always 1 so far.
    pub major: u16,
    /// The release line: 20 for go1.20.x.
    pub minor: u16,
    /// Patch release; 0 for the first release and for pre-releases.
    pub patch: u16,
    lower_bound: bool,
}

impl GoVersion {
    /// An exact version.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        GoVersion {
            major,
            minor,
            patch,
            lower_bound: false,
        }
    }

    /// The oldest release that writes tables with this pclntab magic; a
    /// lower bound, not the binary's real version.
    pub fn from_pclntab_magic(magic: u32) -> Option<Self> {
        let minor = match magic {
            0xffff_fffb => 2,
            0xffff_fffa => 16,
            0xffff_fff0 => 18,
            0xffff_fff1 => 20,
            _ => return None,
        };
        Some(GoVersion {
            lower_bound: true,
            ..GoVersion::new(1, minor, 0)
        })
    }

    /// Parses the spellings Go itself prints: `go1.21.13`, `go1.22rc1`,
    /// `go1.20`, `devel go1.23-abcdef Tue ...`, `go1.24.3 X:nocoverageredesign`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let start = s.find("go1.")?;
        let rest = &s[start + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let mut parts = rest[..end].split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) if !p.is_empty() => p.parse().ok()?,
            _ => 0,
        };
        Some(GoVersion::new(major, minor, patch))
    }

    /// True when this version is `major.minor` or newer. A lower bound from
    /// the magic answers for the oldest release it could be.
    pub fn at_least(&self, major: u16, minor: u16) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// True when only a lower bound is known (no build info).
    pub fn is_lower_bound(&self) -> bool {
        self.lower_bound
    }

    fn key(&self) -> (u16, u16, u16) {
        (self.major, self.minor, self.patch)
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for GoVersion {}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        if self.lower_bound {
            f.write_str("+")?;
        }
        Ok(())
    }
}

impl Serialize for GoVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_spellings() {
        assert_eq!(
            GoVersion::parse("go1.21.13"),
            Some(GoVersion::new(1, 21, 13))
        );
        assert_eq!(
            GoVersion::parse("go1.22rc1"),
            Some(GoVersion::new(1, 22, 0))
        );
        assert_eq!(GoVersion::parse("go1.20"), Some(GoVersion::new(1, 20, 0)));
        assert_eq!(
            GoVersion::parse("devel go1.23-abc123 Tue Jan 1"),
            Some(GoVersion::new(1, 23, 0))
        );
        assert_eq!(
            GoVersion::parse("go1.24.3 X:nocoverageredesign"),
            Some(GoVersion::new(1, 24, 3))
        );
        assert_eq!(GoVersion::parse("gopher"), None);
        assert_eq!(GoVersion::parse("go1."), None);
    }

    #[test]
    fn compares_and_prints() {
        let v = GoVersion::new(1, 19, 8);
        assert!(v.at_least(1, 19));
        assert!(!v.at_least(1, 20));
        assert!(GoVersion::new(1, 9, 0) < GoVersion::new(1, 10, 0));
        assert_eq!(v.to_string(), "go1.19.8");
        let m = GoVersion::from_pclntab_magic(0xffff_fff1).unwrap();
        assert!(m.is_lower_bound() && m.at_least(1, 20) && !m.at_least(1, 21));
        assert_eq!(m.to_string(), "go1.20+");
        assert_eq!(GoVersion::from_pclntab_magic(0x1234), None);
    }
}
