//! `rabbithole compare A B`: two binaries side by side, one row per fact,
//! and where their size difference comes from.

use anyhow::anyhow;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `compare`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("compare"))]
pub struct Args {
    /// First binary (A; never executed)
    pub a: PathBuf,
    /// Second binary (B; never executed)
    pub b: PathBuf,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Packages listed in the text table (JSON has all)
    #[arg(long, default_value_t = 15)]
    pub packages: usize,
}

/// Runs `compare`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let (na, nb) = (args.a.display().to_string(), args.b.display().to_string());
    let (fa, fb) = (super::open(&args.a)?, super::open(&args.b)?);
    let busy = render::progress::Busy::on_stderr(format!("comparing {na} and {nb}"), !args.json);
    // Name the file that fails.
    analysis::size::measure(fa.bytes()).map_err(|e| anyhow!("{na}: {e}"))?;
    analysis::size::measure(fb.bytes()).map_err(|e| anyhow!("{nb}: {e}"))?;
    let c = analysis::compare::compare(fa.bytes(), fb.bytes()).map_err(|e| anyhow!("{e}"))?;
    drop(busy);
    let mut out = super::output(args.json);
    if args.json {
        render::compare::write_json(&mut out, &na, &nb, &c)?;
    } else {
        render::compare::write_text(&mut out, &na, &nb, &c, args.packages)?;
    }
    out.flush()?;
    Ok(0)
}
