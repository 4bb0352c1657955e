//! `rabbithole man [DIR]`: man pages generated from the clap definitions
//! (one per subcommand, `rabbithole-trace(1)`, ...), so they cannot drift
//! from the flags. clap_mangen writes NAME, SYNOPSIS, DESCRIPTION, OPTIONS
//! and SUBCOMMANDS; EXAMPLES and EXIT STATUS come from `render::help`, the
//! same examples `--help` ends with.

use anyhow::anyhow;
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `man`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("man"))]
pub struct Args {
    /// Write every page (rabbithole.1, rabbithole-trace.1, ...) into DIR;
    /// without DIR, print rabbithole(1) on stdout
    pub dir: Option<PathBuf>,
}

/// Writes the pages of `cli` (the whole command line).
pub fn run(args: Args, cli: clap::Command) -> anyhow::Result<u8> {
    let pages = pages(cli)?;
    let Some(dir) = args.dir else {
        let mut out = super::stdout();
        out.write_all(&pages[0].1)?;
        out.flush()?;
        return Ok(0);
    };
    for (name, page) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    Ok(0)
}

/// Every page as (file name, roff), rabbithole.1 first.
fn pages(mut cli: clap::Command) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // Building propagates the global flags (--color) into each subcommand
    // and names them `rabbithole-trace`; clap's own `help` gets no page.
    cli.build();
    let cli = cli.mut_subcommand("help", |help| help.hide(true));
    let mut pages = vec![("rabbithole.1".to_string(), page(&cli, None)?)];
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        pages.push((format!("rabbithole-{name}.1"), page(sub, Some(name))?));
    }
    Ok(pages)
}

/// One page; `name` is the subcommand's (none for rabbithole(1)).
fn page(cmd: &clap::Command, name: Option<&str>) -> std::io::Result<Vec<u8>> {
    let man = Man::new(cmd.clone())
        .source(format!("rabbithole {}", env!("CARGO_PKG_VERSION")))
        .manual("rabbithole manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if name.is_none() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::default();
    roff.control("SH", ["EXAMPLES"]);
    let examples: Vec<&render::help::Example> = match name {
        Some(name) => render::help::examples(name).iter().collect(),
        None => render::help::first_steps().to_vec(),
    };
    for e in examples {
        roff.control("TP", [])
            .text([bold(e.command)])
            .text([roman(e.shows)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(render::help::exit_status(name))]);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(match name {
        Some(_) => "rabbithole(1)".to_string(),
        None => see_also(cmd),
    })]);
    roff.to_writer(&mut out)?;
    Ok(out)
}

/// The subcommands' pages, as `rabbithole-trace(1), ...`.
fn see_also(cli: &clap::Command) -> String {
    let names: Vec<String> = cli
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("rabbithole-{}(1)", s.get_name()))
        .collect();
    names.join(", ")
}
