//! Shared helpers for the `trace` tests: run a command with a deadline,
//! run strace and rabbithole on the same command, normalize their lines.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub fn rabbithole() -> &'static str {
    env!("CARGO_BIN_EXE_rabbithole")
}

pub fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name);
    assert!(
        p.exists(),
        "fixture {} missing (tests/fixtures/build.sh builds it)",
        p.display()
    );
    p
}

pub fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trace-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Why eBPF cannot run here, from the command itself; `None` when it can.
pub fn ebpf_unavailable() -> Option<String> {
    let out = run(
        Command::new(rabbithole()).args([
            "trace",
            "--backend",
            "ebpf",
            "-o",
            "/dev/null",
            "--",
            "true",
        ]),
        30,
    );
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Waits for `child` at most `secs` seconds, killing it after that.
pub fn wait_deadline(child: &mut Child, secs: u64) -> ExitStatus {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a command with a deadline, capturing stdout and stderr.
pub fn run(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out_pipe = child.stdout.take().unwrap();
    let err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || read_all(out_pipe));
    let err_t = std::thread::spawn(move || read_all(err_pipe));
    let status = wait_deadline(&mut child, secs);
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

fn read_all(mut r: impl std::io::Read) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v);
    v
}

/// Traces `cmd` with strace and with rabbithole (same flags, `-o FILE`,
/// the program's stdout to /dev/null), returns both raw trace files.
pub fn trace_both(tag: &str, flags: &[&str], cmd: &[&str]) -> (String, String) {
    let s_out = tmp(&format!("{tag}.strace"));
    let r_out = tmp(&format!("{tag}.rabbithole"));
    let st = Command::new("strace")
        .args(flags)
        .arg("-o")
        .arg(&s_out)
        .arg("--")
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map(|mut c| wait_deadline(&mut c, 60))
        .expect("strace is needed for these tests (.ci/run installs it)");
    let rt = Command::new(rabbithole())
        .args(["trace", "--backend", "ptrace"])
        .args(flags)
        .arg("-o")
        .arg(&r_out)
        .arg("--")
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map(|mut c| wait_deadline(&mut c, 60))
        .unwrap();
    // strace re-raises a fatal signal on itself; rabbithole exits 128+N.
    use std::os::unix::process::ExitStatusExt;
    let strace_code = st.code().or_else(|| st.signal().map(|s| 128 + s));
    assert_eq!(
        strace_code,
        rt.code(),
        "exit codes differ: strace {st:?}, rabbithole {rt:?}"
    );
    (
        std::fs::read_to_string(&s_out).unwrap(),
        std::fs::read_to_string(&r_out).unwrap(),
    )
}

/// One event line of a trace written with `-f -o FILE` (bare pid prefix),
/// `<unfinished ...>`/`<... resumed>` halves joined.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line {
    pub pid: String,
    pub name: String,
    pub text: String,
}

