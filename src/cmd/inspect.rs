//! `rabbithole inspect BIN`: placeholder until the inspect report lands.

use std::path::PathBuf;

/// Arguments of `inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The binary to inspect (never executed)
    pub binary: PathBuf,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

/// Runs `inspect`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let file = tracer::MappedFile::open(&args.binary)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.binary.display()))?;
    let bin = gobin::Binary::parse(file.bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.binary.display()))?;
    println!(
        "{} {} {}",
        args.binary.display(),
        bin.arch.name(),
        bin.os.name()
    );
    Ok(0)
}
