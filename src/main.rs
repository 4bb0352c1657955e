//! The `rabbithole` command line: parse flags, dispatch to one function per
//! command, map errors to exit codes. Everything else lives in the crates.

#![forbid(unsafe_code)]

mod cmd;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser, Subcommand};
use render::color::ColorChoice;
use std::process::ExitCode;

/// How exactly does this Go program make its system calls?
#[derive(Parser)]
#[command(name = "rabbithole", version, about, propagate_version = true)]
struct Cli {
    /// When to color output (auto: a terminal without NO_COLOR)
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        value_parser = PossibleValuesParser::new(ColorChoice::NAMES)
            .map(|name| ColorChoice::from_name(&name).expect("a listed name")),
    )]
    color: ColorChoice,
    // None: `run` prints where to start.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Container, Go build info, linking and syscall mechanism of a binary (never runs it)
    Inspect(cmd::inspect::Args),
    /// Every function from the pclntab (works on stripped binaries)
    Funcs(cmd::funcs::Args),
    /// Addresses to functions, files and lines, inlined frames first
    Addr2line(cmd::addr2line::Args),
    /// Disassembly in Go (Plan 9), GNU or Intel syntax
    Disasm(cmd::disasm::Args),
    /// Every syscall site of a binary and the call paths from main.main to it
    Syscalls(cmd::syscalls::Args),
    /// strace-style live tracing with decoded arguments
    Trace(cmd::trace::Args),
    /// Run a Go program and show every hop from main.main down to one syscall
    Path(cmd::path::Args),
    /// Where every byte of a binary goes: by kind, section, package and module
    Size(cmd::size::Args),
    /// Two binaries side by side: facts, path to write, size by kind and package
    Compare(cmd::compare::Args),
    /// Shell completions (bash, zsh, fish, ...) generated from these flags
    Completions(cmd::completions::Args),
    /// Man pages, one per command, generated from these flags
    Man(cmd::man::Args),
}

fn main() -> ExitCode {
    let result = match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) if e.kind() == ErrorKind::DisplayVersion => version(),
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if cmd::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // The chain of causes, each once: library errors often say
            // their cause in their own message already.
            let mut line = err.to_string();
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !line.contains(&cause) {
                    line.push_str(": ");
                    line.push_str(&cause);
                }
            }
            render::notes::emit(&line);
            ExitCode::from(
                err.downcast_ref::<session::Error>()
                    .map_or(2, session::Error::exit_code),
            )
        }
    }
}

/// Runs the command line's command; none: prints where to start.
fn run(cli: Cli) -> anyhow::Result<u8> {
    cli.color.set_global();
    let Some(command) = cli.command else {
        render::help::write_start_here(&mut std::io::stdout())?;
        return Ok(0);
    };
    match command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Funcs(args) => cmd::funcs::run(args),
        Command::Addr2line(args) => cmd::addr2line::run(args),
        Command::Disasm(args) => cmd::disasm::run(args),
        Command::Syscalls(args) => cmd::syscalls::run(args),
        Command::Trace(args) => cmd::trace::run(args),
        Command::Path(args) => cmd::path::run(args),
        Command::Size(args) => cmd::size::run(args),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Completions(args) => cmd::completions::run(args, Cli::command()),
        Command::Man(args) => cmd::man::run(args, Cli::command()),
    }
}

/// `--version`: the version, the commit, and which tracing backends work
/// on this build and this machine.
fn version() -> anyhow::Result<u8> {
    let backends = [
        ("ptrace", tracer::support::ptrace()),
        ("ebpf", tracer::support::ebpf()),
    ];
    let facts = render::help::Version {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("RABBITHOLE_COMMIT"),
        backends: &backends,
    };
    render::help::write_version(&mut std::io::stdout(), &facts)?;
    Ok(0)
}
