//! `path`: the article's walkthrough in one run. The chain is what ran:
//! a rehearsal run (or, with `-p`, the attached process's next matching
//! call) finds the goroutine's stack at the syscall (`learn`, `chain`);
//! the real run has a breakpoint on each call and tail jump of that chain,
//! armed from the outermost (`plan`, `runner`); at the Nth matching
//! syscall the stack is the chain again, each call hop with the arguments
//! its callee's ABI read when the call was made (`args`, `hops`,
//! `report`). cgo calls, whose libc frames the unwinder cannot cross, use
//! the static chains to `asmcgocall`. `render` prints the report.

mod args;
mod chain;
mod hops;
mod learn;
mod plan;
mod report;
mod runner;

use crate::Error;
use analysis::Analysis;
use gobin::{GoBinary, MappedFile};
use plan::Plan;
use runner::Runner;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tracer::symbolize::Module;

/// Whose syscalls count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goroutine {
    /// The main goroutine (goid 1, the one running main.main).
    Main,
    /// Any goroutine.
    Any,
    /// The goroutine with this id.
    Id(u64),
}

/// Everything a `path` run needs, free of any command-line parser.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Go program to run and its arguments.
    pub command: Vec<OsString>,
    /// The syscall to stop at, by name or number.
    pub syscall: String,
    /// Stop at the Nth matching call (from 1).
    pub nth: u64,
    /// Whose calls count.
    pub goroutine: Goroutine,
    /// A function that must be on the chain (a regular expression matched
    /// against each frame's function name).
    pub matching: Option<String>,
    /// Attach to this running process instead of running `command`; it is
    /// left running.
    pub pid: Option<i32>,
    /// Add `--explain` notes where each rabbit hole opens.
    pub explain: bool,
    /// One JSON document instead of text.
    pub json: bool,
    /// Also write an HTML page here.
    pub html: Option<PathBuf>,
    /// Write the report here instead of stdout.
    pub output: Option<PathBuf>,
    /// Color the text report.
    pub color: bool,
}

/// SIGINT, SIGTERM, SIGHUP: they kill the command and nothing is
/// reported.
const INTERRUPTS: [i32; 3] = [2, 15, 1];

