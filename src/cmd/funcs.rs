//! `rabbithole funcs`: not built yet (its issue is in progress).

/// Arguments of `funcs`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `funcs`.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("funcs is not built yet")
}
