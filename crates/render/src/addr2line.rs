//! `rabbithole addr2line BIN ADDR...`: addresses to functions, files and
//! lines, inlined frames first (the order `llvm-symbolizer --inlining`
//! uses), as `{pc:#x} {function} {file}:{line}[ (inlined)]` lines or one
//! JSON document.

use crate::json;
use gobin::pclntab::Func;
use gobin::GoBinary;
use std::io::{self, Write};

/// Addresses looked up together: the function searches of a batch run
/// back to back, so the cache misses of one overlap those of the next
/// (a lookup in a large binary waits on memory more than it computes).
const BATCH: usize = 32;

/// Answers addresses in the order given, a batch at a time.
pub struct Printer<'a, W: Write> {
    go: &'a GoBinary<'a>,
    out: W,
    json: Option<Vec<json::Addr>>,
    /// The lines of one address, reused.
    line: Vec<u8>,
    /// Addresses read but not answered yet, and their functions.
    pending: Vec<u64>,
    funcs: Vec<Option<Func<'a>>>,
}

impl<'a, W: Write> Printer<'a, W> {
    /// A printer of text lines, or of one JSON document at the end.
    pub fn new(go: &'a GoBinary<'a>, out: W, json: bool) -> Self {
        Printer {
            go,
            out,
            json: json.then(Vec::new),
            line: Vec::with_capacity(256),
            pending: Vec::with_capacity(BATCH),
            funcs: Vec::with_capacity(BATCH),
        }
    }

    /// Queues `pc`; a full batch is answered at once.
    pub fn push(&mut self, pc: u64) -> io::Result<()> {
        self.pending.push(pc);
        if self.pending.len() >= BATCH {
            self.answer_pending()?;
        }
        Ok(())
    }

    /// Answers every queued address now and flushes the text written, so
    /// an interactive caller (a coprocess) gets its answer. JSON waits
    /// for [`Printer::finish`].
    pub fn flush(&mut self) -> io::Result<()> {
        self.answer_pending()?;
        self.out.flush()
    }

    /// Answers what is queued and, for JSON, writes the document.
    pub fn finish(mut self) -> io::Result<()> {
        self.answer_pending()?;
        if let Some(addresses) = self.json.take() {
            json::write_pretty(
                &mut self.out,
                &json::Addr2line {
                    schema: json::schema::ADDR2LINE,
                    addresses,
                },
            )?;
        }
        self.out.flush()
    }

    /// Answers every pending address, in order.
    fn answer_pending(&mut self) -> io::Result<()> {
        let go: &'a GoBinary<'a> = self.go;
        let mut funcs = std::mem::take(&mut self.funcs);
        funcs.clear();
        funcs.extend(self.pending.iter().map(|&pc| go.pclntab.func_at(pc)));
        let pending = std::mem::take(&mut self.pending);
        let mut result = Ok(());
        for (&pc, &func) in pending.iter().zip(&funcs) {
            result = self.answer(pc, func);
            if result.is_err() {
                break;
            }
        }
        self.pending = pending;
        self.pending.clear();
        self.funcs = funcs;
        result
    }

    fn answer(&mut self, pc: u64, func: Option<Func<'a>>) -> io::Result<()> {
        if let Some(json) = &mut self.json {
            let mut frames = Vec::new();
            if let Some(f) = func {
                f.for_each_frame(pc, |fr| {
                    frames.push(json::Frame {
                        function: fr.function.to_string(),
                        file: fr.file.to_string(),
                        line: fr.line,
                        inlined: fr.inlined,
                    })
                });
            }
            json.push(json::Addr { addr: pc, frames });
            return Ok(());
        }
        let Some(func) = func else {
            return writeln!(self.out, "{pc:#x} ?? ??:0");
        };
        // One line a frame, assembled by hand: core::fmt cost as much as
        // the lookup.
        let line = &mut self.line;
        line.clear();
        let mut hex = [0u8; 18];
        let hex = hex_addr(pc, &mut hex);
        func.for_each_frame(pc, |f| {
            line.extend_from_slice(hex);
            line.push(b' ');
            line.extend_from_slice(f.function.as_bytes());
            line.push(b' ');
            line.extend_from_slice(f.file.as_bytes());
            line.push(b':');
            let mut dec = [0u8; 10];
            line.extend_from_slice(decimal(f.line, &mut dec));
            if f.inlined {
                line.extend_from_slice(b" (inlined)");
            }
            line.push(b'\n');
        });
        self.out.write_all(line)
    }
}

/// `pc` as `{:#x}` prints it, in `buf`.
fn hex_addr(pc: u64, buf: &mut [u8; 18]) -> &[u8] {
    let mut i = buf.len();
    let mut v = pc;
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    buf[i - 2..i].copy_from_slice(b"0x");
    &buf[i - 2..]
}

/// `n` in decimal, in `buf`.
fn decimal(n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_core_fmt() {
        for v in [0u64, 1, 0xf, 0x10, 0x401000, u64::MAX] {
            assert_eq!(hex_addr(v, &mut [0; 18]), format!("{v:#x}").as_bytes());
        }
        for v in [0u32, 9, 10, 12345, u32::MAX] {
            assert_eq!(decimal(v, &mut [0; 10]), v.to_string().as_bytes());
        }
    }
}
