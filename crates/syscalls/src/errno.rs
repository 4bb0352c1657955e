//! errno names and the messages strace prints after them.

use std::sync::OnceLock;

static TABLE: OnceLock<Vec<Option<(&'static str, &'static str)>>> = OnceLock::new();

fn rows() -> &'static [Option<(&'static str, &'static str)>] {
    TABLE.get_or_init(|| {
        let mut v: Vec<Option<(&str, &str)>> = Vec::new();
        for line in include_str!("../data/errno.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut cols = line.splitn(3, '\t');
            let (Some(n), Some(name), Some(msg)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            if v.len() <= n {
                v.resize(n + 1, None);
            }
            v[n] = Some((name, msg));
        }
        v
    })
}

/// The symbolic name of an errno value (`ENOENT` for 2).
pub fn errno_name(errno: i32) -> Option<&'static str> {
    let i = usize::try_from(errno).ok()?;
    rows().get(i).copied().flatten().map(|(n, _)| n)
}

/// The message strace prints in parentheses (glibc's strerror text; strace's
/// own wording for the kernel-internal `ERESTART*` codes).
pub fn errno_message(errno: i32) -> Option<&'static str> {
    let i = usize::try_from(errno).ok()?;
    rows().get(i).copied().flatten().map(|(_, m)| m)
}

/// The errno number for a name (`ENOENT` -> 2).
pub fn errno_from_name(name: &str) -> Option<i32> {
    rows()
        .iter()
        .position(|r| r.is_some_and(|(n, _)| n == name))
        .and_then(|i| i32::try_from(i).ok())
}
