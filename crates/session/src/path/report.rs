//! The report: the chain the goroutine took (the static candidate whose
//! calls were observed and are still on its stack), each hop with its
//! arguments, then the syscall as the kernel saw it.

use super::args::{arguments, callee_convention, gp_registers};
use super::hops::{around, c_hops, instruction, stack_hops, Syms};
use super::plan::Plan;
use super::runner::{Captured, Runner};
use crate::frames::is_runtime_frame;
use analysis::Analysis;
use gobin::dwarf::Params;
use gobin::GoBinary;
use model::path::{PathHop, PathReport, PathSyscall, RegValue, SideCall};
use tracer::breakpoint::Step;

/// Picks, for a cgo call, the static chain to `asmcgocall` the goroutine
/// took: the one with the most of its calls observed and still live, in
/// order.
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

/// Assembles the report of the captured call `cap`: `call` is the
/// syscall number and which call of its kind it was.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    go: &GoBinary<'_>,
    an: &Analysis<'_, '_>,
    plan: &Plan,
    run: &Runner<'_>,
    cap: Captured,
    dwarf: Option<&Params>,
    name: &str,
    (nr, nth): (u64, u64),
) -> PathReport {
    let syms = Syms(&an.graph.nodes);
    let bias = run.bias;
    let site_rt = cap.entry.pc.wrapping_sub(2);
    let site = site_rt.wrapping_sub(bias);
    let mut notes = Vec::new();
    if dwarf.is_none() {
        notes.push(render::path_notes::no_dwarf());
    }
    let in_go = go.pclntab.func_at(site).is_some();
    let cgo = if in_go {
        None
    } else {
        plan.cgo_paths
            .first()
            .and_then(|p| choose_in(&plan.cgo_paths, plan, &cap, p.site))
    };
    let ran = if in_go {
        super::chain::from_stack(go, an, &cap.stack, bias, site)
    } else {
        None
    };
    if let Some(first) = ran.as_ref().and_then(|p| p.hops.first()) {
        if is_runtime_frame(&first.function) {
            notes.push(render::path_notes::runtime_goroutine(&first.function));
        }
    }
    let chosen = if in_go { ran.as_ref() } else { cgo };
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
                .map(render::path_notes::generated_file);
            let is_site = h.pc == site && in_go;
            let call = h.instruction.as_ref().map(|_| instruction(go, &syms, h.pc));
            let planned = plan.breakpoints.get(&h.pc);
            let hit = cap.hits.get(&h.pc);
            // A hit whose return address is no longer on the stack was
            // another call from the same place: not this chain's.
            let hit = hit.filter(|_| cap.live.get(&h.pc).copied().unwrap_or(true));
            let mut args = Vec::new();
            let mut args_abi = None;
            let mut registers = Vec::new();
            let mut note = h.note.clone();
            if hit.is_none() && !is_site && h.instruction.is_some() {
                note = Some(render::path_notes::arguments_not_captured());
            }
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
                    dwarf,
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
                        when: render::path_notes::side_call_when(after),
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
                observed: true,
                args_abi,
                args,
                registers,
                side_calls,
                disassembly: around(go, an, &syms, h.pc),
                note,
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
    } else {
        let at = go
            .pclntab
            .func_at(site)
            .map(|f| f.name().to_string())
            .unwrap_or_else(|| render::path_notes::outside_go(site_rt));
        hops = stack_hops(go, an, &syms, &cap.stack, bias);
        notes.push(render::path_notes::no_static_chain(&at, !hops.is_empty()));
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
        role: Some(render::path_notes::number_role(nr, &sc_name)),
    }];
    for (k, (n, v)) in names.iter().zip(vals).enumerate() {
        registers.push(RegValue {
            name: n.to_string(),
            value: v,
            role: args.get(k).map(|a| render::path_notes::arg_role(k, a)),
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
