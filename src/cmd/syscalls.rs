//! `rabbithole syscalls BIN`: every syscall site of a binary and the call
//! paths from `main.main` down to it, without running anything.

use analysis::{Analysis, Number, Path, Site};
use anyhow::{anyhow, Context as _};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `syscalls`.
#[derive(clap::Args)]
pub struct Args {
    /// The Go binary to analyse (never executed)
    pub binary: PathBuf,
    /// Show the paths to this syscall (name like `write`, or number)
    #[arg(long)]
    pub to: Option<String>,
    /// Start paths at this function instead of main.main
    #[arg(long, default_value = "main.main")]
    pub from: String,
    /// How many paths to show per site with --to
    #[arg(long, default_value_t = 3)]
    pub paths: usize,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    binary: String,
    from: &'a str,
    sites: Vec<SiteOut<'a>>,
}

#[derive(Serialize)]
struct SiteOut<'a> {
    #[serde(flatten)]
    site: &'a Site,
    #[serde(rename = "paths_to", skip_serializing_if = "Vec::is_empty")]
    listed: Vec<Path>,
}

/// Runs `syscalls`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = gobin::MappedFile::open(&args.binary).map_err(|e| anyhow!("{name}: {e}"))?;
    let go = gobin::GoBinary::parse(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
    let mut an = Analysis::new(&go, None);
    let from = an
        .function(&args.from)
        .ok_or_else(|| anyhow!("{name}: no function named {}", args.from))?;
    an.count_paths_from(from);
    let want = match &args.to {
        None => None,
        Some(t) => Some(target(&an, t).with_context(|| format!("{name}: --to {t}"))?),
    };
    let mut out = Vec::new();
    for site in &an.sites {
        let listed = match &want {
            None => Vec::new(),
            Some(w) => {
                if !site_may_match(&an, site, w) {
                    continue;
                }
                let nr = match (w, &site.number) {
                    (_, Number::None) | (Want::Import(_), _) => None,
                    (Want::Number(n), _) => Some(*n),
                };
                let p = an.paths_to(from, site.addr, args.paths, nr);
                if p.is_empty() {
                    continue;
                }
                p
            }
        };
        out.push(SiteOut { site, listed });
    }
    let found = !out.is_empty();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        let report = Report {
            binary: name,
            from: &args.from,
            sites: out,
        };
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
    } else if want.is_some() {
        print_paths(&mut w, &out, &args.from)?;
    } else {
        print_table(&mut w, &out, &args.from)?;
    }
    w.flush()?;
    Ok(if found { 0 } else { 1 })
}

enum Want {
    Number(u64),
    Import(String),
}

fn target(an: &Analysis<'_, '_>, t: &str) -> anyhow::Result<Want> {
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Want::Number(n));
    }
    // Linux numbers syscalls; darwin Go calls libc functions by name.
    if let Some(n) = an.syscall_number(t) {
        return Ok(Want::Number(n));
    }
    if an.sites.iter().any(|s| s.name.as_deref() == Some(t)) {
        return Ok(Want::Import(t.to_string()));
    }
    Err(anyhow!("no syscall or imported function named {t}"))
}

fn site_may_match(an: &Analysis<'_, '_>, site: &Site, w: &Want) -> bool {
    match (w, &site.number) {
        (Want::Import(name), Number::None) => site.name.as_deref() == Some(name.as_str()),
        // Linux cgo: C code calling libc's wrapper of the same syscall.
        (Want::Number(n), Number::None) => site.name.is_some() && site.name == an.syscall_name(*n),
        (Want::Number(n), Number::Constant { value }) => value == n,
        (Want::Number(_), Number::Dynamic { .. }) => true,
        _ => false,
    }
}

fn number_text(site: &Site) -> (String, String) {
    match &site.number {
        Number::Constant { value } => (
            value.to_string(),
            site.name.clone().unwrap_or_else(|| "?".into()),
        ),
        Number::Dynamic { .. } => ("arg 0".into(), "(per caller)".into()),
        Number::Unknown => ("?".into(), "?".into()),
        Number::None => (
            "-".into(),
            match &site.library {
                Some(lib) => format!("{} ({lib})", site.name.as_deref().unwrap_or("?")),
                None => site.name.clone().unwrap_or_else(|| "?".into()),
            },
        ),
    }
}

fn print_table(
    w: &mut impl std::io::Write,
    sites: &[SiteOut<'_>],
    from: &str,
) -> anyhow::Result<()> {
    let fw = sites
        .iter()
        .map(|s| s.site.function.len())
        .max()
        .unwrap_or(8)
        .clamp(8, 60);
    writeln!(
        w,
        "{:<12}  {:<fw$}  {:<7}  {:>6}  {:<24}  PATHS FROM {from}",
        "ADDR", "FUNCTION", "KIND", "NR", "NAME"
    )?;
    for s in sites {
        let site = s.site;
        let (nr, name) = number_text(site);
        let kind = match site.kind {
            analysis::SiteKind::Syscall => "SYSCALL",
            analysis::SiteKind::Svc => "SVC",
            analysis::SiteKind::Libc => "libc",
        };
        let reach = match site.depth {
            Some(d) => format!("{} (shortest {} hops)", site.paths, d),
            None => "-".into(),
        };
        writeln!(
            w,
            "{:<12}  {:<fw$}  {:<7}  {:>6}  {:<24}  {}",
            format!("{:#x}", site.addr),
            site.function,
            kind,
            nr,
            name,
            reach
        )?;
    }
    Ok(())
}

fn print_paths(
    w: &mut impl std::io::Write,
    sites: &[SiteOut<'_>],
    from: &str,
) -> anyhow::Result<()> {
    for s in sites {
        for (k, p) in s.listed.iter().enumerate() {
            let what = match (&p.name, p.number) {
                (Some(n), Some(nr)) => format!("{n} (number {nr})"),
                (Some(n), None) => match &p.library {
                    Some(lib) => format!("{n} from {lib}"),
                    None => n.clone(),
                },
                (None, Some(nr)) => format!("syscall {nr}"),
                (None, None) => "an unknown syscall".into(),
            };
            writeln!(
                w,
                "path {} from {from} to {what} at {:#x} in {}:",
                k + 1,
                p.site,
                s.site.function
            )?;
            for (i, h) in p.hops.iter().enumerate() {
                let mut tags = vec![h.abi.clone()];
                if h.asm {
                    tags.push("asm".into());
                }
                let pos = if h.line > 0 {
                    format!("{}:{}", h.file, h.line)
                } else {
                    h.file.clone()
                };
                let arrow = if i == 0 { "  " } else { "→ " };
                writeln!(
                    w,
                    "  {arrow}{:<11} {} [{}]  {}",
                    h.via,
                    h.function,
                    tags.join(", "),
                    pos
                )?;
                if let Some(inst) = &h.instruction {
                    writeln!(w, "                {:#x}  {inst}", h.pc)?;
                }
                if let Some(note) = &h.note {
                    writeln!(w, "                ({note})")?;
                }
            }
            if let Some(by) = &p.number_set_by {
                writeln!(w, "  number set by {by}")?;
            }
            writeln!(w)?;
        }
    }
    Ok(())
}
