//! `rabbithole addr2line BIN [--json] ADDR...`: addresses to functions,
//! files and lines from the pclntab, inlined frames first (the order
//! `llvm-symbolizer --inlining` uses). Reads addresses from stdin, one a
//! line, when none are given.

use serde::Serialize;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `addr2line`.
#[derive(clap::Args)]
pub struct Args {
    /// The Go binary (stripped is fine)
    pub binary: PathBuf,
    /// Addresses in hex, with or without 0x; none: read stdin, one a line
    pub addrs: Vec<String>,
    /// Print JSON: [{addr, frames [{function, file, line, inlined}]}]
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonFrame {
    function: String,
    file: String,
    line: u32,
    inlined: bool,
}

#[derive(Serialize)]
struct JsonAddr {
    addr: u64,
    frames: Vec<JsonFrame>,
}

fn parse_addr(s: &str) -> Option<u64> {
    let s = s.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u64::from_str_radix(hex, 16).ok()
}

/// Addresses looked up together: the function searches of a batch run
/// back to back, so the cache misses of one overlap those of the next
/// (a lookup in a large binary waits on memory more than it computes).
const BATCH: usize = 32;

struct Printer<'a, W: Write> {
    go: &'a gobin::GoBinary<'a>,
    out: W,
    json: Option<Vec<JsonAddr>>,
    bad: usize,
    /// The lines of one address, reused.
    line: Vec<u8>,
    /// Addresses read but not answered yet, and their functions.
    pending: Vec<u64>,
    funcs: Vec<Option<gobin::pclntab::Func<'a>>>,
}

impl<'a, W: Write> Printer<'a, W> {
    fn one(&mut self, token: &str) -> std::io::Result<()> {
        let token = token.trim();
        if token.is_empty() {
            return Ok(());
        }
        let Some(pc) = parse_addr(token) else {
            eprintln!("rabbithole: addr2line: not a hex address: {token:?}");
            self.bad += 1;
            return Ok(());
        };
        self.pending.push(pc);
        if self.pending.len() >= BATCH {
            self.answer_pending()?;
        }
        Ok(())
    }

    /// Answers every pending address, in order.
    fn answer_pending(&mut self) -> std::io::Result<()> {
        let go: &'a gobin::GoBinary<'a> = self.go;
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

    fn answer(&mut self, pc: u64, func: Option<gobin::pclntab::Func<'a>>) -> std::io::Result<()> {
        if let Some(json) = &mut self.json {
            let mut frames = Vec::new();
            if let Some(f) = func {
                f.for_each_frame(pc, |fr| {
                    frames.push(JsonFrame {
                        function: fr.function.to_string(),
                        file: fr.file.to_string(),
                        line: fr.line,
                        inlined: fr.inlined,
                    })
                });
            }
            json.push(JsonAddr { addr: pc, frames });
            return Ok(());
        }
        let Some(func) = func else {
            return writeln!(self.out, "{pc:#x} ?? ??:0");
        };
        // `{pc:#x} {function} {file}:{line}[ (inlined)]`, one line a frame,
        // assembled by hand: core::fmt cost as much as the lookup.
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

/// Runs `addr2line`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let path = &args.binary;
    let file =
        gobin::MappedFile::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut go = gobin::GoBinary::parse(file.bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if args.addrs.len() != 1 {
        // Stdin can bring millions of addresses: check the name and file
        // tables once rather than each string per lookup.
        go.pclntab.check_string_tables();
    }
    for w in &go.warnings {
        eprintln!("rabbithole: {}: warning: {w}", path.display());
    }
    let stdout = std::io::stdout();
    let mut p = Printer {
        go: &go,
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        json: args.json.then(Vec::new),
        bad: 0,
        line: Vec::with_capacity(256),
        pending: Vec::with_capacity(BATCH),
        funcs: Vec::with_capacity(BATCH),
    };
    if args.addrs.is_empty() {
        let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            p.one(&line)?;
            // Answer at once when no more input is waiting, so the command
            // works as a coprocess; batch input is still written in blocks.
            if p.json.is_none() && input.buffer().is_empty() {
                p.answer_pending()?;
                p.out.flush()?;
            }
        }
    } else {
        for a in &args.addrs {
            p.one(a)?;
        }
    }
    p.answer_pending()?;
    if let Some(json) = p.json.take() {
        serde_json::to_writer_pretty(&mut p.out, &json)?;
        writeln!(p.out)?;
    }
    p.out.flush()?;
    Ok(if p.bad > 0 { 1 } else { 0 })
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