/// Parses a `-f -o FILE` trace: joins split calls, labels pids P1, P2...
/// in order of first appearance (also inside the text: clone results,
/// si_pid), and replaces addresses with 0xX and padding before ` = `.
pub fn normalize(trace: &str) -> Vec<Line> {
    let mut held: HashMap<String, String> = HashMap::new();
    let mut joined: Vec<(String, String)> = Vec::new();
    for raw in trace.lines() {
        let (pid, rest) = match raw.split_once(' ') {
            Some((p, r)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
                (p.to_string(), r.trim_start().to_string())
            }
            _ => (String::new(), raw.to_string()),
        };
        if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            held.insert(pid, head.to_string());
            continue;
        }
        if rest.starts_with("<... ") {
            if let Some(idx) = rest.find(" resumed>") {
                let tail = &rest[idx + " resumed>".len()..];
                let head = held.remove(&pid).unwrap_or_default();
                joined.push((pid, format!("{head}{tail}")));
                continue;
            }
        }
        joined.push((pid, rest));
    }
    // Calls still open when the trace ended.
    for (pid, head) in held {
        joined.push((pid, format!("{head} <unfinished ...>")));
    }
    let mut labels: HashMap<String, String> = HashMap::new();
    for (pid, _) in &joined {
        let n = labels.len() + 1;
        labels.entry(pid.clone()).or_insert_with(|| format!("P{n}"));
    }
    let hex = regex::Regex::new(r"0x[0-9a-f]+").unwrap();
    let pad = regex::Regex::new(r"\)\s+= ").unwrap();
    let num = regex::Regex::new(r"\b\d{2,}\b").unwrap();
    joined
        .into_iter()
        .map(|(pid, text)| {
            let text = hex.replace_all(&text, "0xX");
            let text = pad.replace_all(&text, ") = ");
            let text = num.replace_all(&text, |c: &regex::Captures| {
                labels
                    .get(&c[0])
                    .cloned()
                    .unwrap_or_else(|| c[0].to_string())
            });
            let name = text.split('(').next().unwrap_or("").to_string();
            Line {
                pid: labels.get(&pid).cloned().unwrap_or_default(),
                name,
                text: text.into_owned(),
            }
        })
        .collect()
}

/// Replaces every decimal number with N (for calls whose counts and
/// values depend on scheduling, e.g. futex).
pub fn shape(text: &str) -> String {
    // Strings holding numbers (a worker's report with its tid) are cut at
    // -s 32 at a point that depends on how many digits the tid has.
    let numbered = regex::Regex::new(r#""[^"]*\d[^"]*"(\.\.\.)?"#).unwrap();
    let text = numbered.replace_all(text, "\"S\"");
    // A pid label (P3) exists only if that thread printed a line, which a
    // thread born just before exit_group may not have done.
    let text = regex::Regex::new(r"\bP\d+")
        .unwrap()
        .replace_all(&text, "N");
    regex::Regex::new(r"\d+")
        .unwrap()
        .replace_all(&text, "N")
        .into_owned()
}

/// A unified-style listing of two line lists, for failure messages.
pub fn show_diff(a_name: &str, a: &[String], b_name: &str, b: &[String]) -> String {
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    let n = a.len().max(b.len());
    let mut shown = 0;
    for i in 0..n {
        let x = a.get(i);
        let y = b.get(i);
        if x != y {
            if let Some(x) = x {
                out.push_str(&format!("-{i}: {x}\n"));
            }
            if let Some(y) = y {
                out.push_str(&format!("+{i}: {y}\n"));
            }
            shown += 1;
            if shown > 40 {
                out.push_str("...\n");
                break;
            }
        }
    }
    out
}

/// Values that differ between any two runs of the same program.
pub fn scrub(text: &str) -> String {
    let random = regex::Regex::new(r#"getrandom\("[^"]*"(\.\.\.)?"#).unwrap();
    let text = random.replace_all(text, "getrandom(\"RANDOM\"");
    // Times and sizes of files the runs themselves write.
    let times = regex::Regex::new(r"(st_[amc]time(_nsec)?|tv_n?sec)=\d+").unwrap();
    let text = times.replace_all(&text, "$1=T");
    // CPU time a child used, as SIGCHLD reports it.
    let cpu = regex::Regex::new(r"(si_[us]time)=\d+( /\* [^*]* \*/)?").unwrap();
    let text = cpu.replace_all(&text, "$1=T");
    // The tracer's own pid, ephemeral ports, random temp dir names.
    let parent = regex::Regex::new(r"getppid\(\) = \d+").unwrap();
    let text = parent.replace_all(&text, "getppid() = PARENT");
    let port = regex::Regex::new(r"htons\(\d+\)").unwrap();
    let text = port.replace_all(&text, "htons(PORT)");
    let tmp = regex::Regex::new(r"files_net\d+").unwrap();
    tmp.replace_all(&text, "files_netRANDOM").into_owned()
}
