//! Which call `path` explains: `--goroutine main|any|N`, `--nth N`,
//! `--match REGEX`, and what it says when no call matches (issue #16
//! item 5: it names the flag that would have found one). Needs ptrace
//! (root in the project's environment).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const CALLS: &str = "calls-go1.27-linux-amd64";

fn bin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name)
}

fn path(flags: &[&str], args: &[&str]) -> (Output, Option<Value>) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out =
        std::env::temp_dir().join(format!("rh-path-select-{}-{run}.json", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--json", "-o"])
        .arg(&out)
        .args(flags)
        .arg("--")
        .arg(bin(CALLS))
        .args(args)
        .output()
        .unwrap();
    let v = std::fs::read_to_string(&out)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    let _ = std::fs::remove_file(&out);
    (o, v)
}

fn functions(v: &Value) -> Vec<String> {
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["function"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn no_write_from_main_suggests_any_goroutine() {
    let (o, v) = path(&[], &["closure"]);
    assert!(v.is_none());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "from a goroutine\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("made 0 write call(s) from the main goroutine")
            && err.contains("try --goroutine any"),
        "{err}"
    );
}

/// Goroutine ids depend on scheduling (each P takes ids in batches), so a
/// new run's other goroutines cannot be named in advance; goroutine 1 is
/// always main's.
#[test]
fn a_goroutine_by_id() {
    let (_, main) = path(&[], &["fmt"]);
    let (o, v) = path(&["--goroutine", "1"], &["fmt"]);
    let v = v.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    let main = main.expect("report");
    assert_eq!(v["goroutine"], 1);
    assert_eq!(v["syscall"]["text"], main["syscall"]["text"]);
    assert_eq!(functions(&v), functions(&main));
    // A goroutine that makes none.
    let (o, _) = path(&["--goroutine", "99999"], &["closure"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("from goroutine 99999"), "{err}");
    let o = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--goroutine", "some", "--"])
        .arg(bin(CALLS))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_nth_call_of_many() {
    // 1000 writes to /dev/null, then one to stdout.
    let (_, v) = path(&["--nth", "1000"], &["loop", "1000"]);
    let v = v.expect("report");
    assert!(
        v["syscall"]["text"]
            .as_str()
            .unwrap()
            .ends_with(", \"x\", 1) = 1"),
        "{}",
        v["syscall"]["text"]
    );
    assert_eq!(v["nth"], 1000);
    let (_, v) = path(&["--nth", "1001"], &["loop", "1000"]);
    assert_eq!(
        v.expect("report")["syscall"]["text"],
        "write(1, \"loop done\\n\", 10) = 10"
    );
}

#[test]
fn a_function_that_must_be_on_the_chain() {
    let (_, v) = path(
        &["--syscall", "connect", "--match", "^net\\.Dial$"],
        &["dial"],
    );
    let v = v.expect("report");
    assert!(functions(&v).iter().any(|f| f == "net.Dial"));
    let (o, v) = path(&["--match", "encoding/json"], &["fmt"]);
    assert!(v.is_none());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("with encoding/json on the chain") && err.contains("without --match"),
        "{err}"
    );
    let (_, v) = path(&["--match", "encoding/json"], &["json"]);
    assert!(functions(&v.expect("report"))
        .iter()
        .any(|f| f.starts_with("encoding/json.")));
    let (o, _) = path(&["--match", "("], &["fmt"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Workers share the lower half of main's chain (`syscall.Write` down to
/// `Syscall6`): its breakpoints are armed only once main is on its way,
/// and every call hop of main's write still carries its arguments.
#[test]
fn main_among_busy_goroutines() {
    let out = std::env::temp_dir().join(format!("rh-path-select-busy-{}.json", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--json", "-o"])
        .arg(&out)
        .arg("--")
        .arg(bin("goroutines-go1.27-linux-amd64"))
        .args(["4", "2000"])
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["goroutine"], 1);
    assert!(v["syscall"]["text"]
        .as_str()
        .unwrap()
        .starts_with("write(1, \"worker 0 goid "));
    for h in v["hops"].as_array().unwrap() {
        if h.get("call").is_some() {
            assert!(h["args_abi"].is_string(), "{}: no arguments", h["function"]);
        }
    }
}

/// `--explain` says what a register call and a closure are where they
/// appear.
#[test]
fn explain_names_dispatch_and_closures() {
    let (_, v) = path(&["--explain", "--goroutine", "any"], &["closure"]);
    let v = v.expect("report");
    let topics = |v: &Value| -> Vec<(String, String)> {
        v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| {
                h["explain"].as_array().into_iter().flatten().map(move |e| {
                    (
                        h["function"].as_str().unwrap().to_string(),
                        e["topic"].as_str().unwrap().to_string(),
                    )
                })
            })
            .collect()
    };
    let t = topics(&v);
    assert!(
        t.contains(&("main.main.func1".into(), "closure".into())),
        "{t:?}"
    );
    let (_, v) = path(&["--explain"], &["iface"]);
    let t = topics(&v.expect("report"));
    assert!(
        t.contains(&(
            "main.viaInterface".into(),
            "interface or function value call".into()
        )),
        "{t:?}"
    );
}
