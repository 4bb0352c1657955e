//! `rabbithole addr2line BIN [--json] ADDR...`: addresses to functions,
//! files and lines from the pclntab, inlined frames first. Reads addresses
//! from stdin, one a line, when none are given.

use std::io::BufRead as _;
use std::path::PathBuf;

/// Arguments of `addr2line`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("addr2line"))]
pub struct Args {
    /// The Go binary (stripped is fine)
    pub binary: PathBuf,
    /// Addresses in hex, with or without 0x; none: read stdin, one a line
    pub addrs: Vec<String>,
    /// Print one JSON document: {schema, addresses: [{addr, frames}]}
    #[arg(long)]
    pub json: bool,
}

fn parse_addr(s: &str) -> Option<u64> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u64::from_str_radix(hex, 16).ok()
}

/// Runs `addr2line`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let mut go =
        gobin::GoBinary::parse(file.bytes()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if args.addrs.len() != 1 {
        // Stdin can bring millions of addresses: check the name and file
        // tables once rather than each string per lookup.
        go.pclntab.check_string_tables();
    }
    render::warnings::write(&mut std::io::stderr(), &name, &go.warnings)?;
    let mut p = render::addr2line::Printer::new(&go, super::output(args.json), args.json);
    let mut bad = 0;
    let mut one = |token: &str, p: &mut render::addr2line::Printer<'_, _>| {
        let token = token.trim();
        match parse_addr(token) {
            Some(pc) => p.push(pc),
            None if token.is_empty() => Ok(()),
            None => {
                render::notes::emit(&format!("addr2line: not a hex address: {token:?}"));
                bad += 1;
                Ok(())
            }
        }
    };
    if args.addrs.is_empty() {
        let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
        let mut line = String::new();
        loop {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            one(&line, &mut p)?;
            // Answer at once when no more input is waiting, so the command
            // works as a coprocess; batch input is still written in blocks.
            if !args.json && input.buffer().is_empty() {
                p.flush()?;
            }
        }
    } else {
        for a in &args.addrs {
            one(a, &mut p)?;
        }
    }
    p.finish()?;
    Ok(if bad > 0 { 1 } else { 0 })
}
