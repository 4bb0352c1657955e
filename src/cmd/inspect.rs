//! `rabbithole inspect BIN`: container, Go build info, linking, cgo and the
//! syscall mechanism of a binary, read from its bytes (never executed).

use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `inspect`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("inspect"))]
pub struct Args {
    /// The binary to inspect (never executed)
    pub binary: PathBuf,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

/// Runs `inspect`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let report =
        gobin::report::inspect(file.bytes()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut out = super::output(args.json);
    if args.json {
        render::inspect::write_json(&mut out, &name, &report)?;
    } else {
        render::inspect::write_text(&mut out, &name, &report)?;
    }
    out.flush()?;
    Ok(0)
}
