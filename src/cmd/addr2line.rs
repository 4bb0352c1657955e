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

struct Printer<'a, W: Write> {
    go: &'a gobin::GoBinary<'a>,
    out: W,
    json: Option<Vec<JsonAddr>>,
    bad: usize,
}

impl<W: Write> Printer<'_, W> {
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
        let func = self.go.pclntab.func_at(pc);
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
        let mut result = Ok(());
        func.for_each_frame(pc, |f| {
            if result.is_ok() {
                let inl = if f.inlined { " (inlined)" } else { "" };
                result = writeln!(
                    self.out,
                    "{pc:#x} {} {}:{}{inl}",
                    f.function, f.file, f.line
                );
            }
        });
        result?;
        Ok(())
    }
}

/// Runs `addr2line`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let path = &args.binary;
    let file =
        tracer::MappedFile::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let go = gobin::GoBinary::parse(file.bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    for w in &go.warnings {
        eprintln!("rabbithole: {}: warning: {w}", path.display());
    }
    let stdout = std::io::stdout();
    let mut p = Printer {
        go: &go,
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        json: args.json.then(Vec::new),
        bad: 0,
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
                p.out.flush()?;
            }
        }
    } else {
        for a in &args.addrs {
            p.one(a)?;
        }
    }
    if let Some(json) = p.json.take() {
        serde_json::to_writer_pretty(&mut p.out, &json)?;
        writeln!(p.out)?;
    }
    p.out.flush()?;
    Ok(if p.bad > 0 { 1 } else { 0 })
}
