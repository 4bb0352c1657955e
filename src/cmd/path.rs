//! `rabbithole path -- CMD ARGS`: the article's walkthrough in one command.
//!
//! Method: the static call graph (crate `analysis`) gives the candidate
//! chains from the start function to every instruction that can make the
//! requested syscall. The command then runs under ptrace with a breakpoint
//! on each `CALL`/`JMP` of those chains; every hit records the registers
//! and the stack words the callee's ABI reads, keyed by goroutine. At the
//! Nth matching syscall entry the chain that ends at the very `SYSCALL`
//! that stopped, and whose calls are still on the goroutine's stack (their
//! return addresses sit where the breakpoint saw the stack pointer), is the
//! answer; the call is let run to its exit for the result. Nothing is
//! single-stepped, so the cost is a handful of stops however much work the
//! program does first.

use analysis::{Analysis, Number};
use anyhow::{anyhow, bail, Context as _};
use disasm::{Flow, Syntax};
use gobin::GoBinary;
use model::path::{
    ArgValue, CallInstruction, Explanation, PathHop, PathReport, PathSyscall, RegValue, SideCall,
};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use tracer::breakpoint::{Session, Step, Stop};
use tracer::{Registers, Thread, X86_64Regs};

mod dwarf;

/// Which goroutine's syscall to stop at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Goroutine {
    /// The main goroutine (goid 1, the one running main.main)
    Main,
    /// Any goroutine
    Any,
}

/// Arguments of `path`.
#[derive(clap::Args)]
pub struct Args {
    /// The system call to stop at (name or number)
    #[arg(long, default_value = "write")]
    pub syscall: String,
    /// Stop at the Nth matching call
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub nth: u64,
    /// Whose calls count
    #[arg(long, value_enum, default_value_t = Goroutine::Main)]
    pub goroutine: Goroutine,
    /// Explain each rabbit hole on the way
    #[arg(long)]
    pub explain: bool,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML page with the chain as a diagram
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the report (text or JSON) to FILE instead of stdout, which the
    /// program shares
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The Go program to run and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// Most breakpoints planted: the chains to one syscall are short; this
/// keeps a pathological graph from turning the run into a crawl.
const MAX_BREAKPOINTS: usize = 256;
/// Candidate chains per (start, site).
const PATHS_PER_SITE: usize = 3;
/// Stack words saved at each hit (ABI0 arguments live there).
const STACK_WORDS: usize = 12;
/// Bytes saved behind each pointer-looking value (for strings).
const PEEK: usize = 64;

/// Runs `path`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| anyhow!("path needs a command: rabbithole path -- CMD ARGS"))?;
    let exe = resolve(program)?;
    let name = exe.display().to_string();
    let file = gobin::MappedFile::open(&exe).map_err(|e| anyhow!("{name}: {e}"))?;
    let go = GoBinary::parse(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))?;
    if go.bin.os != model::Os::Linux || go.bin.arch != model::Arch::Amd64 {
        bail!(
            "{name}: path runs linux/amd64 Go binaries (this one is {}/{}); `rabbithole syscalls --to {}` shows the static chain",
            go.bin.os.name(),
            go.bin.arch.name(),
            args.syscall
        );
    }
    if !cfg!(target_arch = "x86_64") {
        bail!("path needs rabbithole built for linux/amd64");
    }
    let an0 = Analysis::new(&go, None);
    let main_fn = an0
        .function("main.main")
        .ok_or_else(|| anyhow!("{name}: no main.main (not a Go program?)"))?;
    drop(an0);
    let an = Analysis::new(&go, Some(main_fn));
    let nr = match args.syscall.parse::<u64>() {
        Ok(n) => n,
        Err(_) => an
            .syscall_number(&args.syscall)
            .ok_or_else(|| anyhow!("no linux/amd64 syscall named {}", args.syscall))?,
    };
    let plan = Plan::build(&go, &an, main_fn, nr, args.goroutine);
    let mut run = Runner::new(&go, &plan, nr, args.nth, args.goroutine);
    let outcome = run.go(program, rest)?;
    let exit_code = outcome.map(|k| k.shell_code()).unwrap_or(0);
    let Some(cap) = run.captured.take() else {
        let who = match args.goroutine {
            Goroutine::Main => " from the main goroutine",
            Goroutine::Any => "",
        };
        eprintln!(
            "rabbithole: {name} made {} {} call(s){who}; no call number {} to show",
            run.count, args.syscall, args.nth
        );
        return Ok(if exit_code == 0 { 1 } else { exit_code });
    };
    let mut report = build_report(&go, &an, &plan, &run, cap, &name, nr, args.nth);
    report.exit = outcome.map(|k| match k {
        tracer::ExitKind::Exited(c) => format!("exited with {c}"),
        tracer::ExitKind::Killed { signal, .. } => format!("killed by signal {signal}"),
    });
    if args.explain {
        explain(&mut report, go.bin.os);
    }
    if let Some(path) = &args.html {
        let page = render::html::path_page(&report);
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let mut out = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        render::path::text(&report, color)
    };
    if let Some(path) = &args.output {
        std::fs::write(path, std::mem::take(&mut out))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    w.write_all(out.as_bytes())?;
    w.flush()?;
    Ok(exit_code)
}

fn resolve(program: &OsString) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(program);
    if program.to_string_lossy().contains('/') {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let c = dir.join(&p);
        if c.is_file() {
            return Ok(c);
        }
    }
    bail!("cannot run {}: not found", p.display())
}

/// A planted breakpoint.
struct Planned {
    step: Step,
}

/// What to trace: candidate chains and the breakpoints that observe them.
struct Plan {
    paths: Vec<analysis::Path>,
    breakpoints: HashMap<u64, Planned>,
    /// Side calls (entersyscall/exitsyscall) by the function making them:
    /// (function node, callee name, call pc).
    sides: Vec<(String, String, u64)>,
    /// cgo: chains from main.main to the instruction that hands a C
    /// function pointer over (`runtime.asmcgocall`).
    cgo_paths: Vec<analysis::Path>,
}

