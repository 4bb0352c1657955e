//! `rabbithole funcs BIN`: the pclntab's function table, sorted by
//! address like `go tool nm -n -size`, with file:line and ABI.

use crate::json;
use gobin::pclntab::Func;
use gobin::GoBinary;
use std::io::{self, Write};

/// Writes one line per function, as they come: address, size, ABI, name
/// and, when known, the entry's file:line after a tab.
pub fn write_text<'f>(
    w: &mut dyn Write,
    go: &GoBinary<'_>,
    funcs: impl Iterator<Item = Func<'f>>,
) -> io::Result<()> {
    for f in funcs {
        let (abi, _) = go.abi(&f);
        write!(
            w,
            "{:>10x} {:>8} {:<11} {}",
            f.entry(),
            f.size(),
            abi.name(),
            f.name()
        )?;
        if let Some((file, line)) = f.entry_position() {
            write!(w, "\t{file}:{line}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Writes the functions, with the binary's warnings, as one document.
pub fn write_json<'f>(
    w: &mut dyn Write,
    go: &GoBinary<'_>,
    funcs: impl Iterator<Item = Func<'f>>,
) -> io::Result<()> {
    let functions = funcs
        .map(|f| {
            let (abi, abi_evidence) = go.abi(&f);
            let pos = f.entry_position();
            json::Func {
                name: f.name(),
                entry: f.entry(),
                end: f.end(),
                file: pos.map(|p| p.0),
                line: pos.map(|p| p.1),
                abi,
                abi_evidence,
                asm: f.is_asm(),
            }
        })
        .collect();
    json::write_pretty(
        w,
        &json::Funcs {
            schema: json::schema::FUNCS,
            functions,
            warnings: &go.warnings,
        },
    )
}
