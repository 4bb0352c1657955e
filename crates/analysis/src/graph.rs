//! The static call graph: every function of the pclntab decoded once, with
//! its direct calls, tail jumps, syscall instructions and calls into
//! imported (libc) functions.

use disasm::{Flow, Inst};
use gobin::imports::Stubs;
use gobin::pclntab::Abi;
use gobin::GoBinary;
use serde::Serialize;
use std::collections::HashMap;

/// How control gets from one function to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// A `CALL` / `BL`.
    Call,
    /// A `JMP` / `B` to another function's entry: the callee returns
    /// straight to our caller, so no stack shows this hop.
    TailJump,
    /// The callee was inlined at the call site.
    Inlined,
    /// The callee's address is loaded from data and called later through a
    /// register (darwin's `libc_*_trampoline_addr` words).
    FnPointer,
}

impl Via {
    /// Text used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Via::Call => "call",
            Via::TailJump => "tail jump",
            Via::Inlined => "inlined",
            Via::FnPointer => "fn pointer",
        }
    }
}

/// One function of the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Go name.
    pub name: String,
    /// Entry address.
    pub entry: u64,
    /// End address (exclusive).
    pub end: u64,
    /// Calling convention class.
    pub abi: Abi,
    /// Written in assembly.
    pub asm: bool,
    /// Contains a call or tail jump through a register.
    pub indirect: bool,
    /// C code (cgo), named from the ELF symbol table: not in the pclntab.
    pub c: bool,
}

impl Node {
    /// The calling convention as printed: `C` for C code, else the Go class.
    pub fn abi_name(&self) -> &'static str {
        if self.c {
            "C"
        } else {
            self.abi.name()
        }
    }
}

/// A direct edge between two functions.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    /// Caller node index.
    pub from: usize,
    /// Callee node index.
    pub to: usize,
    /// Address of the instruction that makes the hop.
    pub pc: u64,
    /// How.
    pub via: Via,
}

/// An instruction that enters the kernel or libc.
#[derive(Clone, Debug)]
pub struct RawSite {
    /// Function containing it.
    pub func: usize,
    /// Instruction address.
    pub pc: u64,
    /// What kind of entry.
    pub kind: crate::SiteKind,
    /// For libc sites: the imported symbol and its library.
    pub import: Option<(String, Option<String>)>,
}

/// The whole-program graph.
pub struct Graph {
    /// Functions in pclntab order (sorted by entry).
    pub nodes: Vec<Node>,
    /// All edges.
    pub edges: Vec<Edge>,
    /// Outgoing edge indices per node.
    pub out: Vec<Vec<usize>>,
    /// Incoming edge indices per node.
    pub into: Vec<Vec<usize>>,
    /// Syscall and libc sites.
    pub sites: Vec<RawSite>,
    by_entry: HashMap<u64, usize>,
}

