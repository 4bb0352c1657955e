//! A progress line on stderr for long runs, shown only when stderr is a
//! terminal: redirected output and logs never see it.

use std::io::{IsTerminal as _, Write as _};

/// Counts work done out of a known total on one self-overwriting line.
pub struct Progress {
    what: &'static str,
    total: usize,
    /// Length of the line last written, to blank it out when done.
    shown: usize,
}

impl Progress {
    /// Progress over `total` items, or `None` when stderr is not a
    /// terminal.
    pub fn on_stderr(what: &'static str, total: usize) -> Option<Progress> {
        std::io::stderr().is_terminal().then_some(Progress {
            what,
            total,
            shown: 0,
        })
    }

    /// Shows `done` items of the total.
    pub fn update(&mut self, done: usize) {
        let line = format!("{} {done}/{} functions", self.what, self.total);
        self.shown = line.len();
        let _ = write!(std::io::stderr(), "\r{line}");
    }

    /// Blanks the line out (with spaces: a carriage return works on every
    /// terminal, an erase sequence is one more escape code to get right).
    pub fn finish(self) {
        let _ = write!(std::io::stderr(), "\r{:1$}\r", "", self.shown);
    }
}