impl Plan {
    fn build(
        go: &GoBinary<'_>,
        an: &Analysis<'_, '_>,
        main_fn: usize,
        nr: u64,
        sel: Goroutine,
    ) -> Plan {
        let mut starts = vec![main_fn];
        if sel == Goroutine::Any {
            starts.extend(goroutine_starts(an, nr));
        }
        let mut paths = Vec::new();
        for site in &an.sites {
            let ok = match &site.number {
                Number::Constant { value } => *value == nr,
                Number::Dynamic { .. } => true,
                _ => false,
            };
            if !ok {
                continue;
            }
            for &s in &starts {
                paths.extend(an.paths_to(s, site.addr, PATHS_PER_SITE, Some(nr)));
            }
        }
        // Shortest first: they are the ones the program most likely takes,
        // and their breakpoints are planted before the cap is reached.
        paths.sort_by_key(|p| p.hops.len());
        let mut breakpoints = HashMap::new();
        let mut sides = Vec::new();
        for p in &paths {
            for h in &p.hops {
                if h.pc == p.site || h.instruction.is_none() {
                    continue;
                }
                if breakpoints.len() >= MAX_BREAKPOINTS {
                    break;
                }
                if let Some(planned) = plan_at(go, h.pc) {
                    breakpoints.entry(h.pc).or_insert(planned);
                }
            }
            for h in &p.hops {
                let Some(node) = an.function(&h.function) else {
                    continue;
                };
                for &e in &an.graph.out[node] {
                    let edge = an.graph.edges[e];
                    let callee = &an.graph.nodes[edge.to].name;
                    if callee == "runtime.entersyscall" || callee == "runtime.exitsyscall" {
                        if !sides.iter().any(|s: &(String, String, u64)| s.2 == edge.pc) {
                            sides.push((h.function.clone(), callee.clone(), edge.pc));
                        }
                        if breakpoints.len() < MAX_BREAKPOINTS {
                            if let Some(planned) = plan_at(go, edge.pc) {
                                breakpoints.entry(edge.pc).or_insert(planned);
                            }
                        }
                    }
                }
            }
        }
        let cgo_paths = cgo_handover(go, an)
            .map(|(node, pc)| an.paths_to_instruction(main_fn, node, pc, 2))
            .unwrap_or_default();
        for p in &cgo_paths {
            for h in &p.hops {
                if h.instruction.is_some() && breakpoints.len() < MAX_BREAKPOINTS {
                    if let Some(planned) = plan_at(go, h.pc) {
                        breakpoints.entry(h.pc).or_insert(planned);
                    }
                }
            }
        }
        Plan {
            paths,
            breakpoints,
            sides,
            cgo_paths,
        }
    }
}

/// Where Go hands a C function over in a cgo binary: the call in the
/// assembly `runtime.asmcgocall` that goes to C, directly through a
/// register or through `runtime.asmcgocall_landingpad` (`JMP AX`).
fn cgo_handover(go: &GoBinary<'_>, an: &Analysis<'_, '_>) -> Option<(usize, u64)> {
    let g = &an.graph;
    let node = g
        .nodes
        .iter()
        .position(|n| n.name == "runtime.asmcgocall" && n.asm)?;
    if !g
        .nodes
        .iter()
        .any(|n| n.name.starts_with("_cgo_") || n.name == "runtime.cgocall")
    {
        return None;
    }
    let n = &g.nodes[node];
    let code = go.bin.read_va(n.entry, n.end.saturating_sub(n.entry))?;
    let insts = disasm::decode_all(disasm::Arch::Amd64, code, n.entry);
    let landing = g
        .nodes
        .iter()
        .find(|n| n.name == "runtime.asmcgocall_landingpad")
        .map(|n| n.entry);
    insts
        .iter()
        .find(|i| {
            i.flow == Flow::Call
                && match (i.target, landing) {
                    (None, _) => true,
                    (Some(t), Some(l)) => t == l,
                    _ => false,
                }
        })
        .map(|i| (node, i.addr))
}

/// Functions a goroutine may start in that reach a matching site: callers
/// of nothing (their address is handed to `runtime.newproc`), outside the
/// runtime, a few levels above the sites.
fn goroutine_starts(an: &Analysis<'_, '_>, nr: u64) -> Vec<usize> {
    let g = &an.graph;
    let mut depth = vec![usize::MAX; g.nodes.len()];
    let mut queue = std::collections::VecDeque::new();
    for site in &an.sites {
        let ok = match &site.number {
            Number::Constant { value } => *value == nr,
            Number::Dynamic { .. } => true,
            _ => false,
        };
        if let (true, Some(n)) = (ok, an.function(&site.function)) {
            if depth[n] == usize::MAX {
                depth[n] = 0;
                queue.push_back(n);
            }
        }
    }
    let mut roots = Vec::new();
    while let Some(v) = queue.pop_front() {
        if depth[v] > 10 {
            continue;
        }
        let name = &g.nodes[v].name;
        if g.into[v].is_empty() && !is_runtime(name) && name != "main.main" {
            roots.push(v);
        }
        for &e in &g.into[v] {
            let u = g.edges[e].from;
            if depth[u] == usize::MAX {
                depth[u] = depth[v] + 1;
                queue.push_back(u);
            }
        }
    }
    roots.truncate(16);
    roots
}

fn is_runtime(name: &str) -> bool {
    name.starts_with("runtime.")
        || name.starts_with("internal/")
        || name.starts_with("runtime/")
        || name.starts_with("sync.")
        || name.starts_with("type:")
}

/// Decodes the instruction at `pc` and says how to perform it at a hit.
fn plan_at(go: &GoBinary<'_>, pc: u64) -> Option<Planned> {
    let code = go.bin.read_va(pc, 15).or_else(|| go.bin.read_va(pc, 5))?;
    let inst = disasm::decode(disasm::Arch::Amd64, code, pc);
    let next = pc + u64::from(inst.len);
    let step = match (inst.flow, inst.target) {
        (Flow::Call, Some(t)) => Step::Call {
            target: t,
            return_to: next,
        },
        (Flow::Jump, Some(t)) => Step::Jump { target: t },
        (Flow::Call, None) => {
            let text = inst.to_string(Syntax::Go, &disasm::NoSymbols);
            let reg = register_number(text.strip_prefix("CALL ")?.trim())?;
            Step::CallRegister {
                reg,
                return_to: next,
            }
        }
        _ => return None,
    };
    Some(Planned { step })
}

fn register_number(go_name: &str) -> Option<u8> {
    const NAMES: [&str; 16] = [
        "AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13",
        "R14", "R15",
    ];
    NAMES.iter().position(|&n| n == go_name).map(|i| i as u8)
}

