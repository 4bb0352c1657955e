//! Go stacks in `trace`: `-k` (a stack under each event), `-c --by
//! caller|package` (who in the program makes which syscalls) and
//! `--no-runtime` (hide what the Go runtime does on its own).
//!
//! The stack is taken at syscall entry, like strace's `-k`, by
//! `tracer::unwind`; this file decides what to show and how.

use model::Frame;
use serde::Serialize;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Duration;
use tracer::goroutine::Current;
use tracer::unwind::{End, Unwinder};
use tracer::Thread;

/// What `-c --by` groups syscalls by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// The first function outside the runtime, syscall and x/sys packages.
    Caller,
    /// That function's package.
    Package,
}

/// The stack of one syscall, kept from entry to exit; shared by every
/// event whose stack is known to be the same (see [`Stacks::enter`]).
#[derive(Debug)]
pub struct Captured {
    frames: Vec<Frame>,
    current: Current,
    end: End,
    /// The ` [goroutine N]` suffix and frame lines `-k` prints, made once.
    text: OnceCell<(String, String)>,
}

/// The ` [goroutine N]` suffix and stack lines of one printed call.
pub struct Decoration {
    captured: Rc<Captured>,
    depth: usize,
}

impl Decoration {
    /// Appends them to a finished line in `out` (one ending in a newline;
    /// a line left open, its call unfinished, gets nothing).
    pub fn append(&self, out: &mut Vec<u8>) {
        if out.last() != Some(&b'\n') {
            return;
        }
        let c = &self.captured;
        let (suffix, lines) = c.text.get_or_init(|| c.render(self.depth));
        out.pop();
        out.extend_from_slice(suffix.as_bytes());
        out.extend_from_slice(lines.as_bytes());
    }
}

/// Most stacks kept for reuse (four times what the kernel remembers, so
/// every stack it leaves out is here); past it new stacks are unwound
/// each time, so endless distinct stacks cost bounded memory.
const MAX_CACHED_STACKS: usize = 1 << 16;

/// State of the stack features for one trace.
pub struct Stacks {
    unwinder: Unwinder,
    show: bool,
    depth: usize,
    by: Option<By>,
    no_runtime: bool,
    /// Syscalls hidden by --no-runtime.
    hidden: u64,
    /// Syscalls seen (shown or hidden).
    seen: u64,
    /// SIGURG signals hidden by --no-runtime.
    hidden_signals: u64,
    /// Entry stacks by thread, until the exit.
    open: HashMap<i32, Rc<Captured>>,
    /// Stacks by the backend's stack key (eBPF snapshots), with the pid
    /// they belong to.
    cache: HashMap<u64, Rc<Captured>>,
    /// (group, syscall) -> (calls, errors, time), for --by.
    tally: HashMap<(String, String), (u64, u64, Duration)>,
}

/// Whether a syscall is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Show it.
    Show,
    /// --no-runtime: the Go runtime made it; hide it.
    Hide,
}

/// Packages that only carry a call down to the kernel: attribution skips
/// them to find the program's own code.
fn is_plumbing(function: &str) -> bool {
    let pkg = package_of(function);
    pkg == "runtime"
        || pkg == "syscall"
        || pkg.starts_with("runtime/")
        || pkg.starts_with("internal/")
        || pkg.starts_with("golang.org/x/sys/")
        || pkg.starts_with("vendor/golang.org/x/sys/")
        || pkg.is_empty()
}

/// The package path of a Go function name: up to the first dot after the
/// last slash (`net/http.(*conn).serve` -> `net/http`).
pub fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => "",
    }
}

impl Captured {
    /// The text `-k` adds: ` [goroutine N]` and the newline that ends the
    /// event line, then one ` > ` line per frame, at most `depth`.
    fn render(&self, depth: usize) -> (String, String) {
        let suffix = format!(" [{}]\n", self.current.describe());
        let mut text = String::new();
        for f in self.frames.iter().take(depth) {
            text.push_str(" > ");
            text.push_str(&f.function);
            if f.inlined {
                text.push_str(" (inlined)");
            }
            if f.line != 0 {
                let _ = write!(text, " {}:{}", f.file, f.line);
            } else if !f.file.is_empty() {
                let _ = write!(text, " {}", f.file);
            }
            if !f.inlined {
                let _ = write!(text, " [{:#x}]", f.pc);
            }
            text.push('\n');
        }
        if self.frames.len() > depth || self.end == End::Depth {
            text.push_str(" > ...\n");
        } else if self.end == End::Lost {
            text.push_str(" > (unwinding stopped)\n");
        }
        (suffix, text)
    }

