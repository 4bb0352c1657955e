//! Warnings about a binary's contents, printed on stderr before the
//! output proper so a pipe still gets clean data.

use std::io::{self, Write};

/// Writes `rabbithole: FILE: warning: TEXT`, one line each.
pub fn write(w: &mut dyn Write, file: &str, warnings: &[String]) -> io::Result<()> {
    let file = crate::terminal::escape(file);
    for warning in warnings {
        let warning = crate::terminal::escape(warning);
        writeln!(w, "rabbithole: {file}: warning: {warning}")?;
    }
    Ok(())
}