/// One breakpoint hit.
#[derive(Clone)]
struct Hit {
    seq: u64,
    /// The g the thread ran (g0 once asmcgocall switched stacks).
    g: u64,
    regs: X86_64Regs,
    stack: Vec<u64>,
    /// The goroutine's stack top then (stacks move when they grow).
    stack_hi: u64,
    /// Bytes behind pointer-looking values.
    peeks: HashMap<u64, Vec<u8>>,
}

/// The stopped syscall.
struct Captured {
    tid: i32,
    g: u64,
    goid: Option<u64>,
    regs: X86_64Regs,
    entry: tracer::SyscallEntry,
    pending: Option<syscalls::Pending>,
    call: Option<model::syscall::Call>,
    ret: Option<i64>,
    /// Breakpoint hits of the goroutine, by static pc.
    hits: HashMap<u64, Hit>,
    /// Return-address slots read at the stop: static call pc -> live.
    live: HashMap<u64, bool>,
    /// exitsyscall observed after the call.
    exited_runtime: bool,
    /// The file mapped at the syscall instruction when it is not the Go
    /// binary's text (libc).
    mapping: Option<String>,
    /// The Go stack at the syscall, innermost first: the chain of last
    /// resort when no static chain reaches the instruction (calls through
    /// function values).
    stack: Vec<model::Frame>,
}

struct Runner<'p> {
    plan: &'p Plan,
    nr: u64,
    nth: u64,
    sel: Goroutine,
    bias: u64,
    entry_static: u64,
    goid_off: Option<u64>,
    curg_off: Option<u64>,
    tls_off: i64,
    seq: u64,
    /// Hits by (g, static pc).
    hits: HashMap<(u64, u64), Hit>,
    count: u64,
    captured: Option<Captured>,
    done: bool,
}

impl<'p> Runner<'p> {
    fn new(go: &GoBinary<'_>, plan: &'p Plan, nr: u64, nth: u64, sel: Goroutine) -> Runner<'p> {
        let v = go.version.as_ref().map(|v| v.minor);
        let goid_off = match v {
            Some(9..=22) => Some(152),
            Some(23..=24) => Some(160),
            Some(25..) => Some(152),
            _ => None,
        };
        let curg_off = match v {
            Some(25..) => Some(184),
            _ => None,
        };
        Runner {
            plan,
            nr,
            nth,
            sel,
            bias: 0,
            entry_static: go.bin.entry,
            goid_off,
            curg_off,
            tls_off: tls_offset(go),
            seq: 0,
            hits: HashMap::new(),
            count: 0,
            captured: None,
            done: false,
        }
    }

    fn go(
        &mut self,
        program: &OsString,
        args: &[OsString],
    ) -> anyhow::Result<Option<tracer::ExitKind>> {
        let size = syscalls::table(model::Arch::Amd64)
            .map(|t| t.iter().map(|s| s.nr + 1).max().unwrap_or(0))
            .unwrap_or(0) as u32;
        let filter = tracer::SeccompFilter::new(&[self.nr as u32], size.max(self.nr as u32 + 1));
        // SIGINT, SIGTERM, SIGHUP: kill the command, report nothing.
        tracer::interrupt::install(&[2, 15, 1])?;
        let mut s = Session::spawn(program, args, Some(&filter))?;
        loop {
            match s.advance()? {
                Stop::Exec { tid } => {
                    self.bias = load_bias(tid, self.entry_static);
                    for (&pc, p) in &self.plan.breakpoints {
                        let step = match p.step {
                            Step::Call { target, return_to } => Step::Call {
                                target: target.wrapping_add(self.bias),
                                return_to: return_to.wrapping_add(self.bias),
                            },
                            Step::CallRegister { reg, return_to } => Step::CallRegister {
                                reg,
                                return_to: return_to.wrapping_add(self.bias),
                            },
                            Step::Jump { target } => Step::Jump {
                                target: target.wrapping_add(self.bias),
                            },
                        };
                        s.insert(pc.wrapping_add(self.bias), step)?;
                    }
                }
                Stop::Breakpoint { pc, .. } => {
                    if let Some(t) = s.held() {
                        self.hit(&t, pc.wrapping_sub(self.bias));
                    }
                    if self.done {
                        s.remove_all();
                    }
                }
                Stop::SyscallEntry { tid, entry } => {
                    if self.captured.is_none() && entry.nr == self.nr {
                        if let Some(t) = s.held() {
                            if self.entry(&t, tid, entry) {
                                s.want_exit(tid);
                            }
                        }
                    }
                }
                Stop::SyscallExit { tid, exit } => {
                    if let Some(c) = self.captured.as_mut() {
                        if c.tid == tid && c.ret.is_none() {
                            c.ret = Some(exit.rval);
                            if let (Some(p), Some(t)) = (c.pending.take(), s.held()) {
                                let mem = Mem(&t);
                                let opts = syscalls::Options::default();
                                let ctx = syscalls::Context {
                                    arch: model::Arch::Amd64,
                                    mem: &mem,
                                    opts: &opts,
                                    fd_path: None,
                                };
                                c.call = Some(syscalls::decode_exit(&ctx, p, exit.rval));
                            }
                            let wait_exitsyscall = self
                                .plan
                                .sides
                                .iter()
                                .any(|(_, callee, _)| callee == "runtime.exitsyscall");
                            if !wait_exitsyscall {
                                self.done = true;
                                s.remove_all();
                            }
                        }
                    }
                }
                Stop::Finished(kind) => return Ok(kind),
            }
        }
    }

    /// The g running on a stopped thread: R14 in Go code (1.17+), else the
    /// TLS slot; checked by its stack bounds containing SP.
    fn current_g(&self, t: &dyn Thread, r: &X86_64Regs) -> Option<u64> {
        let tls = (r.fs_base as i64).wrapping_add(self.tls_off) as u64;
        let from_tls = read_word(t, tls);
        for cand in [Some(r.r14), from_tls].into_iter().flatten() {
            if cand == 0 {
                continue;
            }
            let (Some(lo), Some(hi)) = (read_word(t, cand), read_word(t, cand + 8)) else {
                continue;
            };
            if lo <= r.rsp && r.rsp < hi {
                return Some(cand);
            }
        }
        from_tls.filter(|&g| g != 0)
    }

    fn goid(&self, t: &dyn Thread, g: u64) -> Option<u64> {
        read_word(t, g + self.goid_off?)
    }

    fn hit(&mut self, t: &dyn Thread, pc: u64) {
        let Ok(Registers::X86_64(r)) = t.registers() else {
            return;
        };
        let Some(g) = self.current_g(t, &r) else {
            return;
        };
        if let Some(c) = &mut self.captured {
            if c.g == g && c.ret.is_some() {
                let exits = self
                    .plan
                    .sides
                    .iter()
                    .any(|(_, callee, spc)| *spc == pc && callee == "runtime.exitsyscall");
                if exits {
                    c.exited_runtime = true;
                    self.done = true;
                }
            }
            return;
        }
        self.seq += 1;
        let mut buf = vec![0u8; STACK_WORDS * 8];
        let n = t.read_memory(r.rsp, &mut buf).unwrap_or(0);
        let stack: Vec<u64> = buf[..n - n % 8]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let mut peeks = HashMap::new();
        let regs = [r.rax, r.rbx, r.rcx, r.rdi, r.rsi, r.r8, r.r9, r.r10, r.r11];
        for v in regs.iter().chain(stack.iter()) {
            if (0x1000..0x8000_0000_0000).contains(v) && !peeks.contains_key(v) {
                let mut b = vec![0u8; PEEK];
                if let Ok(k) = t.read_memory(*v, &mut b) {
                    b.truncate(k);
                    peeks.insert(*v, b);
                }
            }
        }
        let stack_hi = read_word(t, g + 8).unwrap_or(0);
        self.hits.insert(
            (g, pc),
            Hit {
                seq: self.seq,
                g,
                regs: r,
                stack,
                stack_hi,
                peeks,
            },
        );
    }

    /// A matching syscall entry; true when it is the one to show.
    fn entry(&mut self, t: &dyn Thread, tid: i32, entry: tracer::SyscallEntry) -> bool {
        let Ok(Registers::X86_64(r)) = t.registers() else {
            return false;
        };
        let g = self.current_g(t, &r).unwrap_or(0);
        let mut goid = (g != 0).then(|| self.goid(t, g)).flatten();
        let mut user_g = g;
        if goid == Some(0) {
            // On g0 (cgo, systemstack): the goroutine is m.curg.
            if let (Some(m), Some(off)) = (read_word(t, g + 48), self.curg_off) {
                if let Some(curg) = read_word(t, m + off).filter(|&c| c != 0) {
                    user_g = curg;
                    goid = self.goid(t, curg);
                }
            }
        }
        let wanted = match self.sel {
            Goroutine::Any => true,
            Goroutine::Main => match goid {
                Some(id) => id == 1,
                // Unknown layout: the goroutine that entered main.main's calls.
                None => self.hits.keys().any(|(hg, _)| *hg == user_g),
            },
        };
        if !wanted {
            return false;
        }
        self.count += 1;
        if self.count != self.nth {
            return false;
        }
        let hits: HashMap<u64, Hit> = self
            .hits
            .iter()
            .filter(|((hg, _), _)| *hg == user_g || *hg == g)
            .map(|((_, pc), h)| (*pc, h.clone()))
            .collect();
        // Which calls are still on the stack: the return address is where
        // the breakpoint saw it would be pushed.
        let mut live = HashMap::new();
        for (pc, h) in &hits {
            let Some(p) = self.plan.breakpoints.get(pc) else {
                continue;
            };
            let ret = match p.step {
                Step::Call { return_to, .. } | Step::CallRegister { return_to, .. } => return_to,
                Step::Jump { .. } => continue,
            };
            let hi_now = read_word(t, h.g + 8).unwrap_or(0);
            let moved = hi_now.wrapping_sub(h.stack_hi);
            let slot = h.regs.rsp.wrapping_sub(8).wrapping_add(moved);
            live.insert(*pc, read_word(t, slot) == Some(ret.wrapping_add(self.bias)));
        }
        let mem = Mem(t);
        let opts = syscalls::Options::default();
        let ctx = syscalls::Context {
            arch: model::Arch::Amd64,
            mem: &mem,
            opts: &opts,
            fd_path: None,
        };
        let e = syscalls::Entry {
            nr: entry.nr,
            args: entry.args,
            sp: entry.sp,
        };
        let pending = syscalls::decode_entry(&ctx, &e);
        self.captured = Some(Captured {
            tid,
            g: user_g,
            goid,
            regs: r,
            entry,
            pending: Some(pending),
            call: None,
            ret: None,
            hits,
            live,
            exited_runtime: false,
            mapping: mapping_of(t.pid(), entry.pc),
            stack: tracer::unwind::Unwinder::new()
                .unwind(t, &Registers::X86_64(r), 64)
                .frames,
        });
        true
    }
}

