//! `rabbithole compare A B`: two binaries side by side, one row per fact,
//! and where their size difference comes from.

use analysis::compare::{self, Comparison, Row};
use anyhow::anyhow;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `compare`.
#[derive(clap::Args)]
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

#[derive(Serialize)]
struct Json<'a> {
    a: String,
    b: String,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// Runs `compare`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let (na, nb) = (args.a.display().to_string(), args.b.display().to_string());
    let fa = gobin::MappedFile::open(&args.a).map_err(|e| anyhow!("{na}: {e}"))?;
    let fb = gobin::MappedFile::open(&args.b).map_err(|e| anyhow!("{nb}: {e}"))?;
    // Name the file that fails.
    analysis::size::measure(fa.bytes()).map_err(|e| anyhow!("{na}: {e}"))?;
    analysis::size::measure(fb.bytes()).map_err(|e| anyhow!("{nb}: {e}"))?;
    let c = compare::compare(fa.bytes(), fb.bytes()).map_err(|e| anyhow!("{e}"))?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(
            &mut w,
            &Json {
                a: na,
                b: nb,
                comparison: &c,
            },
        )?;
        writeln!(w)?;
    } else {
        w.write_all(text(&na, &nb, &c, args.packages).as_bytes())?;
    }
    w.flush()?;
    Ok(0)
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// The text table: facts, then sizes; package rows limited to `packages`.
pub fn text(na: &str, nb: &str, c: &Comparison, packages: usize) -> String {
    let mut shown: Vec<&Row> = Vec::new();
    let mut npkg = 0;
    let mut hidden = 0;
    for r in &c.rows {
        if r.fact.starts_with("package: ") {
            npkg += 1;
            if npkg > packages {
                hidden += 1;
                continue;
            }
        }
        shown.push(r);
    }
    let (ha, hb) = (
        format!("A: {}", file_name(na)),
        format!("B: {}", file_name(nb)),
    );
    let wf = shown
        .iter()
        .map(|r| r.fact.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let wa = shown
        .iter()
        .filter(|r| r.fact != "path to write")
        .map(|r| r.a.chars().count())
        .max()
        .unwrap_or(0)
        .max(ha.chars().count());
    let mut out = String::new();
    let _ = writeln!(out, "{:<wf$}  {ha:<wa$}  {hb}", "FACT");
    let mut group = "";
    for r in shown {
        let g = r.fact.split(": ").next().unwrap_or("");
        let g = if r.diff.is_some() { g } else { "" };
        if g != group {
            out.push('\n');
            group = g;
        }
        if r.fact == "path to write" {
            let _ = writeln!(out, "{:<wf$}  A: {}", r.fact, r.a);
            let _ = writeln!(out, "{:<wf$}  B: {}", "", r.b);
            continue;
        }
        match r.diff {
            Some(d) => {
                let _ = writeln!(out, "{:<wf$}  {:<wa$}  {:<12} {d:+}", r.fact, r.a, r.b);
            }
            None => {
                let mark = if r.a == r.b { "" } else { "  *" };
                let _ = writeln!(out, "{:<wf$}  {:<wa$}  {}{mark}", r.fact, r.a, r.b);
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} more packages changed; --json lists them all)"
        );
    }
    let _ = writeln!(out, "\n{}", c.summary);
    out
}
