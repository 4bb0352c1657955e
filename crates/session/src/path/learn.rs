//! Learning the chain before explaining a call: `path` watches each call
//! of the chain with a breakpoint, so it must know the chain before the
//! call it explains is made. A spawned program is run once first, its
//! stdin, stdout and stderr on /dev/null, and killed at the chosen call
//! (the rehearsal); a process attached to teaches the chain with its next
//! matching call, and the one after it is explained.

use super::chain;
use super::plan::Plan;
use super::runner::Runner;
use super::Config;
use crate::Error;
use analysis::Analysis;
use gobin::GoBinary;
use std::ffi::OsString;
use std::path::Path;

/// The shell line that runs the rehearsal: the program with its
/// arguments, stdin, stdout and stderr on /dev/null (it must not eat the
/// real run's input nor print twice).
const REHEARSAL: &str = "exec \"$0\" \"$@\" </dev/null >/dev/null 2>&1";

/// What learning needs: the binary, its analysis, the call asked for.
pub(crate) struct Learner<'a, 'b, 'c> {
    pub(crate) go: &'a GoBinary<'b>,
    pub(crate) an: &'a Analysis<'b, 'c>,
    pub(crate) main_fn: usize,
    pub(crate) tls: i64,
    pub(crate) nr: u64,
    pub(crate) config: &'a Config,
    pub(crate) matching: Option<&'a regex::Regex>,
}

impl Learner<'_, '_, '_> {
    /// The breakpoints for the real run: the rehearsal's chain when the
    /// call was made in Go code, the static chains to `asmcgocall` when it
    /// was made in C (cgo), none when the call never came (the real run
    /// then says so).
    pub(crate) fn rehearse(&self, exe: &Path, rest: &[OsString]) -> Result<Plan, Error> {
        let go = self.go;
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
        .matching(self.matching);
        let mut args: Vec<OsString> = vec!["-c".into(), REHEARSAL.into(), exe.into()];
        args.extend(rest.iter().cloned());
        run.go(&OsString::from("/bin/sh"), &args)?;
        Ok(self.plan(&mut run).unwrap_or(none))
    }

    /// The breakpoints for explaining the next matching call of a process
    /// attached to, learned from its next matching call (the process runs
    /// on); None when it ended first.
    pub(crate) fn learn_attached(
        &self,
        session: &mut tracer::breakpoint::Session,
    ) -> Result<Option<Plan>, Error> {
        let none = Plan::empty();
        let mut run = Runner::new(self.go, self.tls, &none, self.nr, 1, self.config.goroutine)
            .learn()
            .matching(self.matching);
        run.attached(session)?;
        if run.drive(session, true)?.is_some() {
            return Ok(None);
        }
        Ok(self.plan(&mut run))
    }

    /// The plan from what `run` captured: the chain's calls when the call
    /// was made in Go code, the static chains to `asmcgocall` when it was
    /// made in C (cgo).
    fn plan(&self, run: &mut Runner<'_>) -> Option<Plan> {
        let (go, an) = (self.go, self.an);
        let cap = run.captured.take()?;
        let site = cap.entry.pc.wrapping_sub(2).wrapping_sub(run.bias);
        if go.pclntab.func_at(site).is_none() {
            return Some(Plan::build(
                go,
                an,
                self.main_fn,
                self.nr,
                self.config.goroutine,
            ));
        }
        chain::from_stack(go, an, &cap.stack, run.bias, site).map(|c| Plan::from_chain(go, an, &c))
    }
}