impl Graph {
    /// Decodes every function of `go` and links the graph.
    pub fn build(go: &GoBinary<'_>) -> Graph {
        let arch = disasm::Arch::from_model(go.bin.arch);
        let stubs = Stubs::read(&go.bin);
        let mut nodes = Vec::with_capacity(go.pclntab.len());
        for f in go.pclntab.funcs() {
            nodes.push(Node {
                name: f.name().to_string(),
                entry: f.entry(),
                end: f.end(),
                abi: go.abi(&f).0,
                asm: f.is_asm(),
                indirect: false,
                c: go.abi(&f).0 == Abi::C,
            });
        }
        add_c_functions(go, &mut nodes);
        let by_entry: HashMap<u64, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.entry, i))
            .collect();
        let mut edges = Vec::new();
        let mut sites = Vec::new();
        let mut indirect = Vec::new();
        let Some(arch) = arch else {
            return Graph::link(nodes, edges, sites, by_entry);
        };
        let has_c = nodes.iter().any(|n| n.c);
        for (i, n) in nodes.iter().enumerate() {
            let Some(code) = go.bin.read_va(n.entry, n.end.saturating_sub(n.entry)) else {
                continue;
            };
            let insts = disasm::decode_all(arch, code, n.entry);
            let scan = Scan {
                go,
                stubs: &stubs,
                by_entry: &by_entry,
                pointers: go.bin.format == model::Format::Macho || has_c,
                code,
                nodes: &nodes,
            };
            for (k, inst) in insts.iter().enumerate() {
                scan.inst(i, n, &insts, k, inst, &mut edges, &mut sites);
                // A call or tail jump through a register.
                if matches!(inst.flow, Flow::Call | Flow::Jump) && inst.target.is_none() {
                    indirect.push(i);
                }
            }
        }
        for i in indirect {
            nodes[i].indirect = true;
        }
        if arch == disasm::Arch::Amd64 {
            internal_assembly(go, &mut nodes, &edges);
        }
        Graph::link(nodes, edges, sites, by_entry)
    }

    fn link(
        nodes: Vec<Node>,
        edges: Vec<Edge>,
        sites: Vec<RawSite>,
        by_entry: HashMap<u64, usize>,
    ) -> Graph {
        let mut out = vec![Vec::new(); nodes.len()];
        let mut into = vec![Vec::new(); nodes.len()];
        for (k, e) in edges.iter().enumerate() {
            out[e.from].push(k);
            into[e.to].push(k);
        }
        Graph {
            nodes,
            edges,
            out,
            into,
            sites,
            by_entry,
        }
    }

    /// The node whose entry is exactly `addr`.
    pub fn node_at_entry(&self, addr: u64) -> Option<usize> {
        self.by_entry.get(&addr).copied()
    }

    /// Nodes whose name equals `name`.
    pub fn nodes_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.name == name)
            .map(|(i, _)| i)
    }
}

struct Scan<'a, 'data> {
    go: &'a GoBinary<'data>,
    stubs: &'a Stubs,
    by_entry: &'a HashMap<u64, usize>,
    /// Look for code pointers loaded from data (darwin trampolines, cgo's
    /// `_cgo_*` function variables).
    pointers: bool,
    code: &'a [u8],
    nodes: &'a [Node],
}

impl Scan<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn inst(
        &self,
        i: usize,
        n: &Node,
        insts: &[Inst],
        k: usize,
        inst: &Inst,
        edges: &mut Vec<Edge>,
        sites: &mut Vec<RawSite>,
    ) {
        let (go, stubs, by_entry) = (self.go, self.stubs, self.by_entry);
        match inst.flow {
            Flow::Syscall => {
                let kind = match inst.arch() {
                    disasm::Arch::Amd64 => crate::SiteKind::Syscall,
                    disasm::Arch::Arm64 => crate::SiteKind::Svc,
                };
                sites.push(RawSite {
                    func: i,
                    pc: inst.addr,
                    kind,
                    import: None,
                });
            }
            Flow::Call | Flow::Jump => {
                let Some(t) = inst.target else { return };
                if let Some(&to) = by_entry.get(&t) {
                    // Every prologue's stack check calls morestack: that is
                    // the runtime growing the stack, not a call the code
                    // makes, and following it leads everywhere through the
                    // crash paths.
                    if self.nodes[to].name.starts_with("runtime.morestack") {
                        return;
                    }
                    let via = if inst.flow == Flow::Call {
                        Via::Call
                    } else if t == n.entry {
                        return;
                    } else {
                        Via::TailJump
                    };
                    edges.push(Edge {
                        from: i,
                        to,
                        pc: inst.addr,
                        via,
                    });
                } else if let Some(import) = stubs.import_at(t) {
                    sites.push(RawSite {
                        func: i,
                        pc: inst.addr,
                        kind: crate::SiteKind::Libc,
                        import: Some(import),
                    });
                }
            }
            // darwin: wrappers load `libc_X_trampoline_addr` words and hand the
            // trampoline to syscall.syscall; the runtime takes the address of its
            // own ABI0 dispatchers (`syscallN_trampoline`, `runtime.syscall`)
            // for libcCall. Both become fn-pointer edges.
            Flow::Next if self.pointers => {
                let target = match crate::dataflow::pc_relative(self.code, n.entry, insts, k) {
                    Some(crate::dataflow::PcRel::Load(addr)) => go.bin.read_ptr(addr),
                    Some(crate::dataflow::PcRel::Address(addr)) => Some(addr),
                    None => None,
                };
                let Some(&to) = target.and_then(|v| by_entry.get(&v)) else {
                    return;
                };
                let callee = &self.nodes[to];
                let dispatcher = callee.asm && callee.name.starts_with("runtime.");
                let darwin = go.bin.format == model::Format::Macho
                    && (callee.name.ends_with("_trampoline") || dispatcher);
                // cgo: Go loads the C wrapper's address from a `_cgo_*`
                // variable and hands it to runtime.cgocall.
                let cgo = callee.c && !n.c;
                if (darwin || cgo) && to != i {
                    edges.push(Edge {
                        from: i,
                        to,
                        pc: inst.addr,
                        via: Via::FnPointer,
                    });
                }
            }
            _ => {}
        }
    }
}