/// Runs the program to the chosen syscall and writes the report; the
/// program's exit code, or 1 when the call never came (the program having
/// exited 0).
pub fn run(config: &Config) -> Result<u8, Error> {
    let exe = match (config.pid, config.command.first()) {
        (Some(pid), _) => tracer::proc::executable(pid)
            .ok_or_else(|| Error::Usage(format!("-p {pid}: no such process")))?,
        (None, Some(program)) => tracer::resolve_program(program)?,
        (None, None) => {
            return Err(Error::Usage(
                "path needs a command or -p PID: rabbithole path -- CMD ARGS".into(),
            ))
        }
    };
    let name = exe.display().to_string();
    let (module, file) = open_binary(&exe, &name)?;
    let go = module
        .go()
        .ok_or_else(|| Error::Binary(format!("{name}: not a Go binary")))?;
    if go.bin.os != model::Os::Linux || go.bin.arch != model::Arch::Amd64 {
        return Err(Error::Binary(format!(
            "{name}: path runs linux/amd64 Go binaries (this one is {}/{}); `rabbithole syscalls --to {}` shows the static chain",
            go.bin.os.name(),
            go.bin.arch.name(),
            config.syscall
        )));
    }
    if !cfg!(target_arch = "x86_64") {
        return Err(Error::Usage(
            "path needs rabbithole built for linux/amd64".into(),
        ));
    }
    let main_fn = Analysis::new(go, None)
        .function("main.main")
        .ok_or_else(|| Error::Binary(format!("{name}: no main.main (not a Go program?)")))?;
    let an = Analysis::new(go, Some(main_fn));
    let nr = match config.syscall.parse::<u64>() {
        Ok(n) => n,
        Err(_) => an.syscall_number(&config.syscall).ok_or_else(|| {
            Error::Usage(format!("no linux/amd64 syscall named {}", config.syscall))
        })?,
    };
    let matching = match &config.matching {
        Some(re) => {
            Some(regex::Regex::new(re).map_err(|e| Error::Usage(format!("--match {re}: {e}")))?)
        }
        None => None,
    };
    let tls = module.g_tls_offset_amd64();
    tracer::interrupt::install(&INTERRUPTS)?;
    let learner = learn::Learner {
        go,
        an: &an,
        main_fn,
        tls,
        nr,
        config,
        matching: matching.as_ref(),
    };
    let (plan, mut run, outcome);
    if let Some(pid) = config.pid {
        let mut session = tracer::breakpoint::Session::attach(pid)?;
        plan = learner
            .learn_attached(&mut session)?
            .unwrap_or_else(Plan::empty);
        run = Runner::new(go, tls, &plan, nr, config.nth, config.goroutine)
            .matching(matching.as_ref());
        run.attached(&mut session)?;
        let ended = run.drive(&mut session, true)?;
        session.detach_all();
        outcome = ended.flatten();
    } else {
        let (program, rest) = config.command.split_first().expect("matched above");
        plan = learner.rehearse(&exe, rest)?;
        run = Runner::new(go, tls, &plan, nr, config.nth, config.goroutine)
            .matching(matching.as_ref());
        outcome = run.go(program, rest)?;
    }
    let exit_code = outcome.map(|k| k.shell_code()).unwrap_or(0);
    let Some(cap) = run.captured.take() else {
        let whose = match config.goroutine {
            Goroutine::Main => render::path_notes::Whose::Main,
            Goroutine::Any => render::path_notes::Whose::Any,
            Goroutine::Id(id) => render::path_notes::Whose::Goroutine(id),
        };
        let note = render::path_notes::no_such_call(
            &name,
            (run.count, run.others),
            &config.syscall,
            whose,
            config.matching.as_deref(),
            config.nth,
        );
        render::notes::emit(&note);
        return Ok(if exit_code == 0 { 1 } else { exit_code });
    };
    let dwarf = gobin::dwarf::Params::load(file.bytes());
    let mut report = report::build(
        go,
        &an,
        &plan,
        &run,
        cap,
        dwarf.as_ref(),
        &name,
        (nr, config.nth),
    );
    report.exit = outcome.map(|k| match k {
        tracer::ExitKind::Exited(c) => render::path_notes::exited(c),
        tracer::ExitKind::Killed { signal, .. } => render::path_notes::killed(signal),
    });
    if let (Some(pid), None) = (config.pid, &report.exit) {
        report.exit = Some(render::path_notes::left_running(pid));
    }
    if config.explain {
        render::path_explain::explain(&mut report, go.bin.os);
    }
    if let Some(path) = &config.html {
        let page = render::html::path_page(&report);
        std::fs::write(path, page)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    write_report(config, &report)?;
    Ok(exit_code)
}

/// The program's binary, parsed once through the tracer's module (which
/// also knows where `g` sits in TLS), and its bytes for DWARF. When it is
/// no Go binary, the Go parser says why.
fn open_binary(exe: &Path, name: &str) -> Result<(Module, MappedFile), Error> {
    let file = MappedFile::open(exe).map_err(|e| Error::Binary(format!("{name}: {e}")))?;
    match Module::open(exe) {
        Ok(m) if m.go().is_some() => Ok((m, file)),
        _ => {
            let why = match GoBinary::parse(file.bytes()) {
                Err(e) => e.to_string(),
                Ok(_) => "not a Go binary".to_string(),
            };
            Err(Error::Binary(format!("{name}: {why}")))
        }
    }
}

/// The report as text or JSON, to `-o FILE` or stdout.
fn write_report(config: &Config, report: &model::path::PathReport) -> Result<(), Error> {
    let out = if config.json {
        render::path_json::document(report)
            .map_err(|e| Error::io("writing the report", e.into()))?
    } else {
        render::path::text(report, config.color)
    };
    if let Some(path) = &config.output {
        return std::fs::write(path, out)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e));
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    w.write_all(out.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| Error::io("writing the report", e))
}
