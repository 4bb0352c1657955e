//! `rabbithole disasm BIN`: the listing `go tool objdump` prints, in Go,
//! GNU or Intel syntax, on stripped binaries too.

use anyhow::{anyhow, Context as _};
use disasm::Syntax;
use gobin::symtab::ObjFile;
use render::disasm::{Listing, Options};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

/// Arguments of `disasm`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("disasm"))]
pub struct Args {
    /// The binary to disassemble (never executed)
    pub binary: PathBuf,
    /// Only functions whose name matches this regular expression
    #[arg(short = 's', value_name = "REGEX")]
    pub symbol: Option<String>,
    /// Instruction syntax: go (as `go tool objdump`), gnu (AT&T / ARM), intel
    #[arg(long, default_value = "go", value_parser = parse_syntax)]
    pub syntax: Syntax,
    /// Go syntax with the GNU form beside it (like `go tool objdump -gnu`)
    #[arg(long)]
    pub both: bool,
    /// Interleave Go source lines when the source files are on disk
    #[arg(long)]
    pub source: bool,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

fn parse_syntax(s: &str) -> Result<Syntax, String> {
    Syntax::parse(s).ok_or_else(|| format!("unknown syntax {s:?} (go, gnu or intel)"))
}

/// Runs `disasm`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let obj = ObjFile::parse(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
    let arch = disasm::Arch::from_model(obj.arch)
        .ok_or_else(|| anyhow!("{name}: unsupported architecture (amd64 and arm64 only)"))?;
    // Without a pclntab (not a Go binary) there are no file:line columns.
    let go = gobin::GoBinary::parse(file.bytes()).ok();
    let stubs = gobin::Binary::parse(file.bytes())
        .map(|b| gobin::imports::Stubs::read(&b))
        .unwrap_or_default();
    let listing = Listing::new(obj, arch, go.as_ref().map(|g| &g.pclntab))
        .ok_or_else(|| anyhow!("{name}: no symbol table and no Go pclntab"))?
        .with_plt(&stubs.plt_entries());
    let filter = match &args.symbol {
        Some(re) => Some(regex::Regex::new(re).with_context(|| format!("bad -s pattern {re:?}"))?),
        None => None,
    };
    let funcs = listing.functions(|f| filter.as_ref().is_none_or(|re| re.is_match(f)));
    if funcs.is_empty() {
        if let Some(re) = &args.symbol {
            render::notes::emit(&format!("no function matches {re:?}"));
        }
        return Ok(1);
    }
    let opts = Options {
        syntax: args.syntax,
        both: args.both,
        source: args.source,
        goroot: std::env::var_os("GOROOT").map(PathBuf::from),
    };
    let mut out = super::output(args.json);
    if args.json {
        listing.write_json(&mut out, &funcs, &opts)?;
    } else {
        // A bar on the terminal the listing scrolls through would tear it.
        let progress = filter.is_none() && !std::io::stdout().is_terminal();
        let notes = listing.write_text(&mut out, &funcs, &opts, progress)?;
        out.flush()?;
        render::warnings::write(&mut std::io::stderr(), &name, &notes)?;
    }
    out.flush()?;
    Ok(0)
}
