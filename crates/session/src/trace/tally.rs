//! `-c`: calls, errors and time per syscall, printed as strace's table at
//! the end.

use model::syscall::{Call, SummaryRow};
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Default)]
struct Count {
    calls: u64,
    errors: u64,
    time: Duration,
}

/// The counts of one trace, by syscall name.
#[derive(Default)]
pub(crate) struct Tally {
    by_name: HashMap<Cow<'static, str>, Count>,
}

impl Tally {
    /// Counts one finished call. Its name is kept as the call has it:
    /// the table's names are static, so the key costs no allocation.
    pub(crate) fn add(&mut self, call: &Call, error: bool, took: Option<Duration>) {
        let t = self.by_name.entry(call.name.clone()).or_default();
        t.calls += 1;
        t.errors += u64::from(error);
        t.time += took.unwrap_or_default();
    }

    /// The rows of strace's `-c` table, in no particular order (the
    /// printer sorts them).
    pub(crate) fn rows(&self) -> Vec<SummaryRow> {
        self.by_name
            .iter()
            .map(|(name, t)| SummaryRow {
                name: name.to_string(),
                calls: t.calls,
                errors: t.errors,
                seconds: t.time.as_secs_f64(),
            })
            .collect()
    }
}
