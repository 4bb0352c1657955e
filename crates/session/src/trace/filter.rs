//! `-e trace=...`: which syscall numbers a trace shows.

use crate::Error;
use std::collections::BTreeSet;

/// Numbers below this are looked up in a table; a traced call beyond it
/// is shown only when nothing is filtered.
const TABLE_SIZE: usize = 1024;

/// The syscalls selected by the `-e` options, `None` when they select
/// everything (no `-e trace=`). Only `trace=` (or a bare list) is
/// supported; the last one wins, as in strace.
pub(crate) fn selected(
    arch: model::Arch,
    exprs: &[String],
) -> Result<Option<BTreeSet<u64>>, Error> {
    let mut found = None;
    for e in exprs {
        let value = match e.split_once('=') {
            Some(("trace", v)) => v,
            Some((kind, _)) => {
                return Err(Error::Usage(format!(
                    "-e {kind}=... is not supported (only trace=)"
                )))
            }
            None => e.as_str(),
        };
        found = Some(value);
    }
    match found {
        Some(expr) => Ok(Some(syscalls::parse_trace_set(arch, expr)?)),
        None => Ok(None),
    }
}

/// The selection as a lookup table by syscall number.
pub(crate) struct Wanted {
    table: Vec<bool>,
    /// Whether numbers beyond the table are traced (no `-e trace=` set).
    rest: bool,
}

impl Wanted {
    pub(crate) fn new(selected: Option<&BTreeSet<u64>>) -> Wanted {
        let mut table = vec![selected.is_none(); TABLE_SIZE];
        if let Some(set) = selected {
            for &nr in set {
                if let Some(w) = usize::try_from(nr).ok().and_then(|i| table.get_mut(i)) {
                    *w = true;
                }
            }
        }
        Wanted {
            rest: table.iter().all(|w| *w),
            table,
        }
    }

    pub(crate) fn contains(&self, nr: u64) -> bool {
        usize::try_from(nr)
            .ok()
            .and_then(|i| self.table.get(i))
            .copied()
            .unwrap_or(self.rest)
    }
}
