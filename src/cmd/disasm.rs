//! `rabbithole disasm`: not built yet (its issue is in progress).

/// Arguments of `disasm`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `disasm`.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("disasm is not built yet")
}
