//! Column layout of `go tool objdump` listings.
//!
//! Go pipes each function's lines through an elastic-tabstop writer
//! (minimum cell width 18, tab width 8, padding 1, padding with tabs): every
//! tab-terminated cell is padded with as many tabs as it takes to reach the
//! widest cell of its column, measured over the run of consecutive lines
//! that have that column. Reproducing that layout byte for byte is what
//! lets users `diff` our output against Go's.

/// Elastic tab stops with tab padding, flushed per function.
///
/// Lines are kept back to back in one buffer with their cells indexed, so
/// a listing of millions of lines allocates nothing per line.
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    /// Every queued line, `\t` between cells, no newlines.
    text: String,
    /// Start of the cell being written in `text`.
    cell_start: usize,
    /// Per cell: start and end in `text`, width in characters.
    cells: Vec<Cell>,
    /// Per line: one past the index of its last cell in `cells`.
    lines: Vec<usize>,
}

#[derive(Clone, Copy)]
struct Cell {
    start: usize,
    end: usize,
    width: usize,
}

impl Cell {
    fn of(text: &str, start: usize, end: usize, ascii: bool) -> Cell {
        let width = if ascii {
            end - start
        } else {
            text[start..end].chars().count()
        };
        Cell { start, end, width }
    }
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
            text: String::new(),
            cell_start: 0,
            cells: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Queues one line; `\t` ends a cell. No trailing newline.
    pub fn line(&mut self, text: String) {
        self.text.push_str(&text);
        self.end_line();
    }

    /// The line being written: append its text (`\t` ends a cell), then
    /// call [`Self::end_line`].
    pub(crate) fn buf(&mut self) -> &mut String {
        &mut self.text
    }

    /// Ends the cell appended through [`Self::buf`] with a `\t`; a `\t`
    /// inside it ends a cell as well.
    pub(crate) fn end_cell(&mut self) {
        self.scan_cells();
        self.text.push('\t');
        self.cell_start = self.text.len();
    }

    /// [`Self::end_cell`] for a cell known to be ASCII without a `\t`
    /// (numbers, hex), which needs no scan.
    pub(crate) fn end_plain_cell(&mut self) {
        let (start, end) = (self.cell_start, self.text.len());
        self.cells.push(Cell {
            start,
            end,
            width: end - start,
        });
        self.text.push('\t');
        self.cell_start = self.text.len();
    }

    /// Ends the line appended through [`Self::buf`]; its text since the
    /// last ended cell is its last cell.
    pub(crate) fn end_line(&mut self) {
        self.scan_cells();
        self.lines.push(self.cells.len());
        self.cell_start = self.text.len();
    }

    /// Records the cells of the text since the last ended cell: split at
    /// each `\t`, widths in characters.
    fn scan_cells(&mut self) {
        let bytes = self.text.as_bytes();
        let mut start = self.cell_start;
        let mut ascii = true;
        for (k, &b) in bytes.iter().enumerate().skip(start) {
            if b == b'\t' {
                self.cells.push(Cell::of(&self.text, start, k, ascii));
                start = k + 1;
                ascii = true;
            } else if b >= 0x80 {
                ascii = false;
            }
        }
        self.cells
            .push(Cell::of(&self.text, start, bytes.len(), ascii));
    }

    /// Number of cells of line `i`.
    fn ncells(&self, i: usize) -> usize {
        self.lines[i] - self.first_cell(i)
    }

