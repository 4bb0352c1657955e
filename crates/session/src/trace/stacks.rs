//! Go stacks in `trace`: `-k` (a stack under each event), `-c --by
//! caller|package` (who in the program makes which syscalls) and
//! `--no-runtime` (hide what the Go runtime does on its own).
//!
//! The stack is taken at syscall entry, like strace's `-k`, by
//! `tracer::unwind`; this file decides which stacks to keep and what they
//! say about the call; `render::stack` prints them.

use crate::frames::{is_plumbing, package};
use gobin::runtime::names::is_std_package;
use model::Frame;
use render::stack::{GoStack, StackEnd};
use render::tally::{Count, Grouping};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use tracer::goroutine::Current;
use tracer::unwind::{End, Unwinder};
use tracer::Thread;

/// The stack of one syscall, kept from entry to exit; shared by every
/// event whose stack is known to be the same (see [`Stacks::enter`]).
#[derive(Debug)]
pub(crate) struct Captured {
    frames: Vec<Frame>,
    current: Current,
    end: End,
    /// The ` [goroutine N]` suffix and frame lines `-k` prints, made once.
    text: OnceCell<(String, String)>,
}

impl Captured {
    /// The stack as `render` takes it; `goroutine` is its label.
    pub(crate) fn view<'a>(&'a self, goroutine: &'a str) -> GoStack<'a> {
        GoStack {
            frames: &self.frames,
            goroutine,
            goid: self.current.goid(),
            end: match self.end {
                End::Complete => StackEnd::Complete,
                End::Depth => StackEnd::Depth,
                End::Lost => StackEnd::Lost,
            },
        }
    }

    /// The label of the goroutine that made the call.
    pub(crate) fn goroutine(&self) -> String {
        self.current.describe()
    }

    /// The first frame outside the runtime and syscall plumbing (Go
    /// frames only): often a standard-library function (`os.openFileNolog`).
    fn caller(&self) -> Option<&Frame> {
        self.frames
            .iter()
            .find(|f| f.line != 0 && !is_plumbing(&f.function))
    }

    /// The first frame of the program's own code, outside the standard
    /// library, which is what a reader asks "who made this call" about;
    /// [`Captured::caller`] when the stack has none (a call the standard
    /// library makes on its own).
    fn own_caller(&self) -> Option<&Frame> {
        self.frames
            .iter()
            .find(|f| {
                f.line != 0 && !is_plumbing(&f.function) && !is_std_package(package(&f.function))
            })
            .or_else(|| self.caller())
    }

    /// True when only the Go runtime is on the stack: no frame of the
    /// program's code, and the walk saw Go frames.
    fn runtime_only(&self) -> bool {
        self.caller().is_none() && self.frames.iter().any(|f| f.line != 0)
    }
}

/// The ` [goroutine N]` suffix and stack lines of one printed call.
pub(crate) struct Decoration {
    captured: Rc<Captured>,
    depth: usize,
}

impl Decoration {
    /// Appends them to a finished line in `out` (one ending in a newline;
    /// a line left open, its call unfinished, gets nothing).
    pub(crate) fn append(&self, out: &mut Vec<u8>) {
        if out.last() != Some(&b'\n') {
            return;
        }
        let c = &self.captured;
        let (suffix, lines) = c.text.get_or_init(|| {
            let label = c.goroutine();
            render::stack::decoration(&c.view(&label), self.depth)
        });
        out.pop();
        out.extend_from_slice(suffix.as_bytes());
        out.extend_from_slice(lines.as_bytes());
    }
}

/// Most stacks kept for reuse (four times what the kernel remembers, so
/// every stack it leaves out is here); past it new stacks are unwound
/// each time, so endless distinct stacks cost bounded memory.
const MAX_CACHED_STACKS: usize = 1 << 16;

/// Whether a syscall is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Show it.
    Show,
    /// --no-runtime: the Go runtime made it; hide it.
    Hide,
}

/// State of the stack features for one trace.
pub(crate) struct Stacks {
    unwinder: Unwinder,
    show: bool,
    depth: usize,
    by: Option<Grouping>,
    no_runtime: bool,
    /// Syscalls hidden by --no-runtime.
    hidden: u64,
    /// Syscalls seen (shown or hidden).
    seen: u64,
    /// SIGURG signals hidden by --no-runtime.
    hidden_signals: u64,
    /// Entry stacks by thread, until the exit.
    open: HashMap<i32, Rc<Captured>>,
    /// Stacks by the backend's stack key (eBPF snapshots).
    cache: HashMap<u64, Rc<Captured>>,
    /// (group, syscall) -> counts, for --by.
    tally: HashMap<(String, String), Count>,
}

