//! File and line columns of the listing, from the pclntab.

use disasm::listing::Lines;
use gobin::pclntab::Pclntab;

/// Line lookups through the pclntab, with Go's answers for the odd cases
/// (`("", 0)` outside every function, line -1 where its table stops). The
/// current function's runs are decoded once, so a listing stays linear.
pub struct PcLines<'a> {
    tab: Option<&'a Pclntab<'a>>,
    cache: std::cell::RefCell<FuncRuns<'a>>,
}

#[derive(Default)]
struct FuncRuns<'a> {
    entry: u64,
    end: u64,
    found: bool,
    runs: Vec<(u64, u64, Option<&'a str>, i32)>,
    /// The run that answered last: a listing asks in address order.
    hint: usize,
}

impl<'a> PcLines<'a> {
    /// Lookups in `tab`; none without one (not a Go binary).
    pub fn new(tab: Option<&'a Pclntab<'a>>) -> Self {
        PcLines {
            tab,
            cache: Default::default(),
        }
    }
}

impl Lines for PcLines<'_> {
    fn at(&self, pc: u64) -> (&str, i64) {
        let Some(tab) = self.tab else {
            return ("", 0);
        };
        let mut c = self.cache.borrow_mut();
        if !(c.entry <= pc && pc < c.end) {
            *c = match tab.func_at(pc) {
                Some(f) => FuncRuns {
                    entry: f.entry(),
                    end: f.end(),
                    found: true,
                    runs: f.line_runs(),
                    hint: 0,
                },
                None => FuncRuns {
                    entry: pc,
                    end: pc + 1,
                    found: false,
                    runs: Vec::new(),
                    hint: 0,
                },
            };
        }
        if !c.found {
            return ("", 0);
        }
        let has = |i: usize| c.runs.get(i).is_some_and(|r| r.0 <= pc && pc < r.1);
        let i = if has(c.hint) {
            c.hint
        } else if has(c.hint + 1) {
            c.hint + 1
        } else {
            c.runs.partition_point(|r| r.1 <= pc)
        };
        c.hint = i;
        match c.runs.get(i) {
            Some(&(start, _, file, line)) if start <= pc => (file.unwrap_or(""), i64::from(line)),
            _ => ("", -1),
        }
    }
}