    fn first_cell(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => self.lines[i - 1],
        }
    }

    /// Lays out the queued lines into `out` (each ending in `\n`) and
    /// empties the queue.
    pub fn flush(&mut self, out: &mut String) {
        if self.cell_start != self.text.len() {
            // A line left open through `buf`: Go's writer ends it too.
            self.end_line();
        }
        let mut widths = Vec::new();
        self.format(0, self.lines.len(), &mut widths, out);
        self.text.clear();
        self.cells.clear();
        self.lines.clear();
        self.cell_start = 0;
    }

    fn format(&self, mut line0: usize, line1: usize, widths: &mut Vec<usize>, out: &mut String) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.ncells(this) {
                this += 1;
                continue;
            }
            // A block of lines that all have a cell in this column.
            self.write_lines(line0, this, widths, out);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 && column + 1 < self.ncells(this) {
                let w = self.cells[self.first_cell(this) + column].width + self.padding;
                width = width.max(w);
                this += 1;
            }
            widths.push(width);
            self.format(line0, this, widths, out);
            widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1, widths, out);
    }

    fn write_lines(&self, from: usize, to: usize, widths: &[usize], out: &mut String) {
        for i in from..to {
            let cells = &self.cells[self.first_cell(i)..self.lines[i]];
            for (j, cell) in cells.iter().enumerate() {
                out.push_str(&self.text[cell.start..cell.end]);
                if j + 1 < cells.len() {
                    if let Some(&w) = widths.get(j) {
                        let cellw = w.div_ceil(self.tabwidth) * self.tabwidth;
                        let n = cellw.saturating_sub(cell.width);
                        push_tabs(out, n.div_ceil(self.tabwidth));
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

fn push_tabs(out: &mut String, mut n: usize) {
    const TABS: &str = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    while n > 0 {
        let k = n.min(TABS.len());
        out.push_str(&TABS[..k]);
        n -= k;
    }
}

/// The hex column: bytes on amd64, 32-bit little-endian words on arm64.
pub fn hex_column(arch: crate::Arch, bytes: &[u8], out: &mut String) {
    match arch {
        crate::Arch::Arm64 if bytes.len().is_multiple_of(4) => {
            for k in 0..bytes.len() / 4 {
                if k > 0 {
                    out.push(' ');
                }
                let word = gobin::bytes::u32_le(bytes, 4 * k).unwrap_or(0);
                crate::text::hex_word(out, word);
            }
        }
        _ => crate::text::hex_bytes(out, bytes),
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
    let (file, _) = lines.at(start);
    out.push_str("TEXT ");
    out.push_str(name);
    out.push_str("(SB) ");
    out.push_str(file);
    out.push('\n');
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut tw) => {
            function_lines(arch, start, code, syms, lines, opts, source, &mut tw);
            tw.flush(out);
        }
        Err(_) => {
            let mut tw = TabWriter::default();
            function_lines(arch, start, code, syms, lines, opts, source, &mut tw);
            tw.flush(out);
        }
    });
}

thread_local! {
    /// One writer reused for every function, so its buffers are allocated once.
    static SCRATCH: std::cell::RefCell<TabWriter> = std::cell::RefCell::new(TabWriter::default());
}

/// Queues one line per instruction of a function in `tw`.
#[allow(clippy::too_many_arguments)]
fn function_lines(
    arch: crate::Arch,
    start: u64,
    code: &[u8],
    syms: &dyn crate::SymbolLookup,
    lines: &dyn Lines,
    opts: Options,
    source: Option<SourceFn<'_>>,
    tw: &mut TabWriter,
) {
    let mut dec = crate::Decoding::new(arch, code, start);
    let mut off = 0usize;
    let mut last: (String, i64) = (String::new(), i64::MIN);
    // The base name of the last file seen (consecutive instructions almost
    // always share it), and whether it is plain ASCII without a tab.
    let (mut last_file, mut last_base, mut plain): (&str, &str, bool) = ("", "", true);
    while off < code.len() {
        let pc = start + off as u64;
        let inst = dec.at(off);
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
        if !std::ptr::eq(file, last_file) {
            last_file = file;
            last_base = base_name(file);
            plain = last_base.bytes().all(|b| b != b'\t' && b < 0x80);
        }
        let row = tw.buf();
        row.push_str("  ");
        row.push_str(last_base);
        row.push(':');
        crate::text::dec(row, line);
        if plain {
            tw.end_plain_cell();
        } else {
            tw.end_cell();
        }
        crate::text::hex(tw.buf(), pc);
        tw.end_plain_cell();
        hex_column(arch, &code[off..off + len], tw.buf());
        tw.end_plain_cell();
        let row = tw.buf();
        if opts.both {
            let from = row.len();
            inst.write(crate::Syntax::Go, syms, row);
            let width = row[from..].chars().count();
            for _ in width..36 {
                row.push(' ');
            }
            row.push_str(" // ");
            inst.write(crate::Syntax::Gnu, syms, row);
        } else {
            inst.write(opts.syntax, syms, row);
        }
        tw.end_cell();
        tw.end_line();
        off += len;
    }
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
