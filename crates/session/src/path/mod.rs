//! `path`: the article's walkthrough in one run. The static call graph
//! gives candidate chains from `main.main` to every instruction that can
//! make the requested syscall (`plan`); the program runs under ptrace with
//! a breakpoint on each `CALL`/`JMP` of those chains (`runner`); at the Nth
//! matching syscall the chain whose calls are still on the goroutine's
//! stack is the answer, each hop with the arguments its callee's ABI reads
//! (`args`, `hops`, `report`). `render` prints the report.

mod args;
mod chain;
mod hops;
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
    let (program, rest) = config
        .command
        .split_first()
        .ok_or_else(|| Error::Usage("path needs a command: rabbithole path -- CMD ARGS".into()))?;
    let exe = tracer::resolve_program(program)?;
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
    let rehearsal = Rehearsal {
        go,
        an: &an,
        main_fn,
        tls,
        nr,
        config,
    };
    let plan = rehearsal.learn(&exe, rest, matching.as_ref())?;
    let mut run =
        Runner::new(go, tls, &plan, nr, config.nth, config.goroutine).matching(matching.as_ref());
    let outcome = run.go(program, rest)?;
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
        eprintln!("rabbithole: {note}");
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

/// The shell line that runs the rehearsal: the program with its
/// arguments, stdin, stdout and stderr on /dev/null (it must not eat the
/// real run's input nor print twice).
const REHEARSAL: &str = "exec \"$0\" \"$@\" </dev/null >/dev/null 2>&1";

/// The first of `path`'s two runs: the program runs to the chosen call and
/// is killed there; the goroutine's stack then names the calls that led to
/// it, which the second run watches with a breakpoint each.
struct Rehearsal<'a, 'b, 'c> {
    go: &'a GoBinary<'b>,
    an: &'a Analysis<'b, 'c>,
    main_fn: usize,
    tls: i64,
    nr: u64,
    config: &'a Config,
}

impl Rehearsal<'_, '_, '_> {
    /// The breakpoints for the real run: the rehearsal's chain when the
    /// call was made in Go code, the static chains to `asmcgocall` when it
    /// was made in C (cgo), none when the call never came (the real run
    /// then says so).
    fn learn(
        &self,
        exe: &Path,
        rest: &[OsString],
        matching: Option<&regex::Regex>,
    ) -> Result<Plan, Error> {
        let (go, an) = (self.go, self.an);
        let none = Plan::empty();
        let mut run = Runner::new(
            go,
            self.tls,
            &none,
            self.nr,
            self.config.nth,
            self.config.goroutine,
        )
        .rehearse()
        .matching(matching);
        let mut args: Vec<OsString> = vec!["-c".into(), REHEARSAL.into(), exe.into()];
        args.extend(rest.iter().cloned());
        run.go(&OsString::from("/bin/sh"), &args)?;
        let Some(cap) = run.captured.take() else {
            return Ok(none);
        };
        let site = cap.entry.pc.wrapping_sub(2).wrapping_sub(run.bias);
        if go.pclntab.func_at(site).is_none() {
            return Ok(Plan::build(
                go,
                an,
                self.main_fn,
                self.nr,
                self.config.goroutine,
            ));
        }
        Ok(chain::from_stack(go, an, &cap.stack, run.bias, site)
            .map(|c| Plan::from_chain(go, an, &c))
            .unwrap_or(none))
    }
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
