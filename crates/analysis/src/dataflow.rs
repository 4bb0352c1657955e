//! Just enough data flow to name syscall numbers: walk back from an
//! instruction through the straight-line code before it and find what put a
//! value into a register or stack slot.
//!
//! The walk reads instructions in Go syntax (the same text users see), which
//! keeps the patterns readable: `MOVQ $0x1, 0(SP)`, `MOVL $0x1, AX`,
//! `ORR $64, ZR, R8`, `STP (R3, R0), 8(RSP)`. It stops at a call (Go's ABIs
//! preserve no register across one), at the function entry, or after a
//! bounded number of instructions. Branches that join in the middle are not
//! followed: the answer is the value on the fall-through path, which is
//! what Go's generated wrappers have.

use disasm::{Flow, Inst, NoSymbols, Syntax};

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A constant (`MOVQ $0x1, 0(SP)`).
    Const(i64),
    /// Not set in this function before the instruction: it is one of the
    /// function's own arguments (register or stack).
    Argument,
    /// Computed or loaded from memory: not a constant we can see.
    Unknown,
}

/// A location to track: a register name or a stack slot, in Go syntax
/// (`AX`, `R8`, `0(SP)`, `8(RSP)`).
pub type Loc = String;

const MAX_BACK: usize = 48;

/// Walks back from `insts[at]` (exclusive) looking for the last write to any
/// of `locs`, and follows register-to-register moves.
pub fn origin(insts: &[Inst], at: usize, locs: &[&str]) -> (Origin, Option<u64>) {
    let mut wanted: Vec<Loc> = locs.iter().map(|s| s.to_string()).collect();
    let mut k = at;
    let mut steps = 0;
    while k > 0 && steps < MAX_BACK {
        k -= 1;
        steps += 1;
        let inst = &insts[k];
        if matches!(inst.flow, Flow::Call | Flow::Return | Flow::Syscall) {
            return (Origin::Unknown, None);
        }
        let text = inst.text(Syntax::Go, &NoSymbols);
        let ops = &text.operands;
        let mnem = text.mnemonic.as_str();
        if mnem.starts_with("CMP") || mnem.starts_with("TEST") || mnem.starts_with("CMN") {
            continue;
        }
        // arm64 store pair: STP (Ra, Rb), off(Rn) writes off and off+8.
        if mnem.starts_with("STP") && ops.len() == 2 {
            if let Some((ra, rb)) = pair_regs(&ops[0]) {
                if let Some((off, base)) = mem_operand(&ops[1]) {
                    let first = format_mem(off, &base);
                    let second = format_mem(off + 8, &base);
                    if let Some(pos) = wanted.iter().position(|w| *w == first) {
                        wanted[pos] = ra;
                        continue;
                    }
                    if let Some(pos) = wanted.iter().position(|w| *w == second) {
                        wanted[pos] = rb;
                        continue;
                    }
                }
            }
            continue;
        }
        let Some(dst) = ops.last() else { continue };
        let Some(pos) = wanted.iter().position(|w| same_loc(w, dst)) else {
            continue;
        };
        // This instruction writes the tracked location.
        let src = if ops.len() >= 2 { ops[0].as_str() } else { "" };
        if mnem.starts_with("XOR") && ops.len() == 2 && ops[0] == ops[1] {
            return (Origin::Const(0), Some(inst.addr));
        }
        let is_move = matches!(mnem, "MOVQ" | "MOVL" | "MOVD" | "MOVW" | "MOVWU");
        // arm64 `ORR $imm, ZR, Rd` is how Go materializes many constants.
        if mnem == "ORR" && ops.len() == 3 && ops[1] == "ZR" {
            if let Some(v) = parse_imm(&ops[0]) {
                return (Origin::Const(v), Some(inst.addr));
            }
        }
        if is_move && ops.len() == 2 {
            if let Some(v) = parse_imm(src) {
                return (Origin::Const(v), Some(inst.addr));
            }
            if src == "ZR" {
                return (Origin::Const(0), Some(inst.addr));
            }
            if is_register(src) {
                wanted[pos] = src.to_string();
                continue;
            }
            if is_stack(src) {
                return (Origin::Argument, Some(inst.addr));
            }
        }
        return (Origin::Unknown, Some(inst.addr));
    }
    if k == 0 && steps < MAX_BACK {
        (Origin::Argument, None)
    } else {
        (Origin::Unknown, None)
    }
}

