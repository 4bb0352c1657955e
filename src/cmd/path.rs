//! `rabbithole path -- CMD ARGS`: the flags become a
//! [`session::path::Config`]; the session runs the program to the syscall
//! and writes the report.

use session::path::Config;
use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;

/// Which goroutine's syscall to stop at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Goroutine {
    /// The main goroutine (goid 1, the one running main.main)
    Main,
    /// Any goroutine
    Any,
}

/// Arguments of `path`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("path"))]
pub struct Args {
    /// The system call to stop at (name or number)
    #[arg(long, default_value = "write")]
    pub syscall: String,
    /// Stop at the Nth matching call
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub nth: u64,
    /// Whose calls count
    #[arg(long, value_enum, default_value_t = Goroutine::Main)]
    pub goroutine: Goroutine,
    /// Explain each rabbit hole on the way
    #[arg(long)]
    pub explain: bool,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML page with the chain as a diagram
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the report (text or JSON) to FILE instead of stdout, which the
    /// program shares
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The Go program to run and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Runs `path`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    // Color only for a terminal that has not asked for none.
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let config = Config {
        command: args.command,
        syscall: args.syscall,
        nth: args.nth,
        goroutine: match args.goroutine {
            Goroutine::Main => session::path::Goroutine::Main,
            Goroutine::Any => session::path::Goroutine::Any,
        },
        explain: args.explain,
        json: args.json,
        html: args.html,
        output: args.output,
        color,
    };
    Ok(session::path::run(&config)?)
}
