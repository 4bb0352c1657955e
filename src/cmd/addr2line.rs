//! `rabbithole addr2line`: not built yet (its issue is in progress).

/// Arguments of `addr2line`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `addr2line`.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("addr2line is not built yet")
}
