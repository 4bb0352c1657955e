//! `rabbithole funcs BIN [REGEX] [--json]`: the pclntab's function table,
//! sorted by address like `go tool nm -n -size`, with file:line and ABI.

use anyhow::Context as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `funcs`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("funcs"))]
pub struct Args {
    /// The Go binary (stripped is fine)
    pub binary: PathBuf,
    /// Only functions whose name matches this regular expression
    pub regex: Option<String>,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

/// Runs `funcs`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let go = gobin::GoBinary::parse(file.bytes()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let re = args
        .regex
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .context("bad REGEX")?;
    render::warnings::write(&mut std::io::stderr(), &name, &go.warnings)?;
    let selected = go
        .pclntab
        .funcs()
        .filter(|f| re.as_ref().is_none_or(|re| re.is_match(f.name())));
    let mut out = super::output(args.json);
    if args.json {
        render::funcs::write_json(&mut out, &go, selected)?;
    } else {
        render::funcs::write_text(&mut out, &go, selected)?;
    }
    out.flush()?;
    Ok(0)
}
