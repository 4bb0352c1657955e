//! `rabbithole completions SHELL`: the shell's completion script, generated
//! from the same clap definitions as the flags, so it cannot drift.

use std::io::Write as _;

/// Arguments of `completions`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("completions"))]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the script for `cli` (the whole command line) to stdout.
pub fn run(args: Args, mut cli: clap::Command) -> anyhow::Result<u8> {
    // Into memory first: clap_complete panics on a failed write, and a
    // closed pipe (`| head`) is not worth a panic.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "rabbithole", &mut script);
    let mut out = super::stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(0)
}
