//! The arguments a call passes, as its callee's ABI places them:
//! ABIInternal registers (RAX RBX RCX RDI RSI R8 R9 R10 R11) or ABI0 stack
//! slots, named from DWARF when the binary has it.

use super::runner::Hit;
use analysis::Analysis;
use disasm::Syntax;
use gobin::dwarf::Params;
use gobin::GoBinary;
use model::path::{ArgValue, RegValue};
use tracer::X86_64Regs;

/// The convention the callee of the call made by `hops[0]` reads its
/// arguments in. An ABI0→ABIInternal wrapper is entered the ABI0 way, and
/// a tail jump keeps the convention it was entered with. Assembly may be
/// either: compiled Go re-establishes X15 and R14 right after calling
/// ABI0 code, and not after ABIInternal assembly (`linux.Syscall6`).
pub(crate) fn callee_convention(go: &GoBinary<'_>, hops: &[analysis::Hop]) -> &'static str {
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

pub(crate) fn gp_registers(r: &X86_64Regs) -> Vec<RegValue> {
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
pub(crate) fn arguments(
    an: &Analysis<'_, '_>,
    dwarf: Option<&Params>,
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
        // Without DWARF the callee's argument area is shown word by word:
        // for ABI0 it holds the results too, so no word is called an
        // argument.
        let name = words
            .as_ref()
            .and_then(|w| w.get(k).cloned())
            .unwrap_or_else(|| format!("word{k}"));
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
                out[k].string = Some(render::path::quoted(&bytes[..n], (len as usize) > n));
            }
        }
    }
    out
}
