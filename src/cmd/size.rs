//! `rabbithole size BIN`: where every byte of a binary goes, by kind,
//! section, package and module, as text, JSON or a self-contained HTML
//! treemap.

use anyhow::anyhow;
use render::size::Table;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `size`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("size"))]
pub struct Args {
    /// The binary to measure (never executed)
    pub binary: PathBuf,
    /// One full table instead of the summary: package, section or kind
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained treemap page to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// The table `--by` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Go packages and shared pools
    Package,
    /// Sections and container structures
    Section,
    /// Kinds of bytes
    Kind,
    /// Modules (runtime, std, main module, dependencies)
    Module,
}

/// Runs `size`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let busy = render::progress::Busy::on_stderr(format!("measuring {name}"), !args.json);
    let report = analysis::size::measure(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
    drop(busy);
    if let Some(path) = &args.html {
        let page = render::size::html::page(&name, &report);
        std::fs::write(path, page).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    let mut out = super::output(args.json);
    if args.json {
        render::size::write_json(&mut out, &name, &report)?;
    } else {
        let table = match args.by {
            None => Table::Summary,
            Some(By::Package) => Table::Package,
            Some(By::Section) => Table::Section,
            Some(By::Kind) => Table::Kind,
            Some(By::Module) => Table::Module,
        };
        render::size::write_text(&mut out, &name, &report, table)?;
    }
    out.flush()?;
    Ok(0)
}