/// Adds the C functions of a cgo binary (ELF text symbols outside every Go
/// function) as nodes, keeping the node list sorted by entry. Stripped
/// binaries have no such names, and their C code stays out of the graph.
fn add_c_functions(go: &GoBinary<'_>, nodes: &mut Vec<Node>) {
    if go.bin.format != model::Format::Elf {
        return;
    }
    let inside_go = |addr: u64| {
        let i = nodes.partition_point(|n| n.entry <= addr);
        i > 0 && addr < nodes[i - 1].end
    };
    let mut extra = Vec::new();
    for sym in go.bin.symbols() {
        if !sym.text || sym.size == 0 || inside_go(sym.addr) || sym.name.is_empty() {
            continue;
        }
        extra.push(Node {
            name: sym.name.clone(),
            entry: sym.addr,
            end: sym.addr.saturating_add(sym.size),
            abi: gobin::pclntab::Abi::Abi0,
            asm: false,
            indirect: false,
            c: true,
        });
    }
    if extra.is_empty() {
        return;
    }
    nodes.extend(extra);
    nodes.sort_by_key(|n| n.entry);
    nodes.dedup_by_key(|n| n.entry);
}

/// Assembly declared `<ABIInternal>` (amd64 `internal/runtime/syscall/linux.Syscall6`,
/// `runtime.memequal`) carries the Asm flag like ABI0 assembly, and without a
/// symbol table nothing else tells them apart. The compiler does: after calling
/// ABI0 code it re-establishes its fixed registers with `XORPS X15, X15`
/// (`45 0f 57 ff`); after an ABIInternal callee it does not. An assembly
/// function that compiled Go calls, never followed by that restore, is
/// ABIInternal.
fn internal_assembly(go: &GoBinary<'_>, nodes: &mut [Node], edges: &[Edge]) {
    let mut seen = vec![(0u32, 0u32); nodes.len()];
    for e in edges {
        let (from, to) = (&nodes[e.from], &nodes[e.to]);
        if e.via != Via::Call || from.asm || from.c || from.abi != Abi::Internal || !to.asm {
            continue;
        }
        // Go's direct calls are `e8 rel32`.
        let restores = go.bin.read_va(e.pc + 5, 4) == Some(&[0x45, 0x0f, 0x57, 0xff][..]);
        let s = &mut seen[e.to];
        if restores {
            s.0 += 1;
        } else {
            s.1 += 1;
        }
    }
    for (node, (restored, plain)) in nodes.iter_mut().zip(seen) {
        if node.asm && node.abi == Abi::Abi0 && restored == 0 && plain > 0 {
            node.abi = Abi::Internal;
        }
    }
}
