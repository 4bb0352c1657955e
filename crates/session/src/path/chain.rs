//! The chain that ran: the goroutine's unwound stack at the syscall (the
//! same unwinder `trace -k` uses), outermost first, turned into hops. Each
//! physical caller's call instruction is the one that ends at its return
//! address; inlined frames share their physical frame's pc, and the call to
//! the next physical frame is made by the last logical frame before it. A
//! tail `JMP` leaves no frame: when a direct call's target is not the next
//! frame's function, the static graph's tail jumps from that target to it
//! are put back as hops.

use analysis::graph::Via;
use analysis::Analysis;
use disasm::{Flow, Syntax};
use gobin::GoBinary;

/// Longest run of tail jumps put back between two frames.
const MAX_TAIL_JUMPS: usize = 3;

/// The hops of `stack` (innermost first, as unwound; pcs as loaded, less
/// `bias`), from the goroutine's entry (`main.main`, or its first frame
/// outside the runtime, or for a runtime goroutine the function it started
/// in) down to `site`, the syscall instruction. None when no frame is Go
/// code.
pub(crate) fn from_stack(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    stack: &[model::Frame],
    bias: u64,
    site: u64,
) -> Option<analysis::Path> {
    let outer_first: Vec<&model::Frame> = stack.iter().rev().collect();
    let start = crate::frames::chain_start(&outer_first, true)?;
    let frames = &outer_first[start..];
    let mut hops: Vec<analysis::Hop> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let innermost = i + 1 == frames.len();
        let at = if innermost {
            site
        } else {
            f.pc.wrapping_sub(bias)
        };
        // Physical frames above the top show a return address: the
        // function is the one holding the byte before it.
        let func = go
            .pclntab
            .func_at(if innermost { at } else { at.wrapping_sub(1) });
        let node = func.and_then(|fu| an.graph.node_at_entry(fu.entry()));
        let (abi, asm) = match node.map(|n| &an.graph.nodes[n]) {
            Some(n) => (n.abi_name().to_string(), n.asm && !f.inlined),
            None => ("C".to_string(), false),
        };
        let makes_call = !innermost && !frames[i + 1].inlined;
        let pc = if innermost {
            Some(site)
        } else if makes_call {
            call_before(go, at)
        } else {
            None
        };
        let via = if i == 0 {
            "start"
        } else if f.inlined {
            "inlined"
        } else {
            "call"
        };
        hops.push(analysis::Hop {
            function: f.function.clone(),
            via: via.to_string(),
            file: f.file.clone(),
            line: f.line,
            abi,
            asm,
            pc: pc.unwrap_or(at),
            instruction: pc.filter(|_| makes_call).map(|p| text_at(go, p)),
            note: None,
        });
        if makes_call {
            if let Some(p) = pc {
                let next = frames[i + 1].pc.wrapping_sub(bias);
                let next_at = if i + 2 == frames.len() {
                    site
                } else {
                    next.wrapping_sub(1)
                };
                if let Some(entry) = go.pclntab.func_at(next_at).map(|fu| fu.entry()) {
                    hops.extend(tail_jumps(go, an, p, entry));
                }
            }
        }
    }
    // A frame entered by a tail jump says so.
    for k in 1..hops.len() {
        if hops[k - 1]
            .instruction
            .as_deref()
            .is_some_and(|t| t.starts_with("JMP"))
            && hops[k].via == "call"
        {
            hops[k].via = Via::TailJump.name().to_string();
        }
    }
    Some(analysis::Path {
        hops,
        site,
        kind: analysis::SiteKind::Syscall,
        number: None,
        name: None,
        library: None,
        number_set_by: None,
    })
}

/// The functions a direct call at `call` reached by tail jumps before
/// `entry`, the function the next frame is in: one hop each, at its `JMP`.
fn tail_jumps(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    call: u64,
    entry: u64,
) -> Vec<analysis::Hop> {
    let Some(code) = go.bin.read_va(call, 15) else {
        return Vec::new();
    };
    let inst = disasm::decode(disasm::Arch::Amd64, code, call);
    let (Flow::Call, Some(target)) = (inst.flow, inst.target) else {
        return Vec::new();
    };
    if target == entry {
        return Vec::new();
    }
    let g = &an.graph;
    let Some(mut node) = g.node_at_entry(target) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for _ in 0..MAX_TAIL_JUMPS {
        let jump = g.out[node].iter().map(|&e| g.edges[e]).find(|e| {
            e.via == Via::TailJump && {
                let to = g.nodes[e.to].entry;
                to == entry || g.out[e.to].iter().any(|&x| g.edges[x].via == Via::TailJump)
            }
        });
        let Some(jump) = jump else {
            return Vec::new();
        };
        let n = &g.nodes[node];
        let pos = go.pclntab.frames_at(jump.pc);
        let (file, line) = pos
            .last()
            .map(|f| (f.file.to_string(), f.line))
            .unwrap_or_default();
        out.push(analysis::Hop {
            function: n.name.clone(),
            via: if out.is_empty() { "call" } else { "tail jump" }.to_string(),
            file,
            line,
            abi: n.abi_name().to_string(),
            asm: n.asm,
            pc: jump.pc,
            instruction: Some(text_at(go, jump.pc)),
            note: None,
        });
        if g.nodes[jump.to].entry == entry {
            return out;
        }
        node = jump.to;
    }
    Vec::new()
}

/// The instruction at `pc` in Go syntax, as the static chains spell it.
fn text_at(go: &GoBinary<'_>, pc: u64) -> String {
    go.bin
        .read_va(pc, 15)
        .or_else(|| go.bin.read_va(pc, 2))
        .map(|c| {
            disasm::decode(disasm::Arch::Amd64, c, pc).to_string(Syntax::Go, &disasm::NoSymbols)
        })
        .unwrap_or_default()
}

/// The instruction that ends at return address `ret` in its function.
pub(crate) fn call_before(go: &GoBinary<'_>, ret: u64) -> Option<u64> {
    let f = go.pclntab.func_at(ret.wrapping_sub(1))?;
    let code = go
        .bin
        .read_va(f.entry(), f.end().saturating_sub(f.entry()))?;
    disasm::decode_all(disasm::Arch::Amd64, code, f.entry())
        .iter()
        .find(|i| i.addr + u64::from(i.len) == ret)
        .map(|i| i.addr)
}
