//! `rabbithole path` end to end on the committed fixtures: runs each Go
//! program under the tracer and checks the chain against gdb's backtrace
//! at the same `write` (tests/fixtures/golden/*.gdb-bt.txt), the argument
//! values each ABI passes, and the decoded syscall. Needs ptrace (root in
//! the project's environment); the HTML test also needs Debian chromium.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/bin").join(name)
}

/// Runs `path` with `extra` flags, the JSON report to a file; returns it
/// and the exit code.
fn path_json(bin: &str, extra: &[&str]) -> (Value, i32) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rh-path-{}-{run}-{bin}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("report.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rabbithole"));
    cmd.arg("path")
        .arg("--json")
        .arg("-o")
        .arg(&out)
        .args(extra);
    cmd.arg("--").arg(fixture(bin));
    let st = cmd.output().expect("run rabbithole");
    assert!(
        out.exists(),
        "{bin}: no report; stderr: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (v, st.status.code().unwrap_or(-1))
}

/// Function names of gdb's backtrace, outermost first, up to the first
/// frame that is not Go code of the program (`runtime.goexit`, `??`).
fn gdb_chain(golden: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/golden").join(golden))
        .unwrap_or_else(|e| panic!("{golden}: {e}"));
    let mut out = Vec::new();
    for line in text.lines() {
        // "#3  0x... in NAME (args) at file" or "#6  NAME () at file"
        let rest = line.split_once(' ').map(|x| x.1).unwrap_or("").trim_start();
        let rest = match rest.split_once(" in ") {
            Some((addr, r)) if addr.starts_with("0x") => r,
            _ => rest,
        };
        let name = rest.split(" (").next().unwrap_or("").trim();
        if name.is_empty() || name == "??" || name.starts_with("runtime.goexit") {
            break;
        }
        out.push(name.to_string());
    }
    out.reverse();
    out
}

fn hops(v: &Value) -> &Vec<Value> {
    v["hops"].as_array().expect("hops")
}

/// Our chain as a stack shows it: every hop except the ones that left by
/// a tail jump (no frame of theirs survives).
fn stack_view(v: &Value) -> Vec<String> {
    let h = hops(v);
    (0..h.len())
        .filter(|&i| h.get(i + 1).is_none_or(|n| n["via"] != "tail-jump"))
        .map(|i| h[i]["function"].as_str().unwrap().to_string())
        .collect()
}

fn arg(hop: &Value, k: usize) -> &Value {
    &hop["args"][k]
}

