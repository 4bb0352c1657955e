//! `rabbithole path -- CMD ARGS`: the flags become a
//! [`session::path::Config`]; the session runs the program to the syscall
//! and writes the report.

use session::path::Config;
use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;

/// Which goroutine's syscall to stop at: `main`, `any` or a goroutine id.
fn goroutine(s: &str) -> Result<session::path::Goroutine, String> {
    match s {
        "main" => Ok(session::path::Goroutine::Main),
        "any" => Ok(session::path::Goroutine::Any),
        n => n
            .parse()
            .map(session::path::Goroutine::Id)
            .map_err(|_| format!("{n}: expected main, any or a goroutine id")),
    }
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
    /// Whose calls count: main, any, or a goroutine id
    #[arg(long, value_name = "main|any|N", default_value = "main", value_parser = goroutine)]
    pub goroutine: session::path::Goroutine,
    /// Only calls with a function matching REGEX on their chain (e.g.
    /// net/http)
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<String>,
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
    /// Attach to this running Go program: its next matching call teaches
    /// the chain, the one after it is explained, then path detaches and
    /// leaves it running
    #[arg(
        short = 'p',
        long = "attach",
        value_name = "PID",
        conflicts_with = "command"
    )]
    pub pid: Option<i32>,
    /// The Go program to run and its arguments
    #[arg(
        required_unless_present = "pid",
        trailing_var_arg = true,
        value_name = "CMD"
    )]
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
        goroutine: args.goroutine,
        matching: args.matching,
        pid: args.pid,
        explain: args.explain,
        json: args.json,
        html: args.html,
        output: args.output,
        color,
    };
    Ok(session::path::run(&config)?)
}