    /// The first frame of the program's own code (Go frames only).
    fn caller(&self) -> Option<&Frame> {
        self.frames
            .iter()
            .find(|f| f.line != 0 && !is_plumbing(&f.function))
    }

    /// True when only the Go runtime is on the stack: no frame of the
    /// program's code, and the walk saw Go frames.
    fn runtime_only(&self) -> bool {
        self.caller().is_none() && self.frames.iter().any(|f| f.line != 0)
    }
}

/// One frame in JSON output.
#[derive(Serialize)]
pub struct JsonFrame {
    pc: String,
    function: String,
    file: String,
    line: u32,
    inlined: bool,
}

/// The JSON fields `-k` adds to a syscall event.
#[derive(Serialize)]
pub struct JsonStack {
    goid: Option<u64>,
    g: String,
    stack: Vec<JsonFrame>,
}

impl Stacks {
    /// The stack features the flags ask for, `None` when none does.
    pub fn new(show: bool, depth: usize, by: Option<By>, no_runtime: bool) -> Option<Stacks> {
        (show || by.is_some() || no_runtime).then(|| Stacks {
            unwinder: Unwinder::new(),
            show,
            depth: depth.max(1),
            by,
            no_runtime,
            hidden: 0,
            seen: 0,
            hidden_signals: 0,
            open: HashMap::new(),
            cache: HashMap::new(),
            tally: HashMap::new(),
        })
    }

    /// Reads `pid`'s mappings now, while it surely exists.
    pub fn preload(&mut self, pid: i32) {
        self.unwinder.preload(pid);
    }

    /// Forgets `pid`'s mappings (it executed a new program).
    pub fn forget(&mut self, pid: i32) {
        self.unwinder.forget(pid);
        // Cached stacks stay: the kernel leaves out stacks it sent before
        // (same digest, which covers the process and every word the
        // unwinder reads), also after an exec of the same program.
    }

    /// Takes the stack at a syscall entry and says whether to show it.
    pub fn enter(&mut self, thread: &dyn Thread) -> Verdict {
        self.seen += 1;
        let Ok(regs) = thread.registers() else {
            return Verdict::Show;
        };
        // Attribution needs the frames down to the program's code even
        // when fewer are printed.
        let depth = if self.by.is_some() || self.no_runtime {
            self.depth.max(64)
        } else {
            self.depth
        };
        let key = thread.stack_key();
        let cached = key.and_then(|k| self.cache.get(&k)).cloned();
        let c = match cached {
            Some(c) => c,
            None => {
                let s = self.unwinder.unwind(thread, &regs, depth);
                let c = Rc::new(Captured {
                    frames: s.frames,
                    current: s.current,
                    end: s.end,
                    text: OnceCell::new(),
                });
                // Never evicted: the kernel sends each stack in full once
                // and remembers at most tracer::ebpf::KNOWN_STACKS of them;
                // past the cap new stacks are simply not kept.
                if let Some(k) = key.filter(|_| self.cache.len() < MAX_CACHED_STACKS) {
                    self.cache.insert(k, c.clone());
                }
                c
            }
        };
        if self.no_runtime && c.runtime_only() {
            self.hidden += 1;
            return Verdict::Hide;
        }
        self.open.insert(thread.tid(), c);
        Verdict::Show
    }

    /// A signal event: --no-runtime hides SIGURG, the runtime's own
    /// preemption signal.
    pub fn signal(&mut self, signo: i32) -> Verdict {
        const SIGURG: i32 = 23;
        if self.no_runtime && signo == SIGURG {
            self.hidden_signals += 1;
            return Verdict::Hide;
        }
        Verdict::Show
    }

    /// Counts a finished call of `tid` for `--by`.
    pub fn count(&mut self, tid: i32, syscall: &str, error: bool, took: Option<Duration>) {
        let captured = self.open.remove(&tid);
        let Some(by) = self.by else { return };
        let group = match &captured {
            Some(c) => match (c.caller(), by) {
                (Some(f), By::Caller) => f.function.clone(),
                (Some(f), By::Package) => package_of(&f.function).to_string(),
                (None, _) if c.runtime_only() => "(Go runtime)".to_string(),
                (None, _) => "(no Go frames)".to_string(),
            },
            None => "(no stack)".to_string(),
        };
        let t = self.tally.entry((group, syscall.to_string())).or_default();
        t.0 += 1;
        t.1 += u64::from(error);
        t.2 += took.unwrap_or_default();
    }

