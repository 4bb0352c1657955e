//! `rabbithole funcs BIN [REGEX] [--json]`: the pclntab's function table,
//! sorted by address like `go tool nm -n -size`, with file:line and ABI.

use anyhow::Context as _;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `funcs`.
#[derive(clap::Args)]
pub struct Args {
    /// The Go binary (stripped is fine)
    pub binary: PathBuf,
    /// Only functions whose name matches this regular expression
    pub regex: Option<String>,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonFunc<'a> {
    name: &'a str,
    entry: u64,
    end: u64,
    file: Option<&'a str>,
    line: Option<u32>,
    abi: gobin::pclntab::Abi,
    abi_evidence: gobin::pclntab::AbiEvidence,
    asm: bool,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    functions: Vec<JsonFunc<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// Runs `funcs`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let path = &args.binary;
    let file =
        gobin::MappedFile::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let go = gobin::GoBinary::parse(file.bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let re = args
        .regex
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .context("bad REGEX")?;
    for w in &go.warnings {
        eprintln!("rabbithole: {}: warning: {w}", path.display());
    }
    let selected = go
        .pclntab
        .funcs()
        .filter(|f| re.as_ref().is_none_or(|re| re.is_match(f.name())));
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.json {
        let functions = selected
            .map(|f| {
                let (abi, abi_evidence) = go.abi(&f);
                let pos = f.entry_position();
                JsonFunc {
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
        let doc = JsonOut {
            functions,
            warnings: &go.warnings,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        for f in selected {
            let (abi, _) = go.abi(&f);
            write!(
                out,
                "{:>10x} {:>8} {:<11} {}",
                f.entry(),
                f.size(),
                abi.name(),
                f.name()
            )?;
            if let Some((file, line)) = f.entry_position() {
                write!(out, "\t{file}:{line}")?;
            }
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(0)
}
