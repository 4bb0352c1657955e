//! Column layout of `go tool objdump` listings.
//!
//! Go pipes each function's lines through an elastic-tabstop writer
//! (minimum cell width 18, tab width 8, padding 1, padding with tabs): every
//! tab-terminated cell is padded with as many tabs as it takes to reach the
//! widest cell of its column, measured over the run of consecutive lines
//! that have that column. Reproducing that layout byte for byte is what
//! lets users `diff` our output against Go's.

/// Elastic tab stops with tab padding, flushed per function.
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    lines: Vec<String>,
}

impl Default for TabWriter {
    fn default() -> Self {
        TabWriter::new(18, 8, 1)
    }
}

impl TabWriter {
    /// A writer with the given minimum cell width, tab width and padding.
    pub fn new(minwidth: usize, tabwidth: usize, padding: usize) -> TabWriter {
        TabWriter {
            minwidth,
            tabwidth: tabwidth.max(1),
            padding,
            lines: Vec::new(),
        }
    }

    /// Queues one line; `\t` ends a cell. No trailing newline.
    pub fn line(&mut self, text: String) {
        self.lines.push(text);
    }

    /// Lays out the queued lines into `out` (each ending in `\n`) and
    /// empties the queue.
    pub fn flush(&mut self, out: &mut String) {
        let lines = std::mem::take(&mut self.lines);
        let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
        let mut widths = Vec::new();
        self.format(&cells, 0, cells.len(), &mut widths, out);
    }

    fn format(
        &self,
        cells: &[Vec<&str>],
        mut line0: usize,
        line1: usize,
        widths: &mut Vec<usize>,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= cells[this].len() {
                this += 1;
                continue;
            }
            // A block of lines that all have a cell in this column.
            self.write_lines(cells, line0, this, widths, out);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 && column + 1 < cells[this].len() {
                let w = cells[this][column].chars().count() + self.padding;
                width = width.max(w);
                this += 1;
            }
            widths.push(width);
            self.format(cells, line0, this, widths, out);
            widths.pop();
            line0 = this;
        }
        self.write_lines(cells, line0, line1, widths, out);
    }

    fn write_lines(
        &self,
        cells: &[Vec<&str>],
        from: usize,
        to: usize,
        widths: &[usize],
        out: &mut String,
    ) {
        for line in &cells[from..to] {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if j + 1 < line.len() {
                    if let Some(&w) = widths.get(j) {
                        let textw = cell.chars().count();
                        let cellw = w.div_ceil(self.tabwidth) * self.tabwidth;
                        let n = cellw.saturating_sub(textw);
                        for _ in 0..n.div_ceil(self.tabwidth) {
                            out.push('\t');
                        }
                    } else {
                        // A cell past the known columns: Go writes it as is.
                        out.push('\t');
                    }
                }
            }
            out.push('\n');
        }
    }
}

/// The hex column: bytes on amd64, 32-bit little-endian words on arm64.
pub fn hex_column(arch: crate::Arch, bytes: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    match arch {
        crate::Arch::Arm64 if bytes.len().is_multiple_of(4) => {
            for (k, w) in bytes.chunks_exact(4).enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                let v = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                let _ = write!(out, "{v:08x}");
            }
        }
        _ => {
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
        }
    }
}

/// The last path element, as Go's objdump shows file names in each line.
pub fn base_name(path: &str) -> &str {
    let p = path.rsplit('/').next().unwrap_or(path);
    p.rsplit('\\').next().unwrap_or(p)
}

/// Source positions for the listing: the full file name and line at a pc,
/// as Go's line table answers (`("", 0)` outside any function, line `-1`
/// where the function's table does not reach).
pub trait Lines {
    /// File and line at `pc`.
    fn at(&self, pc: u64) -> (&str, i64);
}

/// No line information.
pub struct NoLines;

impl Lines for NoLines {
    fn at(&self, _pc: u64) -> (&str, i64) {
        ("", 0)
    }
}

/// Returns the source text to show above the instructions of a file:line.
pub type SourceFn<'a> = &'a dyn Fn(&str, i64) -> Option<String>;

/// What to print for one function.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Instruction syntax.
    pub syntax: crate::Syntax,
    /// Go syntax with the GNU form as a `//` comment, like `go tool objdump -gnu`.
    pub both: bool,
}

/// Writes one function the way `go tool objdump` does: the `TEXT` header,
/// then one line per instruction laid out by [`TabWriter`]. `code` holds the
/// bytes from `start` to the function's end (decoding never reads past it,
/// as Go's does not). `source` returns a source line to print above the
/// instructions of a new file:line (the `--source` view).
#[allow(clippy::too_many_arguments)]
pub fn write_function(
    arch: crate::Arch,
    name: &str,
    start: u64,
    code: &[u8],
    syms: &dyn crate::SymbolLookup,
    lines: &dyn Lines,
    opts: Options,
    source: Option<SourceFn<'_>>,
    out: &mut String,
) {
    use std::fmt::Write as _;
    let (file, _) = lines.at(start);
    let _ = writeln!(out, "TEXT {name}(SB) {file}");
    let mut tw = TabWriter::default();
    let mut off = 0usize;
    let mut last: (String, i64) = (String::new(), i64::MIN);
    while off < code.len() {
        let pc = start + off as u64;
        let inst = crate::decode(arch, &code[off..], pc);
        let len = (inst.len as usize).clamp(1, code.len() - off);
        let (file, line) = lines.at(pc);
        if let Some(src) = source {
            if last.1 != line || last.0 != file {
                if let Some(text) = src(file, line) {
                    tw.line(text);
                }
                last = (file.to_string(), line);
            }
        }
        let mut row = String::with_capacity(96);
        let _ = write!(row, "  {}:{}\t{:#x}\t", base_name(file), line, pc);
        hex_column(arch, &code[off..off + len], &mut row);
        row.push('\t');
        if opts.both {
            let go = inst.to_string(crate::Syntax::Go, syms);
            let gnu = inst.to_string(crate::Syntax::Gnu, syms);
            let _ = write!(row, "{go:<36} // {gnu}");
        } else {
            inst.write(opts.syntax, syms, &mut row);
        }
        row.push('\t');
        tw.line(row);
        off += len;
    }
    tw.flush(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_like_go() {
        let mut tw = TabWriter::default();
        tw.line("  bounds.go:86\t0x401000\t493b6610\tCMPQ SP, 0x10(R14)\t".into());
        tw.line(
            "  bounds.go:88\t0x40101c\t48b88fe3388ee3388ee3\tMOVQ $0xe38e38e38e38e38f, AX\t".into(),
        );
        let mut out = String::new();
        tw.flush(&mut out);
        let want = "  bounds.go:86\t\t0x401000\t\t493b6610\t\tCMPQ SP, 0x10(R14)\t\t\n  bounds.go:88\t\t0x40101c\t\t48b88fe3388ee3388ee3\tMOVQ $0xe38e38e38e38e38f, AX\t\n";
        assert_eq!(out, want);
    }
}