impl Stacks {
    /// The stack features the flags ask for, `None` when none does.
    pub(crate) fn new(
        show: bool,
        depth: usize,
        by: Option<Grouping>,
        no_runtime: bool,
    ) -> Option<Stacks> {
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

    /// Frames the eBPF backend copies per event: attribution needs the
    /// frames down to the program's code even when fewer are printed.
    pub(crate) fn capture_depth(&self) -> usize {
        if self.by.is_some() || self.no_runtime {
            64
        } else {
            self.depth.clamp(1, 64)
        }
    }

    /// Reads `pid`'s mappings now, while it surely exists.
    pub(crate) fn preload(&mut self, pid: i32) {
        self.unwinder.preload(pid);
    }

    /// A forked or vforked process starts as a copy of its parent's
    /// (until its exec, which makes the sink call [`forget`](Self::forget)).
    pub(crate) fn inherit(&mut self, parent_pid: i32, child_pid: i32) {
        self.unwinder.inherit(parent_pid, child_pid);
    }

    /// Forgets `pid`'s mappings (it executed a new program).
    pub(crate) fn forget(&mut self, pid: i32) {
        self.unwinder.forget(pid);
        // Cached stacks stay: the kernel leaves out stacks it sent before
        // (same digest, which covers the process and every word the
        // unwinder reads), also after an exec of the same program.
    }

    /// Takes the stack at a syscall entry and says whether to show it.
    pub(crate) fn enter(&mut self, thread: &dyn Thread) -> Verdict {
        self.seen += 1;
        let Ok(regs) = thread.registers() else {
            return Verdict::Show;
        };
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
    pub(crate) fn signal(&mut self, signo: i32) -> Verdict {
        const SIGURG: i32 = 23;
        if self.no_runtime && signo == SIGURG {
            self.hidden_signals += 1;
            return Verdict::Hide;
        }
        Verdict::Show
    }

    /// Counts a finished call of `tid` for `--by`.
    pub(crate) fn count(&mut self, tid: i32, syscall: &str, error: bool, took: Option<Duration>) {
        let captured = self.open.remove(&tid);
        let Some(by) = self.by else { return };
        let group = match &captured {
            Some(c) => match (
                match by {
                    Grouping::StdlibCaller => c.caller(),
                    Grouping::Caller | Grouping::Package => c.own_caller(),
                },
                by,
            ) {
                (Some(f), Grouping::Caller | Grouping::StdlibCaller) => f.function.clone(),
                (Some(f), Grouping::Package) => package(&f.function).to_string(),
                (None, _) if c.runtime_only() => render::tally::GO_RUNTIME.to_string(),
                (None, _) => render::tally::NO_GO_FRAMES.to_string(),
            },
            None => render::tally::NO_STACK.to_string(),
        };
        let t = self.tally.entry((group, syscall.to_string())).or_default();
        t.calls += 1;
        t.errors += u64::from(error);
        t.time += took.unwrap_or_default();
    }

    /// The ` [goroutine N]` suffix and the stack lines for `tid`'s call
    /// being printed (with -k), to append to its line.
    pub(crate) fn decoration(&mut self, tid: i32) -> Option<Decoration> {
        let c = self.open.remove(&tid)?;
        self.show.then_some(Decoration {
            captured: c,
            depth: self.depth,
        })
    }

    /// The stack of `tid`'s call being printed as JSON (with -k), and how
    /// many frames to print.
    pub(crate) fn for_json(&mut self, tid: i32) -> Option<(Rc<Captured>, usize)> {
        let c = self.open.remove(&tid)?;
        self.show.then_some((c, self.depth))
    }

    /// The `--by` table, when `-c` groups by caller or package.
    pub(crate) fn summary(&self) -> Option<String> {
        self.by.map(|by| render::tally::by_table(by, &self.tally))
    }

    /// The closing note of --no-runtime.
    pub(crate) fn hidden_note(&self) -> Option<String> {
        self.no_runtime
            .then(|| render::notes::runtime_hidden(self.hidden, self.seen, self.hidden_signals))
    }
}
