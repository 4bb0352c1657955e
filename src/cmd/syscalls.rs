//! `rabbithole syscalls BIN`: every syscall site of a binary and the call
//! paths from `main.main` down to it, without running anything.

use analysis::{Analysis, Number, Site};
use anyhow::{anyhow, Context as _};
use render::syscalls::Selected;
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
        let paths = match &want {
            None => Vec::new(),
            Some(w) if !site_may_match(&an, site, w) => continue,
            Some(w) => {
                let nr = match (w, &site.number) {
                    (_, Number::None) | (Want::Import(_), _) => None,
                    (Want::Number(n), _) => Some(*n),
                };
                match an.paths_to(from, site.addr, args.paths, nr) {
                    p if p.is_empty() => continue,
                    p => p,
                }
            }
        };
        sites.push(Selected { site, paths });
    }
    let mut out = super::output(args.json);
    if args.json {
        render::syscalls::write_json(&mut out, &name, &args.from, &sites)?;
    } else if want.is_some() {
        render::syscalls::write_paths(&mut out, &sites, &args.from)?;
    } else {
        render::syscalls::write_table(&mut out, &sites, &args.from)?;
    }
    out.flush()?;
    Ok(if sites.is_empty() { 1 } else { 0 })
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
