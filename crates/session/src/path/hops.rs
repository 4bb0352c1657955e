//! Hops that do not come from a static chain, and the disassembly shown
//! with each hop: the C side of a cgo call, the goroutine's unwound stack
//! when no chain reaches the syscall, the call instruction and the code
//! around it.

use super::runner::Captured;
use analysis::Analysis;
use disasm::Syntax;
use gobin::GoBinary;
use model::path::{CallInstruction, PathHop};
use render::path_notes as notes;

/// Names for branch targets: the graph's functions.
pub(crate) struct Syms<'a>(pub(crate) &'a [analysis::graph::Node]);

impl disasm::SymbolLookup for Syms<'_> {
    fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.0.partition_point(|n| n.entry <= addr).checked_sub(1)?;
        let n = &self.0[i];
        (addr < n.end).then_some((n.name.as_str(), n.entry))
    }
}

/// The C side of a cgo call: the function asmcgocall handed over (named
/// from the ELF symbol table) and the library the syscall was made in.
pub(crate) fn c_hops(go: &GoBinary<'_>, cap: &Captured, bias: u64, hops: &mut Vec<PathHop>) {
    let Some(last) = hops.last_mut() else { return };
    // asmcgocall keeps the C function in AX up to the hand-over.
    let target = cap
        .hits
        .get(&last.call.as_ref().map(|c| c.pc).unwrap_or(0))
        .map(|h| h.regs.rax);
    last.note = Some(notes::cgo_handover());
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
        function: c_name.unwrap_or_else(|| notes::C_FUNCTION.into()),
        file: notes::C_CODE.into(),
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
        note: target.map(notes::c_entered),
        explain: Vec::new(),
    });
    hops.push(PathHop {
        function: notes::LIBC.into(),
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
        note: Some(notes::libc_syscall(cap.entry.pc.wrapping_sub(2))),
        explain: Vec::new(),
    });
}

pub(crate) fn instruction(go: &GoBinary<'_>, syms: &Syms<'_>, pc: u64) -> CallInstruction {
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
pub(crate) fn around(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    syms: &Syms<'_>,
    pc: u64,
) -> Vec<String> {
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
        .map(|i| notes::listing_line(i.addr, &i.to_string(Syntax::Go, syms), i.addr == pc))
        .collect()
}

/// Hops from the unwound stack (innermost first), outermost first: from
/// `main.main` when it is on the stack, else from the goroutine's first
/// frame outside the runtime. Each physical caller's call instruction is the
/// one that ends at the return address.
pub(crate) fn stack_hops(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    syms: &Syms<'_>,
    stack: &[model::Frame],
    bias: u64,
) -> Vec<PathHop> {
    let outer_first: Vec<&model::Frame> = stack.iter().rev().collect();
    let start = crate::frames::chain_start(&outer_first, false);
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
