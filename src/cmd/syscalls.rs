//! `rabbithole syscalls BIN`: every syscall site of a binary and the call
//! paths from `main.main` down to it, without running anything.

use analysis::{Analysis, Number, Path, Site};
use anyhow::{anyhow, Context as _};
use render::syscalls::Selected;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `syscalls`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("syscalls"))]
pub struct Args {
    /// The Go binary to analyse (never executed)
    pub binary: PathBuf,
    /// Show the paths to this syscall (name like `write`, or number)
    #[arg(long)]
    pub to: Option<String>,
    /// Start paths at this function instead of main.main
    #[arg(long, default_value = "main.main")]
    pub from: String,
    /// How many paths to show with --to, across all sites: the shortest
    /// and most direct first
    #[arg(long, default_value_t = 10)]
    pub paths: usize,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Also list cgo calls into libc functions that make no syscall
    /// (malloc, pthread_mutex_lock, ...)
    #[arg(long)]
    pub all_imports: bool,
}

/// Runs `syscalls`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let file = super::open(&args.binary)?;
    let go = gobin::GoBinary::parse(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
    let busy = render::progress::Busy::on_stderr(format!("analysing {name}"), !args.json);
    let mut an = Analysis::new(&go, None);
    let from = an
        .function(&args.from)
        .ok_or_else(|| anyhow!("{name}: no function named {}", args.from))?;
    an.count_paths_from(from);
    let want = match &args.to {
        None => None,
        Some(t) => Some(target(&an, t).with_context(|| format!("{name}: --to {t}"))?),
    };
    let mut sites = Vec::new();
    for site in &an.sites {
        if !args.all_imports && !an.makes_syscall(site) {
            continue;
        }
        let (paths, shortest) = match &want {
            None => {
                // The table's hop count is the hops the shortest path prints.
                let shortest = site.depth.and_then(|_| {
                    an.paths_to(from, site.addr, 1, None)
                        .first()
                        .map(|p| p.hops.len())
                });
                (Vec::new(), shortest)
            }
            Some(w) if !site_may_match(&an, site, w) => continue,
            Some(w) => {
                let nr = match (w, &site.number) {
                    (_, Number::None) | (Want::Import(_), _) => None,
                    (Want::Number(n), _) => Some(*n),
                };
                // Filtered by number before any is dropped: the N asked for
                // are picked across all sites below.
                match an.paths_to(from, site.addr, args.paths, nr) {
                    p if p.is_empty() => continue,
                    p => (p, None),
                }
            }
        };
        sites.push(Selected {
            site,
            paths,
            shortest,
        });
    }
    if want.is_some() {
        sites = rank(sites, args.paths);
    }
    drop(busy);
    let mut out = super::output(args.json);
    if args.json {
        render::syscalls::write_json(&mut out, &name, &args.from, &sites)?;
    } else if want.is_some() {
        render::syscalls::write_paths(&mut out, &sites, &args.from)?;
    } else {
        render::syscalls::write_table(&mut out, &sites, &args.from)?;
    }
    out.flush()?;
    if sites.is_empty() {
        if let Some(t) = &args.to {
            eprintln!(
                "rabbithole: {}",
                render::syscalls::no_static_path(&name, &args.from, t)
            );
        }
        return Ok(1);
    }
    Ok(0)
}

/// Keeps the `n` paths a reader wants first, across all sites
/// (`render::syscalls::directness`); sites ordered by their best path.
fn rank(sites: Vec<Selected<'_>>, n: usize) -> Vec<Selected<'_>> {
    let mut all: Vec<((usize, usize), usize, Path)> = Vec::new();
    for (k, s) in sites.iter().enumerate() {
        for p in &s.paths {
            all.push((render::syscalls::directness(p), k, p.clone()));
        }
    }
    all.sort_by_key(|(d, k, _)| (*d, *k));
    all.truncate(n);
    let mut order = Vec::new();
    let mut grouped: Vec<Vec<Path>> = vec![Vec::new(); sites.len()];
    for (_, k, p) in all {
        if !order.contains(&k) {
            order.push(k);
        }
        grouped[k].push(p);
    }
    let mut sites: Vec<Option<Selected<'_>>> = sites.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|k| {
            let mut s = sites[k].take()?;
            s.paths = std::mem::take(&mut grouped[k]);
            Some(s)
        })
        .collect()
}
/// What `--to` names: a syscall number, or (darwin, cgo) a libc function.
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