/// The file mapped at `addr` in `pid`, from /proc/PID/maps.
fn mapping_of(pid: i32, addr: u64) -> Option<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let range = f.next()?;
        let (lo, hi) = range.split_once('-')?;
        let (lo, hi) = (
            u64::from_str_radix(lo, 16).ok()?,
            u64::from_str_radix(hi, 16).ok()?,
        );
        if (lo..hi).contains(&addr) {
            return f.nth(4).map(str::to_string);
        }
    }
    None
}

struct Mem<'a>(&'a dyn Thread);

impl syscalls::Memory for Mem<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        self.0.read_memory(addr, buf).unwrap_or(0)
    }
}

fn read_word(t: &dyn Thread, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    (t.read_memory(addr, &mut b).ok()? == 8).then(|| u64::from_le_bytes(b))
}

/// Where a PIE was loaded: AT_ENTRY from the auxiliary vector minus the
/// ELF entry (0 for fixed-address executables).
fn load_bias(pid: i32, entry: u64) -> u64 {
    let Ok(aux) = std::fs::read(format!("/proc/{pid}/auxv")) else {
        return 0;
    };
    for pair in aux.chunks_exact(16) {
        let k = u64::from_le_bytes(pair[..8].try_into().expect("8 bytes"));
        let v = u64::from_le_bytes(pair[8..].try_into().expect("8 bytes"));
        if k == 9 {
            return v.wrapping_sub(entry);
        }
    }
    0
}

/// Offset of the g slot from FS_base: -8 for Go's own TLS, the PT_TLS
/// formula when a C toolchain linked the binary (go-internals §4.1).
fn tls_offset(go: &GoBinary<'_>) -> i64 {
    let Some((vaddr, memsz, align)) = go.bin.tls else {
        return -8;
    };
    let tlsg = go
        .bin
        .symbols()
        .iter()
        .find(|s| s.name == "runtime.tlsg")
        .map(|s| s.addr)
        .unwrap_or(0);
    let a = align.max(1);
    let mem = memsz.wrapping_add(vaddr.wrapping_neg().wrapping_sub(memsz) & (a - 1));
    (tlsg as i64).wrapping_sub(mem as i64)
}

