//! `trace -c --by caller|package`: the summary table grouped by who in the
//! program made the calls, each group followed by its syscalls.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Calls, errors and time of one (group, syscall) pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Time spent in them.
    pub time: Duration,
}

impl Count {
    fn add(&mut self, o: &Count) {
        self.calls += o.calls;
        self.errors += o.errors;
        self.time += o.time;
    }
}

/// The group of calls only the Go runtime was on the stack for.
pub const GO_RUNTIME: &str = "(Go runtime)";
/// The group of calls whose stack had no Go frame (C, libc, or no g).
pub const NO_GO_FRAMES: &str = "(no Go frames)";
/// The group of calls whose stack could not be taken.
pub const NO_STACK: &str = "(no stack)";

/// What the groups are, for the table's heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// The first function of the program's own code: outside the
    /// standard library (then, when there is none, outside the runtime and
    /// syscall plumbing).
    Caller,
    /// The first function outside the runtime and syscall plumbing, often
    /// in the standard library (`os.openFileNolog`).
    StdlibCaller,
    /// The caller's package.
    Package,
}

/// The table: groups by calls (most first), their syscalls under them,
/// then a total line.
pub fn by_table(grouping: Grouping, tally: &HashMap<(String, String), Count>) -> String {
    let mut groups: HashMap<&str, Count> = HashMap::new();
    for ((g, _), t) in tally {
        groups.entry(g.as_str()).or_default().add(t);
    }
    let mut order: Vec<(&str, Count)> = groups.into_iter().collect();
    order.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
    let head = match grouping {
        Grouping::Package => "package / syscall",
        Grouping::Caller => "caller / syscall",
        Grouping::StdlibCaller => "stdlib caller / syscall",
    };
    let rule = format!(
        "{} {} {} {}",
        "-".repeat(56),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(11)
    );
    let mut out = format!(
        "{head:<56} {:>9} {:>9} {:>11}\n{rule}\n",
        "calls", "errors", "seconds"
    );
    let mut total = Count::default();
    for (g, c) in order {
        row(&mut out, g, &c);
        let mut rows: Vec<(&str, &Count)> = tally
            .iter()
            .filter(|((gg, _), _)| gg == g)
            .map(|((_, s), t)| (s.as_str(), t))
            .collect();
        rows.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
        for (s, t) in rows {
            row(&mut out, &format!("  {s}"), t);
        }
        total.add(&c);
    }
    out.push_str(&rule);
    out.push('\n');
    row(&mut out, "total", &total);
    out
}

/// One line of the table: a label, then calls, errors and seconds.
fn row(out: &mut String, label: &str, c: &Count) {
    let _ = writeln!(
        out,
        "{label:<56} {:>9} {:>9} {:>11.6}",
        c.calls,
        c.errors,
        c.time.as_secs_f64()
    );
}
