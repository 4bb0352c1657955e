//! `path -p PID` on a running server-like program (`calls tick`: a line
//! every 10 ms from main): the next write teaches the chain, the one
//! after it is explained with arguments, and the program is left running
//! and still writing. Needs ptrace (root in the project's environment).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[test]
fn attaches_explains_and_leaves_it_running() {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin/calls-go1.27-linux-amd64");
    let mut prog = Command::new(bin)
        .arg("tick")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(prog.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "tick 0");
    let out = std::env::temp_dir().join(format!("rh-path-attach-{}.json", std::process::id()));
    let st = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--json", "-o"])
        .arg(&out)
        .arg("-p")
        .arg(prog.id().to_string())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert_eq!(
        st.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let call = v["syscall"]["text"].as_str().unwrap();
    assert!(call.starts_with("write(1, \"tick "), "{call}");
    assert_eq!(v["goroutine"], 1);
    let hops = v["hops"].as_array().unwrap();
    let names: Vec<&str> = hops
        .iter()
        .map(|h| h["function"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], ["main.main", "fmt.Println", "fmt.Fprintln"]);
    for h in hops.iter().filter(|h| h.get("call").is_some()) {
        assert!(h["args_abi"].is_string(), "{}: no arguments", h["function"]);
    }
    assert!(v["exit"].as_str().unwrap().contains("runs on"));
    // Still running, still writing, untraced.
    let n: Vec<String> = lines.by_ref().take(5).map(|l| l.unwrap()).collect();
    assert_eq!(n.len(), 5);
    assert!(prog.try_wait().unwrap().is_none(), "the program died");
    let status = std::fs::read_to_string(format!("/proc/{}/status", prog.id())).unwrap();
    assert!(status.contains("TracerPid:\t0\n"), "still traced: {status}");
    prog.kill().unwrap();
    prog.wait().unwrap();
}
