//! `rabbithole syscalls BIN`: every syscall site of a binary, as a table
//! or, with `--to`, as the call paths from the start function down to it.

use crate::json;
use analysis::{Number, Path, Site};
use std::io::{self, Write};

/// A site the command reports, with the paths found to it (none when no
/// `--to` asked for paths).
pub struct Selected<'a> {
    /// The site.
    pub site: &'a Site,
    /// Paths from the start function, shortest first.
    pub paths: Vec<Path>,
    /// Hops the shortest path from the start function prints (the table).
    pub shortest: Option<usize>,
}

/// Writes the sites of the file `binary`, paths from `from`, as one
/// document.
pub fn write_json(
    w: &mut dyn Write,
    binary: &str,
    from: &str,
    sites: &[Selected<'_>],
) -> io::Result<()> {
    let sites = sites
        .iter()
        .map(|s| json::SyscallSite {
            site: s.site,
            paths: &s.paths,
        })
        .collect();
    json::write_pretty(
        w,
        &json::Syscalls {
            schema: json::schema::SYSCALLS,
            binary,
            from,
            sites,
        },
    )
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

/// Writes the table of sites: address, function, kind, number, name and
/// how many paths lead there from `from`.
pub fn write_table(w: &mut dyn Write, sites: &[Selected<'_>], from: &str) -> io::Result<()> {
    let fw = sites
        .iter()
        .map(|s| s.site.function.len())
        .max()
        .unwrap_or(8)
        .clamp(8, 60);
    // The name column as wide as its longest entry: a libc import's
    // library ("pthread_attr_setdetachstate (libc.so.6)") is long.
    let rows: Vec<(String, String)> = sites.iter().map(|s| number_text(s.site)).collect();
    let nw = rows
        .iter()
        .map(|(_, name)| name.chars().count())
        .max()
        .unwrap_or(0)
        .max(24);
    writeln!(
        w,
        "{:<12}  {:<fw$}  {:<7}  {:>6}  {:<nw$}  PATHS FROM {from}",
        "ADDR", "FUNCTION", "KIND", "NR", "NAME"
    )?;
    for (s, (nr, name)) in sites.iter().zip(rows) {
        let site = s.site;
        let kind = match site.kind {
            analysis::SiteKind::Syscall => "SYSCALL",
            analysis::SiteKind::Svc => "SVC",
            analysis::SiteKind::Libc => "libc",
        };
        let reach = match s.shortest {
            Some(d) => format!("{} (shortest {} hops)", site.paths, d),
            None => "-".into(),
        };
        writeln!(
            w,
            "{:<12}  {:<fw$}  {:<7}  {:>6}  {:<nw$}  {}",
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

/// `--to` found no chain of direct calls: say why that happens and what
/// shows the chain that runs.
pub fn no_static_path(binary: &str, from: &str, to: &str) -> String {
    format!(
        "{binary}: no chain of direct calls from {from} reaches {to} (calls through function \
         values and interfaces, like net's connectFunc hook, are not in the static call graph); \
         `rabbithole path --syscall {to} -- {binary}` shows the chain that runs"
    )
}

/// How a reader ranks a path: fewest hops printed, then fewest hops inside
/// the runtime (a panic printer's write is less direct than the
/// program's own).
pub fn directness(p: &Path) -> (usize, usize) {
    let runtime = p
        .hops
        .iter()
        .filter(|h| {
            gobin::runtime::names::package_of(&h.function)
                .is_some_and(gobin::runtime::names::is_runtime_package)
        })
        .count();
    (p.hops.len(), runtime)
}

/// Writes the paths from `from` of every site, most direct first across
/// sites (see [`directness`]), one block of hops per path, its hop count
/// in the header.
pub fn write_paths(w: &mut dyn Write, sites: &[Selected<'_>], from: &str) -> io::Result<()> {
    let mut ranked: Vec<(&Selected<'_>, &Path)> = sites
        .iter()
        .flat_map(|s| s.paths.iter().map(move |p| (s, p)))
        .collect();
    ranked.sort_by_key(|(_, p)| directness(p));
    {
        for (k, (s, p)) in ranked.into_iter().enumerate() {
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
                "path {} ({} hops) from {from} to {what} at {:#x} in {}:",
                k + 1,
                p.hops.len(),
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