    /// Whether `-c` prints the `--by` table instead of strace's.
    pub fn grouped(&self) -> bool {
        self.by.is_some()
    }

    /// The ` [goroutine N]` suffix and the stack lines for `tid`'s call
    /// being printed (with -k), to append to its line.
    pub fn decoration(&mut self, tid: i32) -> Option<Decoration> {
        let c = self.open.remove(&tid)?;
        self.show.then_some(Decoration {
            captured: c,
            depth: self.depth,
        })
    }

    /// The JSON fields for `tid`'s call being printed (with -k).
    pub fn json(&mut self, tid: i32) -> Option<JsonStack> {
        let c = self.open.remove(&tid)?;
        if !self.show {
            return None;
        }
        let frames: Vec<JsonFrame> = c
            .frames
            .iter()
            .take(self.depth)
            .map(|f| JsonFrame {
                pc: format!("{:#x}", f.pc),
                function: f.function.clone(),
                file: f.file.clone(),
                line: f.line,
                inlined: f.inlined,
            })
            .collect();
        Some(JsonStack {
            goid: c.current.goid(),
            g: c.current.describe(),
            stack: frames,
        })
    }

    /// The `--by` summary table.
    pub fn summary(&self) -> String {
        let mut groups: HashMap<&str, (u64, u64, Duration)> = HashMap::new();
        for ((g, _), t) in &self.tally {
            let e = groups.entry(g.as_str()).or_default();
            e.0 += t.0;
            e.1 += t.1;
            e.2 += t.2;
        }
        let mut order: Vec<(&str, (u64, u64, Duration))> = groups.into_iter().collect();
        order.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let head = match self.by {
            Some(By::Package) => "package / syscall",
            _ => "caller / syscall",
        };
        let mut out = format!(
            "{head:<56} {:>9} {:>9} {:>11}\n{} {} {} {}\n",
            "calls",
            "errors",
            "seconds",
            "-".repeat(56),
            "-".repeat(9),
            "-".repeat(9),
            "-".repeat(11)
        );
        let (mut calls, mut errors, mut time) = (0, 0, Duration::ZERO);
        for (g, (c, e, t)) in order {
            let _ = writeln!(out, "{g:<56} {c:>9} {e:>9} {:>11.6}", t.as_secs_f64());
            let mut rows: Vec<(&str, &(u64, u64, Duration))> = self
                .tally
                .iter()
                .filter(|((gg, _), _)| gg == g)
                .map(|((_, s), t)| (s.as_str(), t))
                .collect();
            rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
            for (s, (c, e, t)) in rows {
                let _ = writeln!(out, "  {s:<54} {c:>9} {e:>9} {:>11.6}", t.as_secs_f64());
            }
            calls += c;
            errors += e;
            time += t;
        }
        let _ = writeln!(
            out,
            "{} {} {} {}\n{:<56} {calls:>9} {errors:>9} {:>11.6}",
            "-".repeat(56),
            "-".repeat(9),
            "-".repeat(9),
            "-".repeat(11),
            "total",
            time.as_secs_f64()
        );
        out
    }

    /// The closing note of --no-runtime.
    pub fn hidden_note(&self) -> Option<String> {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        self.no_runtime.then(|| {
            format!(
                "--no-runtime hid {} of {} syscall{} (made by the Go runtime itself) and {} SIGURG signal{}",
                self.hidden,
                self.seen,
                plural(self.seen),
                self.hidden_signals,
                plural(self.hidden_signals),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_of_go_names() {
        assert_eq!(package_of("net/http.(*conn).serve"), "net/http");
        assert_eq!(package_of("main.main.func1"), "main");
        assert_eq!(
            package_of("golang.org/x/sys/unix.Write"),
            "golang.org/x/sys/unix"
        );
        assert_eq!(package_of("os.(*File).Write"), "os");
        assert_eq!(package_of("write"), "");
        assert!(is_plumbing("internal/runtime/syscall/linux.Syscall6"));
        assert!(is_plumbing("syscall.Syscall"));
        assert!(is_plumbing("runtime.goexit"));
        assert!(!is_plumbing("os.(*File).Write"));
        assert!(!is_plumbing("main.main"));
    }
}
