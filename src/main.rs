//! The `rabbithole` command line: parse flags, dispatch to one function per
//! command, map errors to exit codes. Everything else lives in the crates.

mod cmd;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Parser, Subcommand};
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
    #[command(subcommand)]
    command: Command,
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    cli.color.set_global();
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Funcs(args) => cmd::funcs::run(args),
        Command::Addr2line(args) => cmd::addr2line::run(args),
        Command::Disasm(args) => cmd::disasm::run(args),
        Command::Syscalls(args) => cmd::syscalls::run(args),
        Command::Trace(args) => cmd::trace::run(args),
        Command::Path(args) => cmd::path::run(args),
        Command::Size(args) => cmd::size::run(args),
        Command::Compare(args) => cmd::compare::run(args),
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
            eprintln!("rabbithole: {}", render::terminal::escape(&line));
            ExitCode::from(2)
        }
    }
}
