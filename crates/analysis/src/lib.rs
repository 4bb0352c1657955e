//! Static questions over a Go binary, answered without running it.
//!
//! - [`Graph`]: every function decoded once; direct calls, tail jumps,
//!   darwin fn-pointer hand-offs, syscall instructions and libc stubs.
//! - [`Analysis`]: the syscall sites with their numbers, and the call paths
//!   from `main.main` (or any function) down to them, hop by hop.
//!
//! Syscall numbers are followed backwards through the wrapper chain
//! ([`dataflow`]): the site's number register, then each caller's first
//! argument (register or ABI0 stack slot), until a constant appears.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod compare;
pub mod dataflow;
pub mod graph;
pub mod libc;
mod paths;
pub mod size;

pub use graph::{Graph, Via};
pub use paths::{Hop, Path};

use dataflow::Origin;
use gobin::GoBinary;
use serde::Serialize;

/// How a site enters the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    /// amd64 `SYSCALL`.
    Syscall,
    /// arm64 `SVC`.
    Svc,
    /// A call into an imported C function (darwin libSystem, cgo libc).
    Libc,
}

/// The syscall number at a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Number {
    /// Set by a constant in the site's own function.
    Constant {
        /// The number.
        value: u64,
    },
    /// Comes in as the first argument of `function`: each path says which.
    Dynamic {
        /// The function whose argument carries it.
        function: String,
    },
    /// Loaded or computed: not visible statically.
    Unknown,
    /// Not a numbered syscall (libc import).
    None,
}

/// One syscall site.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    /// Instruction address.
    pub addr: u64,
    /// Function that contains it.
    pub function: String,
    /// syscall, svc or libc.
    pub kind: SiteKind,
    /// Number as seen at the site.
    pub number: Number,
    /// Syscall (or imported function) name when known.
    pub name: Option<String>,
    /// For libc sites: the library the import binds to.
    pub library: Option<String>,
    /// Shortest call chains from the start function to the site's function.
    pub paths: u64,
    /// Their length in hops, when reachable.
    pub depth: Option<usize>,
    #[serde(skip)]
    node: usize,
}

/// The analysis of one binary.
pub struct Analysis<'a, 'data> {
    go: &'a GoBinary<'data>,
    /// The call graph.
    pub graph: Graph,
    /// Every syscall and libc site, by address.
    pub sites: Vec<Site>,
    arch: Option<disasm::Arch>,
}

impl<'a, 'data> Analysis<'a, 'data> {
    /// Builds the graph and classifies every site. Path counts start at
    /// function node `from`, else at `main.main` when the binary has one
    /// (see [`Self::count_paths_from`] to change it later).
    pub fn new(go: &'a GoBinary<'data>, from: Option<usize>) -> Analysis<'a, 'data> {
        let graph = Graph::build(go);
        let arch = disasm::Arch::from_model(go.bin.arch);
        let mut an = Analysis {
            go,
            graph,
            sites: Vec::new(),
            arch,
        };
        let mut sites = Vec::with_capacity(an.graph.sites.len());
        for raw in &an.graph.sites {
            let node = &an.graph.nodes[raw.func];
            let (number, name, library) = match &raw.import {
                Some((name, lib)) => (Number::None, Some(name.clone()), lib.clone()),
                None => {
                    let number = an.site_number(raw.func, raw.pc);
                    let name = match number {
                        Number::Constant { value } => an.syscall_name(value),
                        _ => None,
                    };
                    (number, name, None)
                }
            };
            sites.push(Site {
                addr: raw.pc,
                function: node.name.clone(),
                kind: raw.kind,
                number,
                name,
                library,
                paths: 0,
                depth: None,
                node: raw.func,
            });
        }
        sites.sort_by_key(|s| s.addr);
        an.sites = sites;
        if let Some(start) = from.or_else(|| an.function("main.main")) {
            an.count_paths_from(start);
        }
        an
    }

    /// Recounts every site's shortest paths from function node `from`.
    pub fn count_paths_from(&mut self, from: usize) {
        let counts = paths::shortest_counts(&self.graph, from);
        for site in &mut self.sites {
            (site.paths, site.depth) = counts[site.node];
        }
    }

    /// The function node named `name` (the first, when ABI twins share it).
    pub fn function(&self, name: &str) -> Option<usize> {
        self.graph.nodes_named(name).next()
    }

    /// Name of syscall `nr` on this binary's architecture.
    pub fn syscall_name(&self, nr: u64) -> Option<String> {
        let arch = self.go.bin.arch;
        if self.go.bin.os != model::Os::Linux {
            return None;
        }
        syscalls::table(arch)
            .and_then(|t| t.by_nr(nr))
            .map(|i| i.name.to_string())
    }

    /// Number of syscall `name` on this binary's architecture (Linux only:
    /// darwin binaries reach the kernel through libc, by name).
    pub fn syscall_number(&self, name: &str) -> Option<u64> {
        if self.go.bin.os != model::Os::Linux {
            return None;
        }
        syscalls::table(self.go.bin.arch)
            .and_then(|t| t.by_name(name))
            .map(|i| i.nr)
    }

    /// Whether `site` enters the kernel: every `SYSCALL`/`SVC`; a libc
    /// call on Linux (cgo) only when the function wraps a syscall
    /// ([`libc`]); on darwin every libc call, libc being the kernel's
    /// interface there.
    pub fn makes_syscall(&self, site: &Site) -> bool {
        match site.kind {
            SiteKind::Syscall | SiteKind::Svc => true,
            SiteKind::Libc if self.go.bin.os != model::Os::Linux => true,
            SiteKind::Libc => site.name.as_deref().is_some_and(|n| {
                libc::wrapped_syscall(n, |s| self.syscall_number(s).is_some()).is_some()
            }),
        }
    }

