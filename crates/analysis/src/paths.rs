//! Paths through the call graph: shortest-path counts, bounded enumeration
//! of simple paths (shortest first), and the hop-by-hop description with
//! inlined frames expanded.

use crate::graph::{Graph, Via};
use crate::{Site, SiteKind};
use gobin::GoBinary;
use serde::Serialize;
use std::collections::VecDeque;

/// One hop of a path: a function and how it was reached.
#[derive(Clone, Debug, Serialize)]
pub struct Hop {
    /// Go function name.
    pub function: String,
    /// How control got here from the previous hop (`start` for the first).
    pub via: String,
    /// File of the position this function is at when it makes the next hop
    /// (or reaches the site).
    pub file: String,
    /// Line of that position.
    pub line: u32,
    /// ABI class (`ABIInternal`, `ABI0`, `wrapper`); inlined frames have the
    /// class of the function they were inlined into.
    pub abi: String,
    /// Written in assembly.
    pub asm: bool,
    /// Address of the instruction that makes the next hop (or the site).
    pub pc: u64,
    /// That instruction in Go syntax.
    pub instruction: Option<String>,
    /// A note on this hop (`pointer loaded by X, called by Y`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A path from the start function to a site.
#[derive(Clone, Debug, Serialize)]
pub struct Path {
    /// Hops, start function first, the site's function last.
    pub hops: Vec<Hop>,
    /// Site address.
    pub site: u64,
    /// Site kind.
    pub kind: SiteKind,
    /// The syscall number this path passes, when a constant reaches it.
    pub number: Option<u64>,
    /// Its name (or the imported function's).
    pub name: Option<String>,
    /// Library of a libc import.
    pub library: Option<String>,
    /// Where the number was set: function and instruction.
    pub number_set_by: Option<String>,
}

/// Per node: (number of shortest paths from `from`, their length).
pub fn shortest_counts(g: &Graph, from: usize) -> Vec<(u64, Option<usize>)> {
    let n = g.nodes.len();
    let mut dist = vec![usize::MAX; n];
    let mut count = vec![0u64; n];
    let mut queue = VecDeque::new();
    if from < n {
        dist[from] = 0;
        count[from] = 1;
        queue.push_back(from);
    }
    while let Some(u) = queue.pop_front() {
        for &e in &g.out[u] {
            let v = g.edges[e].to;
            if dist[v] == usize::MAX {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
            if dist[v] == dist[u] + 1 {
                count[v] = count[v].saturating_add(count[u]);
            }
        }
    }
    (0..n)
        .map(|v| {
            if dist[v] == usize::MAX {
                (0, None)
            } else {
                (count[v], Some(dist[v]))
            }
        })
        .collect()
}

/// Distances to `target` along edges (reverse BFS).
fn distances_to(g: &Graph, target: usize) -> Vec<usize> {
    let mut dist = vec![usize::MAX; g.nodes.len()];
    let mut queue = VecDeque::new();
    dist[target] = 0;
    queue.push_back(target);
    while let Some(v) = queue.pop_front() {
        for &e in &g.into[v] {
            let u = g.edges[e].from;
            if dist[u] == usize::MAX {
                dist[u] = dist[v] + 1;
                queue.push_back(u);
            }
        }
    }
    dist
}

/// Work bound for enumeration, so a dense graph cannot hang the command.
const BUDGET: usize = 200_000;
/// How much longer than the shortest a listed path may be.
const SLACK: usize = 3;

/// Up to `limit` simple paths (as edge lists) from `from` to `target`,
/// shortest first; cycles are never entered twice.
pub fn enumerate(g: &Graph, from: usize, target: usize, limit: usize) -> Vec<Vec<usize>> {
    let dist = distances_to(g, target);
    if from >= g.nodes.len() || dist[from] == usize::MAX {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut budget = BUDGET;
    for len in dist[from]..=dist[from] + SLACK {
        let mut on_path = vec![false; g.nodes.len()];
        let mut stack = Vec::new();
        on_path[from] = true;
        walk(
            g,
            &dist,
            from,
            target,
            len,
            &mut on_path,
            &mut stack,
            &mut found,
            limit,
            &mut budget,
        );
        if found.len() >= limit || budget == 0 {
            break;
        }
    }
    found
}

#[allow(clippy::too_many_arguments)]
fn walk(
    g: &Graph,
    dist: &[usize],
    u: usize,
    target: usize,
    remaining: usize,
    on_path: &mut [bool],
    stack: &mut Vec<usize>,
    found: &mut Vec<Vec<usize>>,
    limit: usize,
    budget: &mut usize,
) {
    if found.len() >= limit || *budget == 0 {
        return;
    }
    *budget -= 1;
    if u == target {
        if remaining == 0 {
            found.push(stack.clone());
        }
        return;
    }
    if remaining == 0 {
        return;
    }
    let mut seen = Vec::new();
    for &e in &g.out[u] {
        let v = g.edges[e].to;
        // One edge per callee is enough: several calls from the same
        // function to the same callee are one hop.
        if on_path[v] || dist[v] > remaining - 1 || seen.contains(&v) {
            continue;
        }
        seen.push(v);
        on_path[v] = true;
        stack.push(e);
        walk(
            g,
            dist,
            v,
            target,
            remaining - 1,
            on_path,
            stack,
            found,
            limit,
            budget,
        );
        stack.pop();
        on_path[v] = false;
    }
}

/// Names for branch targets: the graph's functions.
pub(crate) struct NodeSymbols<'g>(pub &'g Graph);

impl disasm::SymbolLookup for NodeSymbols<'_> {
    fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let nodes = &self.0.nodes;
        let i = nodes.partition_point(|n| n.entry <= addr).checked_sub(1)?;
        let n = &nodes[i];
        (addr < n.end).then_some((n.name.as_str(), n.entry))
    }
}

