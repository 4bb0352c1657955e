//! Where to plant breakpoints: on the calls and tail jumps of the chain a
//! first run found (`Plan::from_chain`), or, for a call made in C (cgo),
//! on the static chains from `main.main` to `asmcgocall`'s hand-over
//! (`Plan::build`, from crate `analysis`); with each, the calls to
//! `entersyscall`/`exitsyscall` beside them. Every breakpoint says how to
//! perform the instruction it replaces.

use super::Goroutine;
use crate::frames::is_runtime_frame;
use analysis::{Analysis, Number};
use disasm::{Flow, Syntax};
use gobin::GoBinary;
use std::collections::HashMap;
use tracer::breakpoint::Step;

/// Most breakpoints planted: the chains to one syscall are short; this
/// keeps a pathological graph from turning the run into a crawl.
const MAX_BREAKPOINTS: usize = 256;
/// Candidate chains per (start, site).
const PATHS_PER_SITE: usize = 3;

/// A planted breakpoint.
pub(crate) struct Planned {
    pub(crate) step: Step,
}

/// What to trace: candidate chains and the breakpoints that observe them.
pub(crate) struct Plan {
    pub(crate) breakpoints: HashMap<u64, Planned>,
    /// Side calls (entersyscall/exitsyscall) by the function making them:
    /// (function node, callee name, call pc).
    pub(crate) sides: Vec<(String, String, u64)>,
    /// The chain's breakpoints, outermost first, when they are armed one
    /// after the other: each is planted when the one above it is hit by a
    /// goroutine that counts, so goroutines sharing the lower part of the
    /// chain (every write goes through `syscall.Syscall`) do not stop
    /// there all the time. Empty: all are planted at once.
    pub(crate) stages: Vec<u64>,
    /// cgo: chains from main.main to the instruction that hands a C
    /// function pointer over (`runtime.asmcgocall`).
    pub(crate) cgo_paths: Vec<analysis::Path>,
}

impl Plan {
    /// The chains to syscall `nr` from `main_fn` (and, for any goroutine,
    /// from the functions goroutines start in) and their breakpoints.
    pub(crate) fn build(
        go: &GoBinary<'_>,
        an: &Analysis<'_, '_>,
        main_fn: usize,
        nr: u64,
        sel: Goroutine,
    ) -> Plan {
        let mut starts = vec![main_fn];
        if sel != Goroutine::Main {
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
            breakpoints,
            sides,
            stages: Vec::new(),
            cgo_paths,
        }
    }
}

impl Plan {
    /// Breakpoints exactly on the calls and tail jumps of `chain` (the
    /// chain a first run found on the goroutine's stack), and on the calls
    /// to `entersyscall`/`exitsyscall` its functions make.
    pub(crate) fn from_chain(
        go: &GoBinary<'_>,
        an: &Analysis<'_, '_>,
        chain: &analysis::Path,
    ) -> Plan {
        let mut breakpoints = HashMap::new();
        let mut sides = Vec::new();
        let mut stages = Vec::new();
        for h in &chain.hops {
            if h.pc != chain.site && h.instruction.is_some() {
                if let Some(planned) = plan_at(go, h.pc) {
                    if !breakpoints.contains_key(&h.pc) {
                        stages.push(h.pc);
                    }
                    breakpoints.entry(h.pc).or_insert(planned);
                }
            }
            let Some(f) = go.pclntab.func_at(h.pc) else {
                continue;
            };
            let Some(node) = an.graph.node_at_entry(f.entry()) else {
                continue;
            };
            for &e in &an.graph.out[node] {
                let edge = an.graph.edges[e];
                let callee = &an.graph.nodes[edge.to].name;
                if (callee == "runtime.entersyscall" || callee == "runtime.exitsyscall")
                    && !sides.iter().any(|s: &(String, String, u64)| s.2 == edge.pc)
                {
                    sides.push((h.function.clone(), callee.clone(), edge.pc));
                    if let Some(planned) = plan_at(go, edge.pc) {
                        breakpoints.entry(edge.pc).or_insert(planned);
                    }
                }
            }
        }
        Plan {
            breakpoints,
            sides,
            stages,
            cgo_paths: Vec::new(),
        }
    }

    /// No breakpoints: a run that only finds the syscall and its stack.
    pub(crate) fn empty() -> Plan {
        Plan {
            breakpoints: HashMap::new(),
            sides: Vec::new(),
            stages: Vec::new(),
            cgo_paths: Vec::new(),
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
        if g.into[v].is_empty() && !is_runtime_frame(name) && name != "main.main" {
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