/// The checks every syscall_minimal build must pass.
fn check_minimal(bin: &str, golden: &str) {
    let (v, code) = path_json(bin, &[]);
    assert_eq!(code, 0, "{bin}: exit code");
    assert_eq!(
        v["syscall"]["text"], "write(1, \"hello syscall\\n\", 14) = 14",
        "{bin}"
    );
    assert_eq!(v["syscall"]["name"], "write");
    assert_eq!(v["syscall"]["nr"], 1);
    assert_eq!(v["syscall"]["ret"], "14");
    assert_eq!(v["goroutine"], 1, "{bin}: main goroutine");
    assert_eq!(stack_view(&v), gdb_chain(golden), "{bin}: chain vs gdb bt");
    let h = hops(&v);
    assert_eq!(h[0]["function"], "main.main");
    assert!(
        h.iter()
            .any(|x| x["via"] == "inlined" && x["function"] == "golang.org/x/sys/unix.Write"),
        "{bin}: inlined unix.Write hop"
    );
    let jump = h
        .iter()
        .position(|x| x["via"] == "tail-jump")
        .unwrap_or_else(|| panic!("{bin}: no tail jump"));
    assert_eq!(h[jump - 1]["function"], "golang.org/x/sys/unix.Syscall");
    assert_eq!(h[jump - 1]["abi"], "ABI0");
    assert_eq!(h[jump - 1]["asm"], true);
    assert_eq!(h[jump]["abi"], "wrapper");
    assert_eq!(h[jump + 1]["via"], "wrapper");
    for x in h {
        if x.get("call").is_some() {
            assert_eq!(x["observed"], true, "{bin}: {} observed", x["function"]);
        }
    }

    // main.main's call (made by the inlined unix.Write): fd in RAX, the
    // slice in RBX, RCX, RDI.
    let first = h
        .iter()
        .find(|x| x.get("call").is_some())
        .expect("a call in main.main");
    assert_eq!(
        first["call"]["go"], "CALL golang.org/x/sys/unix.write(SB)",
        "{bin}"
    );
    assert_eq!(first["args_abi"], "ABIInternal");
    let loc: Vec<&str> = (0..4)
        .map(|k| arg(first, k)["location"].as_str().unwrap())
        .collect();
    assert_eq!(loc, ["RAX", "RBX", "RCX", "RDI"], "{bin}");
    assert_eq!(arg(first, 0)["value"], 1);
    assert_eq!(arg(first, 1)["string"], "\"hello syscall\\n\"");
    assert_eq!(arg(first, 2)["value"], 14);
    assert_eq!(arg(first, 3)["value"], 14);
    let ptr = arg(first, 1)["value"].as_u64().unwrap();

    // unix.write → ABI0 unix.Syscall: SYS_WRITE, fd, pointer, length on
    // the stack.
    let write = h
        .iter()
        .find(|x| x["function"] == "golang.org/x/sys/unix.write")
        .expect("unix.write hop");
    assert_eq!(write["args_abi"], "ABI0");
    assert!(write["call"]["go"]
        .as_str()
        .unwrap()
        .starts_with("CALL golang.org/x/sys/unix.Syscall"));
    assert!(write["call"]["gnu"].as_str().unwrap().starts_with("call"));
    let slots: Vec<(&str, u64)> = (0..4)
        .map(|k| {
            (
                arg(write, k)["location"].as_str().unwrap(),
                arg(write, k)["value"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        slots,
        [
            ("0(SP)", 1),
            ("0x8(SP)", 1),
            ("0x10(SP)", ptr),
            ("0x18(SP)", 14)
        ],
        "{bin}"
    );
    if !bin.contains("stripped") {
        assert_eq!(arg(first, 0)["name"], "fd", "{bin}: DWARF names");
        assert_eq!(arg(first, 2)["name"], "p.len");
        assert_eq!(arg(write, 0)["name"], "trap");
    }
    // The kernel's registers.
    let regs = v["registers"].as_array().unwrap();
    let names: Vec<&str> = regs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["rax", "rdi", "rsi", "rdx", "r10", "r8", "r9"]);
    assert_eq!(regs[0]["value"], 1);
    assert_eq!(regs[1]["value"], 1);
    assert_eq!(regs[2]["value"].as_u64(), Some(ptr));
    assert_eq!(regs[3]["value"], 14);
    assert_eq!(
        v["syscall"]["instruction"]["go"], "SYSCALL",
        "{bin}: instruction"
    );
    // entersyscall / exitsyscall as side calls of syscall.Syscall.
    let sides: Vec<&str> = h
        .iter()
        .flat_map(|x| x["side_calls"].as_array().into_iter().flatten())
        .map(|s| s["function"].as_str().unwrap())
        .collect();
    assert!(sides.contains(&"runtime.exitsyscall"), "{bin}: {sides:?}");
}

#[test]
fn syscall_minimal_all_versions() {
    for v in ["1.19", "1.21", "1.24", "1.27"] {
        let plain = format!("syscall_minimal-go{v}-linux-amd64");
        let golden = format!("{plain}.gdb-bt.txt");
        check_minimal(&plain, &golden);
        check_minimal(&format!("{plain}-stripped"), &golden);
        let pie = format!("{plain}-pie");
        if fixture(&pie).exists() {
            check_minimal(&pie, &format!("{pie}.gdb-bt.txt"));
        }
    }
}

#[test]
fn syscall_write_standard_library() {
    let bin = "syscall_write-go1.27-linux-amd64";
    let (v, code) = path_json(bin, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        v["syscall"]["text"],
        "write(1, \"hello syscall\\n\", 14) = 14"
    );
    assert_eq!(stack_view(&v), gdb_chain(&format!("{bin}.gdb-bt.txt")));
    assert!(hops(&v).iter().all(|h| h["via"] != "tail-jump"));
}

#[test]
fn goroutines_any() {
    let bin = "goroutines-go1.27-linux-amd64";
    let (v, code) = path_json(bin, &["--goroutine", "any"]);
    assert_eq!(code, 0);
    let text = v["syscall"]["text"].as_str().unwrap();
    assert_eq!(text, "write(3, \"goroutine write\\n\", 16) = 16");
    assert_ne!(v["goroutine"], 1, "a worker goroutine");
    // gdb stopped in another worker; the chain, from the goroutine's
    // entry (the `go` statement's wrapper) down, is the same.
    let gdb = gdb_chain(&format!("{bin}.gdb-bt.txt"));
    assert_eq!(gdb[0], "main.main.gowrap1");
    assert_eq!(stack_view(&v), gdb);
}

#[test]
fn cgo_hands_over_to_c() {
    let bin = "cgo_hello-go1.27-linux-amd64";
    let (v, code) = path_json(bin, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        v["syscall"]["text"],
        "write(1, \"hello from C\\n\", 13) = 13"
    );
    let h = hops(&v);
    let names: Vec<&str> = h.iter().map(|x| x["function"].as_str().unwrap()).collect();
    assert_eq!(
        &names[..4],
        [
            "main.main",
            "main._Cfunc_hello_from_c",
            "runtime.cgocall",
            "runtime.asmcgocall"
        ]
    );
    assert!(h[3]["note"].as_str().unwrap().contains("hands over to C"));
    assert_eq!(h[4]["abi"], "C");
    assert!(h[4]["function"]
        .as_str()
        .unwrap()
        .ends_with("_Cfunc_hello_from_c"));
    assert!(h[5]["file"].as_str().unwrap().contains("libc"));
}

#[test]
fn nth_and_missing_syscall() {
    // The seed makes exactly one write from main: a second does not exist.
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--nth", "2", "--"])
        .arg(fixture("syscall_minimal-go1.27-linux-amd64"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("made 1 write call(s)"), "{err}");
}

#[test]
fn text_and_explain() {
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["path", "--explain", "--"])
        .arg(fixture("syscall_minimal-go1.27-linux-amd64"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("hello syscall\nwrite(1, \"hello syscall\\n\", 14) = 14\n"));
    assert!(!s.contains('\x1b'), "NO_COLOR honored");
    for want in [
        "0x47fd20  CALL golang.org/x/sys/unix.write(SB)",
        "RAX  fd    = 1",
        "0(SP)     trap = 1",
        "tail-jump syscall.Syscall  [wrapper, Go]",
        "ABI0 vs ABIInternal",
        "the Linux syscall ABI",
        "go.dev/s/regabi",
        "returns 14",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn html_in_headless_chromium() {
    let dir = std::env::temp_dir().join(format!("rh-path-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("path.html");
    let (v, _) = path_json(
        "syscall_minimal-go1.27-linux-amd64",
        &["--html", page.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") || !html.contains("src=\"http"));
    assert!(!html.contains("<script"), "self-contained, no script");
    let Some(browser) = chromium() else {
        panic!("Debian chromium is required for this test (apt-get install chromium)");
    };
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let boxes = dom.matches("class=\"hop\"").count();
    assert_eq!(boxes, hops(&v).len(), "one box per hop in the DOM");
    assert!(dom.contains("data-function=\"golang.org/x/sys/unix.Syscall\""));
    assert_eq!(
        dom.matches("<details class=\"hop-details\"").count(),
        hops(&v).len()
    );
    assert!(dom.contains(">tail-jump<"));
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

/// main's first write in `goroutines` is `fmt.Println`, reached through an
/// `io.Writer` interface: no static chain reaches it, the hops are the
/// goroutine's stack at the syscall, and the interface call carries its
/// arguments like any other.
#[test]
fn calls_through_interfaces_use_the_stack() {
    let (v, code) = path_json("goroutines-go1.27-linux-amd64", &[]);
    assert_eq!(code, 0);
    let names: Vec<&str> = hops(&v)
        .iter()
        .map(|h| h["function"].as_str().unwrap())
        .collect();
    let vias: Vec<&str> = hops(&v)
        .iter()
        .map(|h| h["via"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "main.main");
    assert_eq!((names[1], vias[1]), ("fmt.Println", "inlined"));
    assert_eq!((names[2], vias[2]), ("fmt.Fprintln", "call"));
    assert_eq!(names[3], "os.(*File).Write");
    assert!(names.contains(&"syscall.write"), "{names:?}");
    assert_eq!(
        *names.last().unwrap(),
        "internal/runtime/syscall/linux.Syscall6"
    );
    // The interface call is shown as the register call it is.
    assert_eq!(hops(&v)[2]["call"]["go"].as_str(), Some("CALL DX"));
    assert!(v["syscall"]["text"]
        .as_str()
        .unwrap()
        .starts_with("write(1, \"worker 0 goid "));
    let dispatch = &hops(&v)[2];
    assert_eq!(dispatch["args_abi"], "ABIInternal");
    assert_eq!(arg(dispatch, 1)["name"], "b.ptr");
    assert!(arg(dispatch, 1)["string"]
        .as_str()
        .unwrap()
        .starts_with("\"worker 0 goid "));
}
