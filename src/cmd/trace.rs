//! `rabbithole trace`: not built yet (its issue is in progress).

/// Arguments of `trace`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `trace`.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("trace is not built yet")
}