/// Names for branch targets: the graph's functions.
struct Syms<'a>(&'a [analysis::graph::Node]);

impl disasm::SymbolLookup for Syms<'_> {
    fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.0.partition_point(|n| n.entry <= addr).checked_sub(1)?;
        let n = &self.0[i];
        (addr < n.end).then_some((n.name.as_str(), n.entry))
    }
}

/// Picks the chain the goroutine took: ends at the instruction that
/// stopped, and has the most of its calls observed and still live, in order.
fn choose<'a>(plan: &'a Plan, cap: &Captured, site: u64) -> Option<&'a analysis::Path> {
    choose_in(&plan.paths, plan, cap, site)
}

fn choose_in<'a>(
    paths: &'a [analysis::Path],
    plan: &Plan,
    cap: &Captured,
    site: u64,
) -> Option<&'a analysis::Path> {
    let mut best: Option<(&analysis::Path, i64)> = None;
    for p in paths.iter().filter(|p| p.site == site) {
        let mut score = 0i64;
        let mut last_seq = 0u64;
        for h in &p.hops {
            if h.instruction.is_none() || !plan.breakpoints.contains_key(&h.pc) {
                continue;
            }
            match cap.hits.get(&h.pc) {
                Some(hit) if hit.seq >= last_seq => {
                    let live = cap.live.get(&h.pc).copied().unwrap_or(true);
                    score += if live { 2 } else { -1 };
                    last_seq = hit.seq;
                }
                _ => score -= 2,
            }
        }
        if best.is_none_or(|(b, s)| score > s || score == s && p.hops.len() < b.hops.len()) {
            best = Some((p, score));
        }
    }
    best.map(|(p, _)| p)
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    plan: &Plan,
    run: &Runner<'_>,
    cap: Captured,
    name: &str,
    nr: u64,
    nth: u64,
) -> PathReport {
    let syms = Syms(&an.graph.nodes);
    let bias = run.bias;
    let site_rt = cap.entry.pc.wrapping_sub(2);
    let site = site_rt.wrapping_sub(bias);
    let mut notes = Vec::new();
    let dwarf = dwarf::Params::load(go);
    if dwarf.is_none() {
        notes.push("no DWARF in the binary: arguments are shown by ABI slot, unnamed".into());
    }
    let in_go = go.pclntab.func_at(site).is_some();
    let cgo = if in_go {
        None
    } else {
        plan.cgo_paths
            .first()
            .and_then(|p| choose_in(&plan.cgo_paths, plan, &cap, p.site))
    };
    let chosen = if in_go { choose(plan, &cap, site) } else { cgo };
    let mut hops = Vec::new();
    if let Some(p) = chosen {
        for (i, h) in p.hops.iter().enumerate() {
            let next = p.hops.get(i + 1);
            let mut via = match h.via.as_str() {
                "tail jump" => "tail-jump".to_string(),
                "fn pointer" | "indirect call" => "indirect-call".to_string(),
                v => v.to_string(),
            };
            if i > 0 && p.hops[i - 1].abi == "wrapper" && via == "call" {
                via = "wrapper".into();
            }
            let generated = std::path::Path::new(&h.file)
                .file_name()
                .and_then(|f| f.to_str())
                .filter(|f| f.starts_with('z') && f.ends_with(".go"))
                .map(|f| {
                    format!("{f}: generated by mksyscall (the z* files are written by a script from //sys lines)")
                });
            let is_site = h.pc == site && in_go;
            let call = h.instruction.as_ref().map(|_| instruction(go, &syms, h.pc));
            let planned = plan.breakpoints.get(&h.pc);
            let hit = cap.hits.get(&h.pc);
            let observed =
                !is_site && hit.is_some() && cap.live.get(&h.pc).copied().unwrap_or(true);
            let mut args = Vec::new();
            let mut args_abi = None;
            let mut registers = Vec::new();
            if let (Some(hit), Some(next), Some(planned), true) =
                (hit, next, planned, h.instruction.is_some())
            {
                let callee_abi = callee_convention(go, &p.hops[i..]);
                let at_jump = matches!(planned.step, Step::Jump { .. });
                // Without names: as many words as the callee's argument
                // area holds (its results included), at most the registers.
                let fallback = an
                    .function(&next.function)
                    .and_then(|n| go.pclntab.func_at(an.graph.nodes[n].entry))
                    .and_then(|f| f.args())
                    .map(|a| (a as usize / 8).min(9))
                    .unwrap_or(4);
                args = arguments(
                    an,
                    dwarf.as_ref(),
                    &p.hops[i + 1..],
                    callee_abi,
                    at_jump,
                    hit,
                    fallback,
                );
                args_abi = Some(callee_abi.to_string());
                registers = gp_registers(&hit.regs);
            }
            let side_calls = plan
                .sides
                .iter()
                .filter(|(_, _, spc)| {
                    h.via != "inlined"
                        && go.pclntab.func_at(*spc).map(|f| f.entry())
                            == go.pclntab.func_at(h.pc).map(|f| f.entry())
                })
                .map(|(_, callee, pc)| {
                    let after = callee == "runtime.exitsyscall";
                    SideCall {
                        function: callee.clone(),
                        pc: *pc,
                        line: go
                            .pclntab
                            .frames_at(*pc)
                            .last()
                            .map(|f| f.line)
                            .unwrap_or(0),
                        when: if after {
                            "after the syscall returns"
                        } else {
                            "before the syscall"
                        }
                        .into(),
                        observed: if after {
                            cap.exited_runtime
                        } else {
                            cap.hits.contains_key(pc)
                        },
                    }
                })
                .collect();
            hops.push(PathHop {
                function: h.function.clone(),
                file: h.file.clone(),
                line: h.line,
                via,
                abi: h.abi.clone(),
                asm: h.asm,
                generated,
                call,
                observed: observed || is_site,
                args_abi,
                args,
                registers,
                side_calls,
                disassembly: around(go, an, &syms, h.pc),
                note: h.note.clone(),
                explain: Vec::new(),
            });
        }
        if cgo.is_some() {
            c_hops(go, &cap, bias, &mut hops);
        }
        // Assembly the caller calls the ABIInternal way is ABIInternal
        // assembly (declared <ABIInternal>), whatever the static class said.
        for k in 1..hops.len() {
            if hops[k - 1].args_abi.as_deref() == Some("ABIInternal")
                && hops[k].abi == "ABI0"
                && hops[k].via == "call"
            {
                hops[k].abi = "ABIInternal".into();
            }
        }
        let unobserved: Vec<&str> = hops
            .iter()
            .filter(|h| h.call.is_some() && !h.observed)
            .map(|h| h.function.as_str())
            .collect();
        if !unobserved.is_empty() {
            notes.push(format!(
                "calls not seen on this goroutine's stack (static chain only): {}",
                unobserved.join(", ")
            ));
        }
    } else {
        let at = go
            .pclntab
            .func_at(site)
            .map(|f| f.name().to_string())
            .unwrap_or_else(|| format!("{site_rt:#x} (outside Go code: C or libc)"));
        hops = stack_hops(go, an, &syms, &cap.stack, bias);
        if hops.is_empty() {
            notes.push(format!(
                "the syscall was made in {at}; no static chain from main.main reaches that instruction"
            ));
        } else {
            notes.push(format!(
                "the syscall was made in {at}; no static chain reaches it (a call through a \
                 function value or interface), so the hops are the goroutine's stack at the \
                 syscall: no tail jumps, no arguments per call"
            ));
        }
    }
    let call = cap.call.clone();
    let raw_args = cap.entry.args.to_vec();
    let (sc_name, args, ret, text) = match &call {
        Some(c) => (
            c.name.to_string(),
            c.args
                .iter()
                .map(render::strace::format_arg)
                .collect::<Vec<String>>(),
            c.ret.as_ref().map(render::strace::format_ret),
            render::strace::format_call(c),
        ),
        None => (
            an.syscall_name(nr).unwrap_or_else(|| nr.to_string()),
            raw_args.iter().map(|a| format!("{a:#x}")).collect(),
            None,
            String::new(),
        ),
    };
    let r = &cap.regs;
    let names = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
    let vals = [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
    let mut registers = vec![RegValue {
        name: "rax".into(),
        value: r.orig_rax,
        role: Some(format!("nr = {nr} ({sc_name})")),
    }];
    for (k, (n, v)) in names.iter().zip(vals).enumerate() {
        registers.push(RegValue {
            name: n.to_string(),
            value: v,
            role: args.get(k).map(|a: &String| format!("arg{k} = {a}")),
        });
    }
    PathReport {
        binary: name.to_string(),
        go_version: go.version.as_ref().map(|v| v.to_string()),
        target: format!("{}/{}", go.bin.os.name(), go.bin.arch.name()),
        tid: cap.tid,
        goroutine: cap.goid,
        nth,
        syscall: PathSyscall {
            name: sc_name,
            nr,
            args,
            raw_args,
            ret,
            ret_raw: cap.ret,
            text,
            instruction: go
                .pclntab
                .func_at(site)
                .map(|_| instruction(go, &syms, site)),
        },
        registers,
        hops,
        exit: None,
        notes,
    }
}

/// The C side of a cgo call: the function asmcgocall handed over (named
/// from the ELF symbol table) and the library the syscall was made in.
fn c_hops(go: &GoBinary<'_>, cap: &Captured, bias: u64, hops: &mut Vec<PathHop>) {
    let Some(last) = hops.last_mut() else { return };
    // asmcgocall keeps the C function in AX up to the hand-over.
    let target = cap
        .hits
        .get(&last.call.as_ref().map(|c| c.pc).unwrap_or(0))
        .map(|h| h.regs.rax);
    last.note = Some(
        "Go hands over to C here: asmcgocall has switched to the system stack (g0) and calls the C function with the C calling convention".into(),
    );
    let c_name = target.and_then(|t| {
        let t = t.wrapping_sub(bias);
        go.bin
            .symbols()
            .iter()
            .filter(|s| s.addr <= t && (t < s.addr + s.size.max(1)))
            .map(|s| s.name.clone())
            .next()
    });
    hops.push(PathHop {
        function: c_name.unwrap_or_else(|| "C function".into()),
        file: "C code in the binary (cgo)".into(),
        line: 0,
        via: "cgo".into(),
        abi: "C".into(),
        asm: false,
        generated: None,
        call: None,
        observed: target.is_some(),
        args_abi: None,
        args: Vec::new(),
        registers: Vec::new(),
        side_calls: Vec::new(),
        disassembly: Vec::new(),
        note: target.map(|t| format!("entered at {t:#x}")),
        explain: Vec::new(),
    });
    hops.push(PathHop {
        function: "libc".into(),
        file: cap.mapping.clone().unwrap_or_else(|| "?".into()),
        line: 0,
        via: "call".into(),
        abi: "C".into(),
        asm: false,
        generated: None,
        call: None,
        observed: true,
        args_abi: None,
        args: Vec::new(),
        registers: Vec::new(),
        side_calls: Vec::new(),
        disassembly: Vec::new(),
        note: Some(format!(
            "the syscall instruction is at {:#x}, in the C library: Go's own syscall path is not used",
            cap.entry.pc.wrapping_sub(2)
        )),
        explain: Vec::new(),
    });
}

fn instruction(go: &GoBinary<'_>, syms: &Syms<'_>, pc: u64) -> CallInstruction {
    let code = go.bin.read_va(pc, 15).or_else(|| go.bin.read_va(pc, 2));
    let inst = code.map(|c| disasm::decode(disasm::Arch::Amd64, c, pc));
    CallInstruction {
        pc,
        go: inst
            .as_ref()
            .map(|i| i.to_string(Syntax::Go, syms))
            .unwrap_or_default(),
        gnu: inst
            .as_ref()
            .map(|i| i.to_string(Syntax::Gnu, syms))
            .unwrap_or_default(),
    }
}

/// A few instructions before and after `pc` in its function.
fn around(go: &GoBinary<'_>, an: &Analysis<'_, '_>, syms: &Syms<'_>, pc: u64) -> Vec<String> {
    let Some(f) = go.pclntab.func_at(pc) else {
        return Vec::new();
    };
    let Some(node) = an.graph.nodes.iter().find(|n| n.entry == f.entry()) else {
        return Vec::new();
    };
    let Some(code) = go
        .bin
        .read_va(node.entry, node.end.saturating_sub(node.entry))
    else {
        return Vec::new();
    };
    let insts = disasm::decode_all(disasm::Arch::Amd64, code, node.entry);
    let Some(at) = insts.iter().position(|i| i.addr == pc) else {
        return Vec::new();
    };
    let lo = at.saturating_sub(8);
    let hi = (at + 3).min(insts.len());
    insts[lo..hi]
        .iter()
        .map(|i| {
            let mark = if i.addr == pc { "→" } else { " " };
            format!("{mark} {:#x}  {}", i.addr, i.to_string(Syntax::Go, syms))
        })
        .collect()
}

/// The convention the callee of the call made by `hops[0]` reads its
/// arguments in. An ABI0→ABIInternal wrapper is entered the ABI0 way, and
/// a tail jump keeps the convention it was entered with. Assembly may be
/// either: compiled Go re-establishes X15 and R14 right after calling
/// ABI0 code, and not after ABIInternal assembly (`linux.Syscall6`).
fn callee_convention(go: &GoBinary<'_>, hops: &[analysis::Hop]) -> &'static str {
    let (Some(caller), Some(callee)) = (hops.first(), hops.get(1)) else {
        return "ABIInternal";
    };
    if callee.via == "tail jump" {
        return if caller.abi == "ABIInternal" && !caller.asm {
            "ABIInternal"
        } else {
            "ABI0"
        };
    }
    match callee.abi.as_str() {
        "wrapper" => "ABI0",
        "ABI0"
            if caller.abi == "ABIInternal"
                && !caller.asm
                && !restores_abi_internal(go, caller.pc) =>
        {
            "ABIInternal"
        }
        "ABI0" => "ABI0",
        _ => "ABIInternal",
    }
}

/// Whether the instruction after the call at `pc` is `XORPS X15, X15`,
/// the compiler's first step back into ABIInternal after ABI0 code.
fn restores_abi_internal(go: &GoBinary<'_>, pc: u64) -> bool {
    let Some(code) = go.bin.read_va(pc, 15) else {
        return true;
    };
    let call = disasm::decode(disasm::Arch::Amd64, code, pc);
    let next = pc + u64::from(call.len);
    let Some(code) = go.bin.read_va(next, 15) else {
        return true;
    };
    let i = disasm::decode(disasm::Arch::Amd64, code, next);
    i.to_string(Syntax::Go, &disasm::NoSymbols)
        .starts_with("XORPS X15, X15")
}

const INTERNAL_REGS: [&str; 9] = ["RAX", "RBX", "RCX", "RDI", "RSI", "R8", "R9", "R10", "R11"];

fn reg_by_name(r: &X86_64Regs, name: &str) -> u64 {
    match name {
        "RAX" => r.rax,
        "RBX" => r.rbx,
        "RCX" => r.rcx,
        "RDI" => r.rdi,
        "RSI" => r.rsi,
        "R8" => r.r8,
        "R9" => r.r9,
        "R10" => r.r10,
        _ => r.r11,
    }
}

fn gp_registers(r: &X86_64Regs) -> Vec<RegValue> {
    let all = [
        ("RAX", r.rax),
        ("RBX", r.rbx),
        ("RCX", r.rcx),
        ("RDX", r.rdx),
        ("RSI", r.rsi),
        ("RDI", r.rdi),
        ("RBP", r.rbp),
        ("RSP", r.rsp),
        ("R8", r.r8),
        ("R9", r.r9),
        ("R10", r.r10),
        ("R11", r.r11),
        ("R12", r.r12),
        ("R13", r.r13),
        ("R14", r.r14),
        ("R15", r.r15),
        ("RIP", r.rip),
    ];
    all.iter()
        .map(|(n, v)| RegValue {
            name: n.to_string(),
            value: *v,
            role: None,
        })
        .collect()
}

/// The arguments a call passes, as `conv` places them. Names come from
/// DWARF: the callee's own parameters, or, for assembly that declares none
/// (x/sys `unix.Syscall`), those of the first function down the chain
/// that receives the same arguments unchanged (tail jump, ABI wrapper).
fn arguments(
    an: &Analysis<'_, '_>,
    dwarf: Option<&dwarf::Params>,
    rest: &[analysis::Hop],
    conv: &str,
    at_jump: bool,
    hit: &Hit,
    fallback: usize,
) -> Vec<ArgValue> {
    let mut words: Option<Vec<String>> = None;
    if let Some(d) = dwarf {
        for (k, h) in rest.iter().enumerate() {
            if k > 0 && !(h.via == "tail jump" || rest[k - 1].abi == "wrapper") {
                break;
            }
            if let Some(node) = an.function(&h.function) {
                // ABI twins share a name; DWARF describes the Go one.
                let entries: Vec<u64> = an
                    .graph
                    .nodes
                    .iter()
                    .filter(|n| n.name == an.graph.nodes[node].name)
                    .map(|n| n.entry)
                    .collect();
                if let Some(w) = entries.iter().find_map(|e| d.words(*e)) {
                    words = Some(w);
                    break;
                }
            }
        }
    }
    let count = match &words {
        Some(w) => w.len(),
        None => fallback,
    };
    let mut out = Vec::new();
    let mut values = Vec::new();
    for k in 0..count {
        let (location, value) = if conv == "ABIInternal" {
            let Some(reg) = INTERNAL_REGS.get(k) else {
                break;
            };
            (reg.to_string(), reg_by_name(&hit.regs, reg))
        } else {
            // At a CALL the caller has stored arg0 at 0(SP); at a tail
            // JMP the return address is still at 0(SP) and arg0 is at 8(SP).
            let slot = k + usize::from(at_jump);
            let Some(v) = hit.stack.get(slot) else { break };
            let off = slot * 8;
            let loc = if off == 0 {
                "0(SP)".to_string()
            } else {
                format!("{off:#x}(SP)")
            };
            (loc, *v)
        };
        let name = words
            .as_ref()
            .and_then(|w| w.get(k).cloned())
            .unwrap_or_else(|| format!("arg{k}"));
        values.push(value);
        out.push(ArgValue {
            name,
            location,
            value,
            string: None,
        });
    }
    // Strings: a pointer followed by a plausible length.
    for k in 0..out.len().saturating_sub(1) {
        let (ptr, len) = (values[k], values[k + 1]);
        if len == 0 || len > 4096 {
            continue;
        }
        if let Some(bytes) = hit.peeks.get(&ptr) {
            let n = (len as usize).min(bytes.len());
            let text = bytes[..n]
                .iter()
                .filter(|&&c| (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t')
                .count();
            if n > 0 && text * 10 >= n * 9 {
                out[k].string = Some(quote(&bytes[..n], (len as usize) > n));
            }
        }
    }
    let _ = PEEK;
    out
}

fn quote(b: &[u8], more: bool) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

/// `--explain`: one or two sentences where each rabbit hole opens.
fn explain(report: &mut PathReport, os: model::Os) {
    const REGABI: &str = "https://go.dev/s/regabi (src/cmd/compile/abi-internal.md)";
    const ASM: &str = "https://go.dev/doc/asm";
    const SYSCALL: &str = "https://man7.org/linux/man-pages/man2/syscall.2.html";
    let n = report.hops.len();
    for i in 0..n {
        let prev_abi = if i > 0 {
            Some(report.hops[i - 1].args_abi.clone())
        } else {
            None
        };
        let h = &mut report.hops[i];
        if i == 0 && h.args_abi.as_deref() == Some("ABIInternal") {
            h.explain.push(Explanation {
                topic: "Go's own calling convention".into(),
                text: "Go calls Go with ABIInternal: arguments go in RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 in order (a slice takes three: pointer, length, capacity), not in the System V order C uses.".into(),
                link: REGABI.into(),
            });
        }
        if h.args_abi.as_deref() == Some("ABI0")
            && prev_abi.flatten().as_deref() != Some("ABI0")
            && h.abi != "ABI0"
        {
            h.explain.push(Explanation {
                topic: "ABI0 vs ABIInternal".into(),
                text: "This call goes to assembly, which only speaks ABI0, Go's older stack convention: the arguments move from registers to the stack at 0(SP), 8(SP), ... . Go has two ABIs, and the compiler or an autogenerated wrapper converts between them.".into(),
                link: REGABI.into(),
            });
        }
        if h.asm {
            h.explain.push(Explanation {
                topic: "Go assembly".into(),
                text: "This function is Go assembly (a .s file in Plan 9 syntax: MOVQ src, dst, pseudo-registers SB, FP, SP), assembled by Go's own assembler; the GNU line is the same instruction as binutils prints it.".into(),
                link: ASM.into(),
            });
        }
        if h.abi == "wrapper" {
            h.explain.push(Explanation {
                topic: "ABI wrapper".into(),
                text: "An autogenerated wrapper: it loads the ABI0 stack arguments into registers and calls the ABIInternal function of the same name, so assembly can call Go code.".into(),
                link: REGABI.into(),
            });
        }
        if h.via == "tail-jump" {
            h.explain.push(Explanation {
                topic: "tail jump".into(),
                text: "Reached by a JMP, not a CALL: the jumping function leaves no frame, so a debugger's backtrace never shows it.".into(),
                link: ASM.into(),
            });
        }
        if h.via == "inlined" {
            h.explain.push(Explanation {
                topic: "inlining".into(),
                text: "The compiler copied this function's body into its caller; only the pclntab's inline tree still knows it was a call.".into(),
                link: REGABI.into(),
            });
        }
        if h.generated.is_some() {
            h.explain.push(Explanation {
                topic: "generated file".into(),
                text: "z* files are generated per OS/architecture from //sys comments (mksyscall), which is why the wrapper for each syscall looks the same.".into(),
                link: "https://pkg.go.dev/golang.org/x/sys/unix".into(),
            });
        }
    }
    if let Some(last) = report.hops.last_mut() {
        last.explain.push(Explanation {
            topic: "the Linux syscall ABI".into(),
            text: "At SYSCALL the kernel's convention rules: number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9, result back in RAX (-4095..-1 is -errno). Go's Syscall6 shuffles its ABIInternal registers into this order.".into(),
            link: SYSCALL.into(),
        });
    }
    if os != model::Os::Linux || report.hops.is_empty() {
        report.notes.push("On darwin (and in cgo code) Go does not issue the syscall itself: it calls libc, whose ABI is stable where the kernel's is not.".into());
    }
}

/// Hops from the unwound stack (innermost first), outermost first: from
/// `main.main` when it is on the stack, else from the goroutine's first
/// frame outside the runtime. Each physical caller's call instruction is the
/// one that ends at the return address.
fn stack_hops(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    syms: &Syms<'_>,
    stack: &[model::Frame],
    bias: u64,
) -> Vec<PathHop> {
    let outer_first: Vec<&model::Frame> = stack.iter().rev().collect();
    let start = outer_first
        .iter()
        .position(|f| f.function == "main.main")
        .or_else(|| outer_first.iter().position(|f| !is_runtime(&f.function)));
    let Some(start) = start else {
        return Vec::new();
    };
    let frames = &outer_first[start..];
    let mut hops = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let pc = f.pc.wrapping_sub(bias);
        let innermost = i + 1 == frames.len();
        // The physical frame's pc is a return address, except at the top.
        // Inlined frames share their physical frame's pc; the call to the
        // next physical frame is made by the last logical frame before it.
        let call_pc = if innermost || frames.get(i + 1).is_some_and(|n| n.inlined) {
            None
        } else {
            call_before(go, pc)
        };
        let func = go
            .pclntab
            .func_at(if innermost { pc } else { pc.wrapping_sub(1) });
        // The graph's class: it knows `<ABIInternal>` assembly.
        let node = func.and_then(|fu| an.graph.node_at_entry(fu.entry()));
        let (abi, asm) = match node.map(|n| &an.graph.nodes[n]) {
            Some(n) => (n.abi_name().to_string(), n.asm && !f.inlined),
            None => ("C".to_string(), false),
        };
        let via = if i == 0 {
            "start"
        } else if f.inlined {
            "inlined"
        } else {
            "call"
        };
        hops.push(PathHop {
            function: f.function.clone(),
            file: f.file.clone(),
            line: f.line,
            via: via.into(),
            abi,
            asm,
            generated: None,
            call: call_pc.map(|c| instruction(go, syms, c)),
            observed: true,
            args_abi: None,
            args: Vec::new(),
            registers: Vec::new(),
            side_calls: Vec::new(),
            disassembly: call_pc.map(|c| around(go, an, syms, c)).unwrap_or_default(),
            note: None,
            explain: Vec::new(),
        });
    }
    hops
}

/// The instruction that ends at return address `ret` in its function.
fn call_before(go: &GoBinary<'_>, ret: u64) -> Option<u64> {
    let f = go.pclntab.func_at(ret.wrapping_sub(1))?;
    let code = go
        .bin
        .read_va(f.entry(), f.end().saturating_sub(f.entry()))?;
    disasm::decode_all(disasm::Arch::Amd64, code, f.entry())
        .iter()
        .find(|i| i.addr + u64::from(i.len) == ret)
        .map(|i| i.addr)
}