fn instruction_at(go: &GoBinary<'_>, g: &Graph, pc: u64) -> Option<String> {
    let arch = disasm::Arch::from_model(go.bin.arch)?;
    let code = go.bin.read_va(pc, 16).or_else(|| go.bin.read_va(pc, 4))?;
    let inst = disasm::decode(arch, code, pc);
    Some(inst.to_string(disasm::Syntax::Go, &NodeSymbols(g)))
}

/// Expands a path of edges into hops, inlined frames included.
pub fn hops(go: &GoBinary<'_>, g: &Graph, edges: &[usize], site: &Site) -> Vec<Hop> {
    let mut out = Vec::new();
    let mut via = "start".to_string();
    let mut note = None;
    let mut i = 0;
    let first = edges.first().map(|&e| g.edges[e].from).unwrap_or(site.node);
    let mut node = first;
    loop {
        let (pc, next) = match edges.get(i) {
            Some(&e) => (g.edges[e].pc, Some(e)),
            None => (site.addr, None),
        };
        push_with_inlines(go, g, node, pc, &via, note.take(), &mut out);
        let Some(e) = next else { break };
        let edge = g.edges[e];
        via = if edge.via == Via::FnPointer {
            expand_pointer(go, g, edge.from, edge.to, &mut out, 0)
        } else {
            edge.via.name().into()
        };
        node = edge.to;
        i += 1;
    }
    if site.kind == SiteKind::Libc {
        out.push(Hop {
            function: site.name.clone().unwrap_or_else(|| "?".into()),
            via: "libc import".into(),
            file: site.library.clone().unwrap_or_default(),
            line: 0,
            abi: "C".into(),
            asm: false,
            pc: 0,
            instruction: None,
            note: Some("imported symbol, bound by the dynamic loader".into()),
        });
    }
    out
}

/// A fn-pointer hop `from -> to`: `from` takes `to`'s address and passes it
/// down; some assembly routine calls it through a register. Emits the calls
/// from `from` to that routine and returns the `via` text for `to`.
fn expand_pointer(
    go: &GoBinary<'_>,
    g: &Graph,
    from: usize,
    to: usize,
    out: &mut Vec<Hop>,
    depth: usize,
) -> String {
    let Some(chain) = dispatch_chain(g, from, to).filter(|_| depth < 3) else {
        return Via::FnPointer.name().into();
    };
    if let Some(last) = out.last_mut() {
        last.note = Some(format!(
            "takes the address of {} and passes it down",
            g.nodes[to].name
        ));
    }
    for (k, &ce) in chain.iter().enumerate() {
        let c = g.edges[ce];
        let v = if c.via == Via::FnPointer {
            expand_pointer(go, g, c.from, c.to, out, depth + 1)
        } else {
            c.via.name().to_string()
        };
        match chain.get(k + 1) {
            Some(&n) => push_with_inlines(go, g, c.to, g.edges[n].pc, &v, None, out),
            None => {
                push_with_inlines(go, g, c.to, g.nodes[c.to].entry, &v, None, out);
                if let Some(last) = out.last_mut() {
                    last.instruction = None;
                    last.note = Some(format!("calls {} through a register", g.nodes[to].name));
                }
            }
        }
    }
    "indirect call".into()
}

