//! After the call it wanted, a breakpoint session lets the command run to
//! its end without stopping it (`Session::quiet`), unless the command has
//! seccomp filters of its own, which must keep working.

use std::ffi::OsString;
use std::path::PathBuf;
use tracer::breakpoint::{Session, Stop};
use tracer::{ExitKind, SeccompFilter};

const GETPPID: u32 = 110;

fn build() -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/progs/quiet.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("quiet");
    let st = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc (gcc) is needed to build the helper program");
    assert!(st.success());
    out
}

/// Runs the program, quiet after its first getppid: (stops after that
/// point, the filter count it saw, how it ended).
fn run(prog: &std::path::Path, mode: &str) -> (u64, String, Option<ExitKind>) {
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("quiet-{mode}.txt"));
    let _ = std::fs::remove_file(&report);
    let args = [report.clone().into_os_string(), OsString::from(mode)];
    let filter = SeccompFilter::new(&[GETPPID], 460);
    let mut s = Session::spawn(prog.as_os_str(), &args, Some(&filter)).expect("spawn");
    let mut at_quiet = None;
    let how = loop {
        match s.advance().expect("advance") {
            Stop::SyscallEntry { entry, .. }
                if entry.nr == u64::from(GETPPID) && at_quiet.is_none() =>
            {
                at_quiet = Some(s.stops());
                s.quiet();
            }
            Stop::Finished(how) => break how,
            _ => {}
        }
    };
    let after = s.stops() - at_quiet.expect("the first getppid stopped the program");
    let seen = std::fs::read_to_string(&report).unwrap_or_default();
    (after, seen.trim().to_string(), how)
}

#[test]
fn quiet_suspends_our_filter_but_never_the_programs_own() {
    let prog = build();
    // Only our filter: the first of the 20,000 calls after quiet stops once
    // (its thread gets the filter suspended), the rest run without stops.
    let (after, seen, how) = run(&prog, "ours");
    assert_eq!(how, Some(ExitKind::Exited(0)));
    assert_eq!(seen, "Seccomp_filters:\t1");
    assert!(after < 100, "{after} stops after quiet");

    // The program's own filter stays in force: nothing is suspended, and
    // every traced call still stops (and runs).
    let (after, seen, how) = run(&prog, "own");
    assert_eq!(how, Some(ExitKind::Exited(0)));
    assert_eq!(seen, "Seccomp_filters:\t2");
    assert!(
        after >= 20_000,
        "{after} stops after quiet: the program's filter was suspended"
    );
}