    fn decode(&self, node: usize) -> Vec<disasm::Inst> {
        let n = &self.graph.nodes[node];
        match (
            self.arch,
            self.go.bin.read_va(n.entry, n.end.saturating_sub(n.entry)),
        ) {
            (Some(arch), Some(code)) => disasm::decode_all(arch, code, n.entry),
            _ => Vec::new(),
        }
    }

    fn site_number(&self, node: usize, pc: u64) -> Number {
        let insts = self.decode(node);
        let Some(at) = insts.iter().position(|i| i.addr == pc) else {
            return Number::Unknown;
        };
        let reg = match self.arch {
            Some(disasm::Arch::Amd64) => "AX",
            _ => "R8",
        };
        match dataflow::origin(&insts, at, &[reg]).0 {
            Origin::Const(v) => Number::Constant { value: v as u64 },
            Origin::Argument => Number::Dynamic {
                function: self.graph.nodes[node].name.clone(),
            },
            Origin::Unknown => Number::Unknown,
        }
    }

    /// Where the first argument of the call at `pc` in `caller` comes from,
    /// in either ABI: register (AX / R0) or first stack slot (0(SP) / 8(RSP)).
    fn first_arg_at(&self, caller: usize, pc: u64) -> (Origin, Option<String>) {
        let insts = self.decode(caller);
        let Some(at) = insts.iter().position(|i| i.addr == pc) else {
            return (Origin::Unknown, None);
        };
        let locs: &[&str] = match self.arch {
            Some(disasm::Arch::Amd64) => &["AX", "0(SP)"],
            _ => &["R0", "8(RSP)"],
        };
        let (origin, at_pc) = dataflow::origin(&insts, at, locs);
        let text = at_pc
            .and_then(|p| insts.iter().find(|i| i.addr == p))
            .map(|i| {
                let syms = paths::NodeSymbols(&self.graph);
                i.to_string(disasm::Syntax::Go, &syms)
            });
        (origin, text)
    }

    /// Up to `limit` paths from `from` to the site at `site_addr`, shortest
    /// first; with `want`, only paths whose resolved number is `want`.
    pub fn paths_to(
        &self,
        from: usize,
        site_addr: u64,
        limit: usize,
        want: Option<u64>,
    ) -> Vec<Path> {
        let Some(site) = self.sites.iter().find(|s| s.addr == site_addr) else {
            return Vec::new();
        };
        if let (Some(w), Number::Dynamic { .. }) = (want, &site.number) {
            return self.paths_via_setters(from, site, w, limit);
        }
        let candidates = paths::enumerate(&self.graph, from, site.node, limit.max(1) * 8);
        let mut out = Vec::new();
        for edges in candidates {
            let path = self.describe(&edges, site);
            if let Some(w) = want {
                if path.number != Some(w) {
                    continue;
                }
            }
            out.push(path);
            if out.len() >= limit {
                break;
            }
        }
        out
    }

    /// Up to `limit` paths from `from` to the instruction at `pc` inside
    /// function node `to`: an arbitrary end point, such as the call where
    /// cgo hands a C function pointer over (`runtime.asmcgocall`).
    pub fn paths_to_instruction(&self, from: usize, to: usize, pc: u64, limit: usize) -> Vec<Path> {
        let Some(node) = self.graph.nodes.get(to) else {
            return Vec::new();
        };
        let site = Site {
            addr: pc,
            function: node.name.clone(),
            kind: SiteKind::Syscall,
            number: Number::Unknown,
            name: None,
            library: None,
            paths: 0,
            depth: None,
            node: to,
        };
        paths::enumerate(&self.graph, from, to, limit.max(1))
            .into_iter()
            .take(limit)
            .map(|edges| Path {
                hops: paths::hops(self.go, &self.graph, &edges, &site),
                site: pc,
                kind: SiteKind::Syscall,
                number: None,
                name: None,
                library: None,
                number_set_by: None,
            })
            .collect()
    }

    /// Resolves the number along a path of edges ending at `site`.
    fn resolve_number(&self, edges: &[usize], site: &Site) -> (Option<u64>, Option<String>) {
        match &site.number {
            Number::Constant { value } => return (Some(*value), None),
            Number::Dynamic { .. } => {}
            _ => return (None, None),
        }
        for &e in edges.iter().rev() {
            let edge = self.graph.edges[e];
            if edge.via == Via::FnPointer {
                return (None, None);
            }
            let (origin, text) = self.first_arg_at(edge.from, edge.pc);
            match origin {
                Origin::Const(v) => {
                    let by = format!(
                        "{} ({})",
                        self.graph.nodes[edge.from].name,
                        text.unwrap_or_default()
                    );
                    return (Some(v as u64), Some(by));
                }
                Origin::Argument => continue,
                Origin::Unknown => return (None, None),
            }
        }
        (None, None)
    }

    fn describe(&self, edges: &[usize], site: &Site) -> Path {
        let (number, set_by) = self.resolve_number(edges, site);
        let name = match (&site.name, number) {
            (Some(n), _) => Some(n.clone()),
            (None, Some(nr)) => self.syscall_name(nr),
            _ => None,
        };
        let hops = paths::hops(self.go, &self.graph, edges, site);
        Path {
            hops,
            site: site.addr,
            kind: site.kind,
            number,
            name,
            library: site.library.clone(),
            number_set_by: set_by,
        }
    }
}