/// From `from`, the shortest chain of edges to the assembly routine that
/// finally calls the pointer `from` handed down. Candidates are assembly
/// functions with an indirect call; the runtime's known C-call dispatchers
/// (`asmcgocall` and its landing pad, darwin's `*_trampoline`s, Go 1.19's
/// `runtime.syscall*`) win over any other (vDSO callers like `nanotime1`,
/// closure runners like `systemstack`). Paths never go through other libc
/// trampolines, nor past a candidate.
fn dispatch_chain(g: &Graph, from: usize, target: usize) -> Option<Vec<usize>> {
    let known = |name: &str| {
        name.contains("asmcgocall")
            || (name.ends_with("_trampoline") && !name.contains("libc_"))
            || name.starts_with("runtime.syscall")
    };
    let mut prev: Vec<Option<usize>> = vec![None; g.nodes.len()];
    let mut seen = vec![false; g.nodes.len()];
    let mut queue = VecDeque::new();
    seen[from] = true;
    queue.push_back(from);
    let mut fallback = None;
    while let Some(u) = queue.pop_front() {
        let node = &g.nodes[u];
        if u != from && node.asm && node.indirect {
            if known(&node.name) {
                return Some(chain_to(g, &prev, u));
            }
            let closure_runner =
                matches!(node.name.as_str(), "runtime.systemstack" | "runtime.mcall");
            if !closure_runner {
                fallback.get_or_insert(u);
            }
            continue;
        }
        for &e in &g.out[u] {
            let v = g.edges[e].to;
            if seen[v] || v == target || g.nodes[v].name.contains("libc_") {
                continue;
            }
            seen[v] = true;
            prev[v] = Some(e);
            queue.push_back(v);
        }
    }
    fallback.map(|u| chain_to(g, &prev, u))
}

fn chain_to(g: &Graph, prev: &[Option<usize>], mut v: usize) -> Vec<usize> {
    let mut chain = Vec::new();
    while let Some(e) = prev[v] {
        chain.push(e);
        v = g.edges[e].from;
    }
    chain.reverse();
    chain
}

fn push_with_inlines(
    go: &GoBinary<'_>,
    g: &Graph,
    node: usize,
    pc: u64,
    via: &str,
    note: Option<String>,
    out: &mut Vec<Hop>,
) {
    let n = &g.nodes[node];
    let frames = go.pclntab.frames_at(pc);
    let instruction = instruction_at(go, g, pc);
    // frames: innermost first, the physical function last.
    let physical = frames.last();
    out.push(Hop {
        function: n.name.clone(),
        via: via.to_string(),
        file: physical.map(|f| f.file.clone()).unwrap_or_default(),
        line: physical.map(|f| f.line).unwrap_or(0),
        abi: n.abi_name().to_string(),
        asm: n.asm,
        pc,
        instruction: if frames.len() > 1 {
            None
        } else {
            instruction.clone()
        },
        note,
    });
    let inlined = frames.len().saturating_sub(1);
    for (k, f) in frames.iter().take(inlined).rev().enumerate() {
        out.push(Hop {
            function: f.function.clone(),
            via: "inlined".into(),
            file: f.file.clone(),
            line: f.line,
            abi: n.abi_name().to_string(),
            asm: false,
            pc,
            instruction: if k + 1 == inlined {
                instruction.clone()
            } else {
                None
            },
            note: None,
        });
    }
}

/// How far above a site whose number is an argument the constant may be
/// set (`syscall.connect` → `Syscall` → `RawSyscall6` → `Syscall6`).
const SETTER_DEPTH: usize = 6;

impl crate::Analysis<'_, '_> {
    /// Paths from `from` to a site that takes its number as an argument
    /// (`Syscall6`), only those that pass `want`: found through the calls
    /// that load `want` as that argument (the setters), not by listing
    /// the shortest paths to the site, which mostly pass other numbers.
    /// Shortest first.
    pub(crate) fn paths_via_setters(
        &self,
        from: usize,
        site: &crate::Site,
        want: u64,
        limit: usize,
    ) -> Vec<Path> {
        let g = &self.graph;
        // (node whose first argument reaches the site, edges from it down)
        let mut frontier: Vec<(usize, Vec<usize>)> = vec![(site.node, Vec::new())];
        let mut setters: Vec<Vec<usize>> = Vec::new();
        let mut seen = vec![false; g.nodes.len()];
        seen[site.node] = true;
        for _ in 0..SETTER_DEPTH {
            let mut next = Vec::new();
            for (v, below) in &frontier {
                for &e in &g.into[*v] {
                    let edge = g.edges[e];
                    if edge.via == Via::FnPointer {
                        continue;
                    }
                    let mut down = vec![e];
                    down.extend(below.iter().copied());
                    match self.first_arg_at(edge.from, edge.pc).0 {
                        crate::dataflow::Origin::Const(c) if c as u64 == want => setters.push(down),
                        crate::dataflow::Origin::Argument if !seen[edge.from] => {
                            seen[edge.from] = true;
                            next.push((edge.from, down));
                        }
                        _ => {}
                    }
                }
            }
            frontier = next;
        }
        let mut out: Vec<Path> = Vec::new();
        for down in setters {
            let top = g.edges[down[0]].from;
            for mut edges in enumerate(g, from, top, limit.max(1)) {
                edges.extend(down.iter().copied());
                let p = self.describe(&edges, site);
                if p.number == Some(want) {
                    out.push(p);
                }
            }
        }
        out.sort_by_key(|p| p.hops.len());
        out.truncate(limit);
        out
    }
}
