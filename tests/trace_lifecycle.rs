//! One lifecycle rule for both backends, strace's: when rabbithole ends
//! early (killed with SIGKILL, or its output is a closed pipe), what it
//! spawned dies with it and what it attached to keeps running; a kernel
//! thread is refused, not waited on.

mod trace_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trace_support::*;

fn backends() -> Vec<&'static str> {
    match ebpf_unavailable() {
        None => vec!["ptrace", "ebpf"],
        Some(why) => {
            eprintln!("eBPF unavailable, only ptrace is checked: {why}");
            vec!["ptrace"]
        }
    }
}

/// Whether `pid` still runs (a zombie or a missing process does not).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X'))
        }
        Err(_) => false,
    }
}

/// Waits up to `secs` for `cond`.
fn within(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// The pid of `parent`'s child once it runs `exe` (after its exec).
fn child_running(parent: u32, exe: &str) -> i32 {
    let mut found = None;
    let ok = within(20, || {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        found = children.split_whitespace().find_map(|p| {
            let pid: i32 = p.parse().ok()?;
            let target = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
            target.ends_with(exe).then_some(pid)
        });
        found.is_some()
    });
    assert!(ok, "no {exe} child of {parent}");
    found.unwrap()
}

fn kill9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn killing_rabbithole_kills_what_it_spawned() {
    for backend in backends() {
        let mut rab = Command::new(rabbithole())
            .args(["trace", "--backend", backend, "-f", "-o", "/dev/null"])
            .args(["--", "sleep", "30"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let sleeper = child_running(rab.id(), "sleep");
        kill9(&mut rab);
        assert!(
            within(5, || !running(sleeper)),
            "--backend {backend}: the spawned sleep outlived rabbithole"
        );
    }
}

#[test]
fn killing_rabbithole_leaves_what_it_attached_to() {
    for backend in backends() {
        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = sleeper.id().to_string();
        let mut rab = Command::new(rabbithole())
            .args(["trace", "--backend", backend, "-o", "/dev/null", "-p", &pid])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Attached once it says so.
        let mut line = String::new();
        BufReader::new(rab.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("attached"), "{backend}: {line}");
        kill9(&mut rab);
        std::thread::sleep(Duration::from_millis(300));
        let alive = running(sleeper.id() as i32);
        kill9(&mut sleeper);
        assert!(alive, "--backend {backend}: the attached sleep died");
    }
}

#[test]
fn closed_output_pipe_ends_the_trace_and_the_program() {
    for backend in backends() {
        let marker = tmp(&format!("epipe-{backend}"));
        let _ = std::fs::remove_file(&marker);
        let script = format!(
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo $i; done; sleep 1; echo > '{}'",
            marker.display()
        );
        let mut rab = Command::new(rabbithole())
            .args([
                "trace",
                "--backend",
                backend,
                "-f",
                "--",
                "sh",
                "-c",
                &script,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -1`: one line, then the pipe is closed.
        let mut line = String::new();
        BufReader::new(rab.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let status = wait_deadline(&mut rab, 30);
        assert_eq!(status.code(), Some(0), "--backend {backend}");
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !marker.exists(),
            "--backend {backend}: the program went on after the trace ended"
        );
    }
}

/// A kernel thread visible here (pid 2 is kthreadd outside a pid
/// namespace), if any.
fn kernel_thread() -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&pid| tracer::proc::is_kernel_thread(pid))
}

#[test]
fn kernel_threads_are_refused() {
    let Some(pid) = kernel_thread() else {
        eprintln!("no kernel thread visible in this pid namespace: nothing to attach to");
        return;
    };
    for backend in backends() {
        let out = run(
            Command::new(rabbithole()).args([
                "trace",
                "--backend",
                backend,
                "-p",
                &pid.to_string(),
            ]),
            20,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{backend}: {err}");
        assert!(
            err.contains(&format!(
                "cannot attach to process {pid}: Operation not permitted"
            )),
            "{backend}: {err}"
        );
    }
}