fn same_loc(wanted: &str, operand: &str) -> bool {
    if wanted == operand {
        return true;
    }
    // `0(SP)` and `(SP)` are the same slot; `(RSP)` prints for offset 0 on arm64.
    match (mem_operand(wanted), mem_operand(operand)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn is_register(s: &str) -> bool {
    let s = s.trim();
    matches!(
        s,
        "AX" | "BX"
            | "CX"
            | "DX"
            | "SI"
            | "DI"
            | "BP"
            | "R8"
            | "R9"
            | "R10"
            | "R11"
            | "R12"
            | "R13"
            | "R14"
            | "R15"
    ) || (s.len() <= 3
        && s.starts_with('R')
        && s[1..].chars().all(|c| c.is_ascii_digit())
        && !s[1..].is_empty())
}

fn is_stack(s: &str) -> bool {
    mem_operand(s).is_some_and(|(_, base)| base == "SP" || base == "RSP")
}

fn parse_imm(s: &str) -> Option<i64> {
    let s = s.strip_prefix('$')?;
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = if let Some(hex) = s.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else {
        s.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `16(R27)` -> (16, "R27"); `(R27)` -> (0, "R27"); `0x8(SP)` -> (8, "SP").
fn mem_operand(s: &str) -> Option<(i64, String)> {
    let s = s.trim();
    let open = s.find('(')?;
    let close = s[open..].find(')')? + open;
    if close + 1 != s.len() {
        return None;
    }
    let base = s[open + 1..close].to_string();
    if base.contains('*') || base.contains(',') {
        return None;
    }
    let disp = &s[..open];
    let off = if disp.is_empty() {
        0
    } else {
        parse_imm(&format!("${disp}"))?
    };
    Some((off, base))
}

fn format_mem(off: i64, base: &str) -> String {
    format!("{off}({base})")
}

fn pair_regs(s: &str) -> Option<(String, String)> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    let (a, b) = inner.split_once(',')?;
    Some((a.trim().to_string(), b.trim().to_string()))
}

/// What a PC-relative instruction does with the address it forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcRel {
    /// Loads the pointer-sized word stored at the address.
    Load(u64),
    /// Computes the address itself (`LEAQ`, `ADRP; ADD`).
    Address(u64),
}

/// The address a PC-relative instruction forms: amd64 `MOVQ disp(IP), reg`
/// / `LEAQ disp(IP), reg`, or arm64 `ADRP page` followed by `MOVD off(Rx), Ry`
/// / `ADD $off, Rx, Ry`. Matched on the raw encoding, so scanning a whole
/// binary formats nothing.
pub fn pc_relative(code: &[u8], base: u64, insts: &[Inst], k: usize) -> Option<PcRel> {
    let inst = &insts[k];
    let off = usize::try_from(inst.addr.checked_sub(base)?).ok()?;
    match inst.arch() {
        disasm::Arch::Amd64 => {
            // REX.W 8B/8D /r with ModRM mod=00 rm=101: mov/lea disp32(%rip), r64.
            let b = code.get(off..off + 7)?;
            if (b[0] & 0xf8) != 0x48 || !matches!(b[1], 0x8b | 0x8d) || (b[2] & 0xc7) != 0x05 {
                return None;
            }
            let disp = gobin::bytes::i32_le(b, 3)?;
            let addr = inst
                .addr
                .checked_add(u64::from(inst.len))?
                .checked_add_signed(i64::from(disp))?;
            Some(if b[1] == 0x8b {
                PcRel::Load(addr)
            } else {
                PcRel::Address(addr)
            })
        }
        disasm::Arch::Arm64 => {
            let word = gobin::bytes::u32_le(code, off)?;
            // LDR Xt, [Xn, #imm] (unsigned offset, 64-bit), or
            // ADD Xd, Xn, #imm (64-bit, unshifted).
            let load = word & 0xffc0_0000 == 0xf940_0000;
            let add = word & 0xffc0_0000 == 0x9100_0000;
            if !load && !add {
                return None;
            }
            let rn = (word >> 5) & 0x1f;
            let imm12 = u64::from((word >> 10) & 0xfff);
            let imm = if load { imm12 * 8 } else { imm12 };
            let word_at = |i: usize| -> Option<(u64, u32)> {
                let inst = insts.get(i)?;
                let off = usize::try_from(inst.addr.checked_sub(base)?).ok()?;
                let w = gobin::bytes::u32_le(code, off)?;
                Some((inst.addr, w))
            };
            let (mut paddr, mut pw) = word_at(k.checked_sub(1)?)?;
            let mut extra = 0;
            // `ADRP Xn; ADD $lo, Xn, Xn; MOVD (Xn), Xt` (Go 1.19-era darwin).
            if load
                && pw & 0xffc0_0000 == 0x9100_0000
                && (pw & 0x1f) == rn
                && (pw >> 5) & 0x1f == rn
            {
                extra = u64::from((pw >> 10) & 0xfff);
                (paddr, pw) = word_at(k.checked_sub(2)?)?;
            }
            // ADRP Xd, label: op=1, bits 28..24 = 10000.
            if pw & 0x9f00_0000 != 0x9000_0000 || (pw & 0x1f) != rn {
                return None;
            }
            let immlo = u64::from((pw >> 29) & 0x3);
            let immhi = u64::from((pw >> 5) & 0x7ffff);
            let raw = (immhi << 2) | immlo;
            // Sign-extend the 21-bit page count.
            let pages = ((raw << 43) as i64) >> 43;
            let page = (paddr & !0xfff).checked_add_signed(pages.checked_mul(4096)?)?;
            let addr = page.checked_add(extra)?.checked_add(imm)?;
            Some(if load {
                PcRel::Load(addr)
            } else {
                PcRel::Address(addr)
            })
        }
    }
}
