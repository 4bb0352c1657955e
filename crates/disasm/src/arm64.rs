//! arm64: decoding with yaxpeax-arm, and the Go and ARM-syntax printers.

use crate::{Flow, Inst, Raw, SymbolLookup};
use yaxpeax_arch::{Decoder as _, U8Reader};
use yaxpeax_arm::armv8::a64::{
    InstDecoder, Instruction, Opcode, Operand, SIMDSizeCode, ShiftStyle, SizeCode,
};

/// Decodes one 4-byte instruction; anything undecodable is a 4-byte `?`.
pub(crate) fn decode(code: &[u8], addr: u64) -> Inst {
    let bad = Inst {
        addr,
        len: 4,
        target: None,
        flow: Flow::Trap,
        arch: crate::Arch::Arm64,
        raw: Raw::Bad,
    };
    let (Some(word), Some(raw)) = (code.get(..4), gobin::bytes::u32_le(code, 0)) else {
        return bad;
    };
    let mut reader = U8Reader::new(word);
    let Ok(mut ins) = InstDecoder::default().decode(&mut reader) else {
        return bad;
    };
    if ins.opcode == Opcode::MSR {
        if let Operand::Register(size, _) = ins.operands[1] {
            // The transfer register is the low five bits (31 = ZR).
            ins.operands[1] = Operand::Register(size, (raw & 31) as u16);
        }
    }
    let (rn, rd, flags) = ((raw >> 5) & 31, raw & 31, raw & (1 << 29) != 0);
    let sp_form = rn == 31 || (!flags && rd == 31);
    if raw & 0x1f20_0000 == 0x0b20_0000 && (raw >> 13) & 7 == 3 && !sp_form {
        // add/sub (extended register) with UXTX: yaxpeax shows it as LSL.
        if let Operand::RegShift(ShiftStyle::LSL, amt, size, r) = ins.operands[2] {
            ins.operands[2] = Operand::RegShift(ShiftStyle::UXTX, amt, size, r);
        }
    }
    if raw & 0xffff_ffe0 == 0xd50b_7420 {
        // `DC ZVA, Xt`: keep the register where the printer finds it.
        ins.operands = [
            Operand::Register(SizeCode::X, (raw & 31) as u16),
            Operand::Nothing,
            Operand::Nothing,
            Operand::Nothing,
        ];
    }
    let (flow, target) = flow_of(&ins, addr);
    Inst {
        addr,
        len: 4,
        target,
        flow,
        arch: crate::Arch::Arm64,
        raw: Raw::Arm64(ins),
    }
}

fn rel(op: &Operand, addr: u64) -> Option<u64> {
    match op {
        Operand::PCOffset(off) => Some(addr.wrapping_add(*off as u64)),
        _ => None,
    }
}

fn flow_of(ins: &Instruction, addr: u64) -> (Flow, Option<u64>) {
    match ins.opcode {
        Opcode::B => (Flow::Jump, rel(&ins.operands[0], addr)),
        Opcode::BL => (Flow::Call, rel(&ins.operands[0], addr)),
        Opcode::Bcc(_) => (Flow::CondJump, rel(&ins.operands[0], addr)),
        Opcode::CBZ | Opcode::CBNZ => (Flow::CondJump, rel(&ins.operands[1], addr)),
        Opcode::TBZ | Opcode::TBNZ => (Flow::CondJump, rel(&ins.operands[2], addr)),
        Opcode::BR => (Flow::Jump, None),
        Opcode::BLR => (Flow::Call, None),
        Opcode::RET => (Flow::Return, None),
        Opcode::SVC => (Flow::Syscall, None),
        Opcode::BRK | Opcode::UDF => (Flow::Trap, None),
        _ => (Flow::Next, None),
    }
}

const COND: [&str; 16] = [
    "EQ", "NE", "HS", "LO", "MI", "PL", "VS", "VC", "HI", "LS", "GE", "LT", "GT", "LE", "AL", "NV",
];
const BCOND: [&str; 16] = [
    "BEQ", "BNE", "BCS", "BCC", "BMI", "BPL", "BVS", "BVC", "BHI", "BLS", "BGE", "BLT", "BGT",
    "BLE", "BAL", "BNV",
];

/// Register operand in Go syntax: `R3`, `ZR`, `RSP`, `F1`, `V2.B16`.
fn reg(op: &Operand, fp: bool) -> String {
    match *op {
        Operand::Register(_, 31) => "ZR".into(),
        Operand::RegisterOrSP(_, 31) => "RSP".into(),
        Operand::Register(_, n) | Operand::RegisterOrSP(_, n) => format!("R{n}"),
        Operand::SIMDRegister(_, n) => {
            if fp {
                format!("F{n}")
            } else {
                format!("V{n}")
            }
        }
        Operand::SIMDRegisterElements(w, n, e) => format!("V{n}.{}", arrangement(w, e)),
        Operand::SIMDRegisterElementsLane(_, n, e, lane) => {
            format!("V{n}.{}[{lane}]", elem(e))
        }
        Operand::SIMDRegisterGroup(w, n, e, count) => {
            let regs: Vec<String> = (0..count as u16)
                .map(|k| format!("V{}.{}", (n + k) % 32, arrangement(w, e)))
                .collect();
            format!("[{}]", regs.join(", "))
        }
        Operand::SIMDRegisterGroupLane(n, e, count, lane) => {
            let regs: Vec<String> = (0..count as u16)
                .map(|k| format!("V{}.{}", (n + k) % 32, elem(e)))
                .collect();
            format!("[{}][{lane}]", regs.join(", "))
        }
        Operand::RegShift(style, amt, _, r) => shifted(style, amt, r),
        Operand::Immediate(v) => format!("${v}"),
        Operand::Imm16(v) => format!("${v}"),
        Operand::Imm64(v) => format!("${}", v as i64),
        Operand::ImmShift(v, 0) => format!("${v}"),
        Operand::ImmShift(v, sh) => format!("$({v}<<{sh})"),
        Operand::ImmediateDouble(f) => format!("${}", float(f)),
        Operand::ConditionCode(c) => COND[(c & 15) as usize].into(),
        _ => "?".into(),
    }
}

fn float(f: f64) -> String {
    let s = format!("{f}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.")
    }
}

fn elem(e: SIMDSizeCode) -> &'static str {
    match e {
        SIMDSizeCode::B => "B",
        SIMDSizeCode::H => "H",
        SIMDSizeCode::S => "S",
        SIMDSizeCode::D => "D",
        SIMDSizeCode::Q => "Q",
    }
}

fn arrangement(w: SIMDSizeCode, e: SIMDSizeCode) -> String {
    let total = if w == SIMDSizeCode::Q { 128 } else { 64 };
    let each = match e {
        SIMDSizeCode::B => 8,
        SIMDSizeCode::H => 16,
        SIMDSizeCode::S => 32,
        SIMDSizeCode::D => 64,
        SIMDSizeCode::Q => 128,
    };
    format!("{}{}", elem(e), total / each)
}

fn shifted(style: ShiftStyle, amt: u8, r: u16) -> String {
    let name = if r == 31 {
        "ZR".to_string()
    } else {
        format!("R{r}")
    };
    let op = match style {
        ShiftStyle::LSL => "<<",
        ShiftStyle::LSR => ">>",
        ShiftStyle::ASR => "->",
        ShiftStyle::ROR => "@>",
        other => {
            let ext = format!("{other:?}");
            return if amt == 0 {
                format!("{name}.{ext}")
            } else {
                format!("{name}.{ext}<<{amt}")
            };
        }
    };
    if amt == 0 && style == ShiftStyle::LSL {
        name
    } else {
        format!("{name}{op}{amt}")
    }
}

fn base_reg(n: u16) -> String {
    if n == 31 {
        "RSP".into()
    } else {
        format!("R{n}")
    }
}

/// A memory operand and the mnemonic suffix its addressing mode needs.
fn mem(op: &Operand) -> Option<(String, &'static str)> {
    Some(match *op {
        Operand::RegPreIndex(n, off, wb) => {
            let s = if off == 0 {
                format!("({})", base_reg(n))
            } else {
                format!("{off}({})", base_reg(n))
            };
            (s, if wb { ".W" } else { "" })
        }
        Operand::RegPostIndex(n, off) => {
            let s = if off == 0 {
                format!("({})", base_reg(n))
            } else {
                format!("{off}({})", base_reg(n))
            };
            (s, ".P")
        }
        Operand::RegPostIndexReg(n, m) => (format!("({})(R{m})", base_reg(n)), ".P"),
        Operand::RegRegOffset(n, m, size, style, amt) => {
            let idx = match style {
                ShiftStyle::LSL if amt == 0 => format!("R{m}"),
                ShiftStyle::LSL => format!("R{m}<<{amt}"),
                ShiftStyle::UXTX | ShiftStyle::SXTX if amt == 0 => {
                    format!("R{m}.{style:?}")
                }
                other => {
                    let _ = size;
                    if amt == 0 {
                        format!("R{m}.{other:?}")
                    } else {
                        format!("R{m}.{other:?}<<{amt}")
                    }
                }
            };
            (format!("({})({idx})", base_reg(n)), "")
        }
        _ => return None,
    })
}

fn is_w(op: &Operand) -> bool {
    matches!(
        op,
        Operand::Register(SizeCode::W, _) | Operand::RegisterOrSP(SizeCode::W, _)
    )
}

fn is_zr(op: &Operand) -> bool {
    matches!(op, Operand::Register(_, 31))
}

fn fp_size(op: &Operand) -> &'static str {
    match op {
        Operand::SIMDRegister(SIMDSizeCode::S, _) => "S",
        Operand::SIMDRegister(SIMDSizeCode::D, _) => "D",
        Operand::SIMDRegister(SIMDSizeCode::Q, _) => "Q",
        Operand::SIMDRegister(SIMDSizeCode::H, _) => "H",
        Operand::SIMDRegister(SIMDSizeCode::B, _) => "B",
        _ => "",
    }
}

fn pcrel(addr: u64, off: &Operand, syms: &dyn SymbolLookup) -> String {
    let Operand::PCOffset(d) = *off else {
        return "?".into();
    };
    let t = addr.wrapping_add(d as u64);
    if let Some((name, base)) = syms.lookup(t) {
        if base == t && !name.is_empty() {
            return format!("{name}(SB)");
        }
    }
    format!("{}(PC)", d / 4)
}

/// Go's name and operands for an instruction, or `None` when Go's decoder
/// does not know it (it prints `?`).
fn go_parts(
    ins: &Instruction,
    addr: u64,
    syms: &dyn SymbolLookup,
) -> Option<(String, Vec<String>)> {
    use Opcode as O;
    let ops: Vec<&Operand> = ins
        .operands
        .iter()
        .take_while(|o| !matches!(o, Operand::Nothing))
        .collect();
    let o = |i: usize| -> &Operand { ops.get(i).copied().unwrap_or(&Operand::Nothing) };
    let r = |i: usize| reg(o(i), false);
    let f = |i: usize| reg(o(i), true);
    let w = |name: &str, i: usize| -> String {
        if is_w(o(i)) {
            format!("{name}W")
        } else {
            name.to_string()
        }
    };
    let rev = |name: String| -> (String, Vec<String>) {
        let args: Vec<String> = (0..ops.len()).rev().map(|i| reg(o(i), false)).collect();
        (name, args)
    };
    let opname = format!("{:?}", ins.opcode);
    Some(match ins.opcode {
        O::B => ("JMP".into(), vec![pcrel(addr, o(0), syms)]),
        O::BL => ("CALL".into(), vec![pcrel(addr, o(0), syms)]),
        O::Bcc(c) => (
            BCOND[(c & 15) as usize].into(),
            vec![pcrel(addr, o(0), syms)],
        ),
        O::CBZ | O::CBNZ => (w(&opname, 0), vec![r(0), pcrel(addr, o(1), syms)]),
        O::TBZ | O::TBNZ => (opname, vec![r(1), r(0), pcrel(addr, o(2), syms)]),
        O::BR => ("JMP".into(), vec![format!("({})", r(0))]),
        O::BLR => ("CALL".into(), vec![format!("({})", r(0))]),
        O::RET => {
            if matches!(o(0), Operand::Register(_, 30)) {
                ("RET".into(), vec![])
            } else {
                ("RET".into(), vec![r(0)])
            }
        }
        O::ADR | O::ADRP => {
            let Operand::PCOffset(d) = *o(1) else {
                return None;
            };
            (opname, vec![format!("{d}(PC)"), r(0)])
        }
        O::SVC | O::BRK | O::HLT | O::HVC | O::SMC => (opname, vec![r(0)]),
        O::UDF => return None,
        O::SYS(_) if ops.len() == 1 => ("DC".into(), vec!["ZVA".into(), r(0)]),
        O::HINT => match o(1) {
            Operand::Immediate(0) => ("NOOP".into(), vec![]),
            Operand::Immediate(1) => ("YIELD".into(), vec![]),
            Operand::Immediate(2) => ("WFE".into(), vec![]),
            Operand::Immediate(3) => ("WFI".into(), vec![]),
            Operand::Immediate(4) => ("SEV".into(), vec![]),
            Operand::Immediate(5) => ("SEVL".into(), vec![]),
            _ => return None,
        },
        O::DMB(v) => ("DMB".into(), vec![format!("${v}")]),
        O::DSB(v) => ("DSB".into(), vec![format!("${v}")]),
        O::ISB => ("ISB".into(), vec![r(0)]),
        O::CLREX => ("CLREX".into(), vec![]),
        O::MRS => {
            let Operand::SystemReg(v) = *o(1) else {
                return None;
            };
            ("MRS".into(), vec![format!("${v}"), r(0)])
        }
        O::MSR => {
            let Operand::SystemReg(v) = *o(0) else {
                return None;
            };
            let op0 = 2 + ((v >> 14) & 1);
            let op1 = (v >> 11) & 7;
            let crn = (v >> 7) & 15;
            let crm = (v >> 3) & 15;
            let op2 = v & 7;
            (
                "MSR".into(),
                vec![r(1), format!("S{op0}_{op1}_C{crn}_C{crm}_{op2}")],
            )
        }
        O::MOVZ => {
            let Operand::ImmShift(v, sh) = *o(1) else {
                return None;
            };
            let val = (v as u64) << sh;
            if is_w(o(0)) {
                ("MOVW".into(), vec![format!("${val}"), r(0)])
            } else {
                ("MOVD".into(), vec![format!("${}", val as i64), r(0)])
            }
        }
        O::MOVN => {
            let Operand::ImmShift(v, sh) = *o(1) else {
                return None;
            };
            let val = !((v as u64) << sh);
            if is_w(o(0)) {
                ("MOVW".into(), vec![format!("${}", val as u32), r(0)])
            } else {
                ("MOVD".into(), vec![format!("${}", val as i64), r(0)])
            }
        }
        O::MOVK => {
            let Operand::ImmShift(v, sh) = *o(1) else {
                return None;
            };
            let imm = if sh == 0 {
                format!("${v}")
            } else {
                format!("$({v}<<{sh})")
            };
            (w("MOVK", 0), vec![imm, r(0)])
        }
        // Loads and stores are MOV* with a memory operand.
        O::LDR
        | O::LDUR
        | O::STR
        | O::STUR
        | O::LDRB
        | O::LDRH
        | O::LDRSB
        | O::LDRSH
        | O::LDRSW
        | O::STRB
        | O::STRH
        | O::LDURSW
        | O::LDURSB
        | O::LDURSH => {
            let store = matches!(ins.opcode, O::STR | O::STUR | O::STRB | O::STRH);
            let name = match (ins.opcode, o(0)) {
                (_, Operand::SIMDRegister(sz, _)) => {
                    format!("FMOV{}", fp_size(&Operand::SIMDRegister(*sz, 0)))
                }
                (O::LDR | O::LDUR, op) => {
                    if is_w(op) {
                        "MOVWU".into()
                    } else {
                        "MOVD".into()
                    }
                }
                (O::STR | O::STUR, op) => {
                    if is_w(op) {
                        "MOVW".into()
                    } else {
                        "MOVD".into()
                    }
                }
                (O::LDRB, _) => "MOVBU".into(),
                (O::LDRH, _) => "MOVHU".into(),
                (O::STRB, _) => "MOVB".into(),
                (O::STRH, _) => "MOVH".into(),
                (O::LDRSB | O::LDURSB, op) => {
                    if is_w(op) {
                        "MOVBW".into()
                    } else {
                        "MOVB".into()
                    }
                }
                (O::LDRSH | O::LDURSH, op) => {
                    if is_w(op) {
                        "MOVHW".into()
                    } else {
                        "MOVH".into()
                    }
                }
                _ => "MOVW".into(),
            };
            let rt = reg(o(0), true);
            let (m, sfx) = match mem(o(1)) {
                Some(x) => x,
                None => {
                    let Operand::PCOffset(d) = *o(1) else {
                        return None;
                    };
                    (format!("{}(PC)", d / 4), "")
                }
            };
            if store {
                (format!("{name}{sfx}"), vec![rt, m])
            } else {
                (format!("{name}{sfx}"), vec![m, rt])
            }
        }
        O::STURB | O::STURH => {
            let (m, sfx) = mem(o(1))?;
            let name = if ins.opcode == O::STURB {
                "MOVB"
            } else {
                "MOVH"
            };
            (format!("{name}{sfx}"), vec![r(0), m])
        }
        O::LDURB | O::LDURH => {
            let store = false;
            let (m, sfx) = mem(o(1))?;
            let name = format!("{}{}{sfx}", opname, if is_w(o(0)) { "W" } else { "" });
            if store {
                (name, vec![r(0), m])
            } else {
                (name, vec![m, r(0)])
            }
        }
        O::LDP | O::STP | O::LDNP | O::STNP => {
            let store = matches!(ins.opcode, O::STP | O::STNP);
            let base = if ins.opcode == O::LDNP {
                "LDNP"
            } else if ins.opcode == O::STNP {
                "STNP"
            } else if store {
                "STP"
            } else {
                "LDP"
            };
            let name = match o(0) {
                Operand::SIMDRegister(sz, _) => {
                    format!("F{base}{}", fp_size(&Operand::SIMDRegister(*sz, 0)))
                }
                op if is_w(op) => format!("{base}W"),
                _ => base.to_string(),
            };
            let (m, sfx) = mem(o(2))?;
            let pair = format!("({}, {})", reg(o(0), true), reg(o(1), true));
            if store {
                (format!("{name}{sfx}"), vec![pair, m])
            } else {
                (format!("{name}{sfx}"), vec![m, pair])
            }
        }
        O::LDPSW => {
            let (m, sfx) = mem(o(2))?;
            (format!("LDPSW{sfx}"), vec![m, r(1), r(0)])
        }
        O::LDAR
        | O::LDAXR
        | O::LDXR
        | O::LDARB
        | O::LDARH
        | O::LDAXRB
        | O::LDAXRH
        | O::LDXRB
        | O::LDXRH => {
            let (m, _) = mem(o(1))?;
            let name = if matches!(ins.opcode, O::LDAR | O::LDAXR | O::LDXR) {
                w(&opname, 0)
            } else {
                opname
            };
            (name, vec![m, r(0)])
        }
        O::STLR | O::STLRB | O::STLRH => {
            let (m, _) = mem(o(1))?;
            let name = if ins.opcode == O::STLR {
                w(&opname, 0)
            } else {
                opname
            };
            (name, vec![r(0), m])
        }
        O::STLXR | O::STXR | O::STLXRB | O::STLXRH | O::STXRB | O::STXRH => {
            let (m, _) = mem(o(2))?;
            let name = if matches!(ins.opcode, O::STLXR | O::STXR) {
                w(&opname, 1)
            } else {
                opname
            };
            (name, vec![r(1), m, r(0)])
        }
        O::LDAXP | O::LDXP => {
            let (m, _) = mem(o(2))?;
            (w(&opname, 0), vec![m, format!("({}, {})", r(0), r(1))])
        }
        O::STLXP | O::STXP => {
            let (m, _) = mem(o(3))?;
            (
                w(&opname, 1),
                vec![format!("({}, {})", r(1), r(2)), m, r(0)],
            )
        }
        O::PRFM => {
            let (m, _) = mem(o(1))?;
            let Operand::PrefetchOp(p) = *o(0) else {
                return None;
            };
            let kind = ["PLD", "PLI", "PST"].get((p >> 3) as usize)?;
            let target = ["L1", "L2", "L3"].get(((p >> 1) & 3) as usize)?;
            let pol = if p & 1 == 0 { "KEEP" } else { "STRM" };
            ("PRFM".into(), vec![m, format!("{kind}{target}{pol}")])
        }
        // Aliases of the data-processing instructions.
        O::SUBS if is_zr(o(0)) => (w("CMP", 1), vec![r(2), r(1)]),
        O::ADDS if is_zr(o(0)) => (w("CMN", 1), vec![r(2), r(1)]),
        O::ANDS if is_zr(o(0)) => (w("TST", 1), vec![r(2), r(1)]),
        O::SUB if is_zr(o(1)) => (w("NEG", 0), vec![r(2), r(0)]),
        O::SUBS if is_zr(o(1)) => (w("NEGS", 0), vec![r(2), r(0)]),
        O::ORR if is_zr(o(1)) && matches!(o(2), Operand::Imm64(_) | Operand::Immediate(_)) => {
            let (v, size) = match *o(2) {
                Operand::Imm64(v) => (v, 64),
                Operand::Immediate(v) => (v as u64, 32),
                _ => return None,
            };
            if movz_able(v, size) {
                return Some((w("ORR", 0), vec![r(2), r(1), r(0)]));
            }
            if size == 32 {
                ("MOVW".into(), vec![format!("${}", v as u32), r(0)])
            } else {
                ("MOVD".into(), vec![format!("${}", v as i64), r(0)])
            }
        }
        O::ORR if is_zr(o(1)) && matches!(o(2), Operand::RegShift(ShiftStyle::LSL, 0, _, _)) => {
            let name = if is_w(o(0)) { "MOVW" } else { "MOVD" };
            (name.into(), vec![r(2), r(0)])
        }
        O::ADD
            if matches!(o(2), Operand::Immediate(0))
                && (matches!(o(0), Operand::RegisterOrSP(_, 31))
                    || matches!(o(1), Operand::RegisterOrSP(_, 31))) =>
        {
            let name = if is_w(o(0)) { "MOVW" } else { "MOVD" };
            (name.into(), vec![r(1), r(0)])
        }
        O::ORN if is_zr(o(1)) => (w("MVN", 0), vec![r(2), r(0)]),
        O::MADD if is_zr(o(3)) => (w("MUL", 0), vec![r(2), r(1), r(0)]),
        O::MSUB if is_zr(o(3)) => (w("MNEG", 0), vec![r(2), r(1), r(0)]),
        O::UMADDL if is_zr(o(3)) => ("UMULL".into(), vec![r(2), r(1), r(0)]),
        O::SMADDL if is_zr(o(3)) => ("SMULL".into(), vec![r(2), r(1), r(0)]),
        O::UMSUBL if is_zr(o(3)) => ("UMNEGL".into(), vec![r(2), r(1), r(0)]),
        O::SMSUBL if is_zr(o(3)) => ("SMNEGL".into(), vec![r(2), r(1), r(0)]),
        O::MADD | O::MSUB | O::UMADDL | O::SMADDL | O::UMSUBL | O::SMSUBL => {
            let name = if matches!(ins.opcode, O::MADD | O::MSUB) {
                w(&opname, 0)
            } else {
                opname
            };
            (name, vec![r(2), r(3), r(1), r(0)])
        }
        O::CSINC | O::CSINV | O::CSNEG | O::CSEL => {
            let Operand::ConditionCode(c) = *o(3) else {
                return None;
            };
            let inv = COND[((c ^ 1) & 15) as usize].to_string();
            let rn = o(1);
            let rm = o(2);
            let same =
                matches!((rn, rm), (Operand::Register(_, a), Operand::Register(_, b)) if a == b);
            let al = c >= 14;
            match ins.opcode {
                O::CSINC if same && is_zr(rn) && !al => (w("CSET", 0), vec![inv, r(0)]),
                O::CSINV if same && is_zr(rn) && !al => (w("CSETM", 0), vec![inv, r(0)]),
                O::CSINC if same && !al => (w("CINC", 0), vec![inv, r(1), r(0)]),
                O::CSINV if same && !al => (w("CINV", 0), vec![inv, r(1), r(0)]),
                O::CSNEG if same && !al => (w("CNEG", 0), vec![inv, r(1), r(0)]),
                _ => (
                    w(&opname, 0),
                    vec![COND[(c & 15) as usize].into(), r(1), r(2), r(0)],
                ),
            }
        }
        O::CCMP | O::CCMN => {
            let Operand::ConditionCode(c) = *o(3) else {
                return None;
            };
            (
                w(&opname, 0),
                vec![COND[(c & 15) as usize].into(), r(0), r(1), r(2)],
            )
        }
        O::UBFM | O::SBFM | O::BFM => {
            let (Operand::Immediate(immr), Operand::Immediate(imms)) = (*o(2), *o(3)) else {
                return None;
            };
            let size = if is_w(o(0)) { 32 } else { 64 };

            let sx = ins.opcode == O::SBFM;
            if ins.opcode == O::BFM {
                if imms < immr {
                    let lsb = (size - immr) % size;
                    return Some((
                        w("BFI", 0),
                        vec![format!("${lsb}"), r(1), format!("${}", imms + 1), r(0)],
                    ));
                }
                return Some((
                    w("BFXIL", 0),
                    vec![
                        format!("${immr}"),
                        r(1),
                        format!("${}", imms - immr + 1),
                        r(0),
                    ],
                ));
            }
            if imms == size - 1 {
                let name = if sx { "ASR" } else { "LSR" };
                return Some((w(name, 0), vec![format!("${immr}"), r(1), r(0)]));
            }
            if !sx && imms + 1 == immr {
                return Some((
                    w("LSL", 0),
                    vec![format!("${}", size - 1 - imms), r(1), r(0)],
                ));
            }
            if immr == 0 && matches!(imms, 7 | 15 | 31) && (sx || size == 32) {
                let base = match (sx, imms) {
                    (true, 7) => "SXTB",
                    (true, 15) => "SXTH",
                    (true, _) => "SXTW",
                    (false, 7) => "UXTB",
                    (false, 15) => "UXTH",
                    (false, _) => "UXTW",
                };
                return Some((w(base, 0), vec![r(1), r(0)]));
            }
            let (name, lsb, width) = if imms < immr {
                (
                    if sx { "SBFIZ" } else { "UBFIZ" },
                    (size - immr) % size,
                    imms + 1,
                )
            } else {
                (if sx { "SBFX" } else { "UBFX" }, immr, imms - immr + 1)
            };
            (
                w(name, 0),
                vec![format!("${lsb}"), r(1), format!("${width}"), r(0)],
            )
        }
        O::EXTR => {
            let same = matches!((o(1), o(2)), (Operand::Register(_, a), Operand::Register(_, b)) if a == b);
            if same {
                (w("ROR", 0), vec![r(3), r(1), r(0)])
            } else {
                (w("EXTR", 0), vec![r(3), r(2), r(1), r(0)])
            }
        }
        O::LSLV | O::LSRV | O::ASRV | O::RORV => {
            let name = &opname[..3];
            (w(name, 0), vec![r(2), r(1), r(0)])
        }
        O::ADD
        | O::SUB
        | O::ADDS
        | O::SUBS
        | O::AND
        | O::ORR
        | O::EOR
        | O::EON
        | O::BIC
        | O::BICS
        | O::ORN
        | O::ANDS
        | O::ADC
        | O::ADCS
        | O::SBC
        | O::SBCS
        | O::UDIV
        | O::SDIV
        | O::SMULH
        | O::UMULH
        | O::CLZ
        | O::CLS
        | O::RBIT
        | O::REV
        | O::REV16
        | O::REV32
        | O::CRC32B
        | O::CRC32H
        | O::CRC32W
        | O::CRC32X
        | O::CRC32CB
        | O::CRC32CH
        | O::CRC32CW
        | O::CRC32CX
            if !matches!(
                o(0),
                Operand::SIMDRegister(..) | Operand::SIMDRegisterElements(..)
            ) =>
        {
            let name = if matches!(ins.opcode, O::SMULH | O::UMULH) || opname.starts_with("CRC32") {
                opname
            } else {
                w(&opname, 0)
            };
            // Logical immediates of 32-bit forms print unsigned.
            let mut v = rev(name);
            if let (true, Operand::Imm64(x)) = (is_w(o(0)), o(2)) {
                v.1[0] = format!("${}", *x as u32);
            }
            v
        }
        // Floating point.
        O::FMOV => {
            let sz = [o(0), o(1)]
                .iter()
                .map(|x| fp_size(x))
                .find(|s| !s.is_empty())
                .unwrap_or("D");
            if let Operand::ImmediateDouble(_) = o(1) {
                return Some((format!("FMOV{sz}"), vec![f(1), f(0)]));
            }
            if matches!(
                o(0),
                Operand::SIMDRegisterElements(..) | Operand::SIMDRegisterElementsLane(..)
            ) || matches!(
                o(1),
                Operand::SIMDRegisterElements(..) | Operand::SIMDRegisterElementsLane(..)
            ) {
                return None;
            }
            (format!("FMOV{sz}"), vec![f(1), f(0)])
        }
        O::FADD
        | O::FSUB
        | O::FMUL
        | O::FDIV
        | O::FMAX
        | O::FMIN
        | O::FMAXNM
        | O::FMINNM
        | O::FNMUL
        | O::FABS
        | O::FNEG
        | O::FSQRT
        | O::FRINTN
        | O::FRINTP
        | O::FRINTM
        | O::FRINTZ
        | O::FRINTA
        | O::FRINTX
        | O::FRINTI
            if matches!(o(0), Operand::SIMDRegister(..)) =>
        {
            let sz = fp_size(o(0));
            let args = (0..ops.len()).rev().map(f).collect();
            (format!("{opname}{sz}"), args)
        }
        O::FCMP | O::FCMPE => {
            let sz = fp_size(o(0));
            let a = match o(1) {
                Operand::ImmediateDouble(x) => {
                    format!("$({})", if *x == 0.0 { "0.0".into() } else { float(*x) })
                }
                _ => f(1),
            };
            (format!("{opname}{sz}"), vec![a, f(0)])
        }
        O::FCCMP | O::FCCMPE => {
            let Operand::ConditionCode(c) = *o(3) else {
                return None;
            };
            (
                format!("{opname}{}", fp_size(o(0))),
                vec![COND[(c & 15) as usize].into(), f(1), f(0), r(2)],
            )
        }
        O::FCSEL => {
            let Operand::ConditionCode(c) = *o(3) else {
                return None;
            };
            (
                format!("FCSEL{}", fp_size(o(0))),
                vec![COND[(c & 15) as usize].into(), f(1), f(2), f(0)],
            )
        }
        O::FMADD | O::FMSUB | O::FNMADD | O::FNMSUB => (
            format!("{opname}{}", fp_size(o(0))),
            vec![f(2), f(3), f(1), f(0)],
        ),
        O::FCVT => (
            format!("FCVT{}{}", fp_size(o(1)), fp_size(o(0))),
            vec![f(1), f(0)],
        ),
        O::FCVTZS
        | O::FCVTZU
        | O::FCVTAS
        | O::FCVTAU
        | O::FCVTMS
        | O::FCVTMU
        | O::FCVTNS
        | O::FCVTNU
        | O::FCVTPS
        | O::FCVTPU
            if matches!(o(1), Operand::SIMDRegister(..))
                && matches!(o(0), Operand::Register(..)) =>
        {
            let wd = if is_w(o(0)) { "W" } else { "" };
            (format!("{opname}{}{wd}", fp_size(o(1))), vec![f(1), r(0)])
        }
        O::SCVTF | O::UCVTF if matches!(o(1), Operand::Register(..)) => {
            let ws = if is_w(o(1)) { "W" } else { "" };
            (format!("{opname}{ws}{}", fp_size(o(0))), vec![r(1), f(0)])
        }
        // Vector instructions: `V` + the ARM name, operands reversed.
        O::LD1 | O::LD1R | O::LD2 | O::LD2R | O::LD3 | O::LD3R | O::LD4 | O::LD4R => {
            let (m, sfx) = mem(o(1))?;
            (format!("V{opname}{sfx}"), vec![m, vreglist(o(0))])
        }
        O::ST1 | O::ST2 | O::ST3 | O::ST4 => {
            let (m, sfx) = mem(o(1))?;
            (format!("V{opname}{sfx}"), vec![vreglist(o(0)), m])
        }
        O::AESE
        | O::AESD
        | O::AESMC
        | O::AESIMC
        | O::SHA1H
        | O::SHA1SU1
        | O::SHA256SU0
        | O::SHA1C
        | O::SHA1M
        | O::SHA1P
        | O::SHA1SU0
        | O::SHA256H
        | O::SHA256H2
        | O::SHA256SU1 => rev(opname),
        O::INS | O::UMOV | O::DUP => {
            let name = if matches!(ins.opcode, O::DUP) {
                "VDUP"
            } else {
                "VMOV"
            };
            rev(name.into())
        }
        O::ADD
        | O::SUB
        | O::AND
        | O::ORR
        | O::EOR
        | O::BIC
        | O::ORN
        | O::ADDP
        | O::ADDV
        | O::UADDLV
        | O::CMEQ
        | O::CMHI
        | O::CMHS
        | O::CMGT
        | O::CMGE
        | O::CNT
        | O::REV32
        | O::REV16
        | O::REV64
        | O::SHL
        | O::USHR
        | O::SSHR
        | O::SRI
        | O::SLI
        | O::TBL
        | O::UMAXV
        | O::UMINV
        | O::UZP1
        | O::UZP2
        | O::ZIP1
        | O::ZIP2
        | O::EXT
        | O::USHLL
        | O::USHLL2
        | O::UADDLP
        | O::UADDW
        | O::UADDW2
        | O::PMULL
        | O::PMULL2
        | O::BIF
        | O::BIT
        | O::BSL
        | O::MOVI
        | O::FMLA
        | O::TRN1
        | O::TRN2
        | O::XTN
        | O::XTN2 => {
            if ins.opcode == O::ORR {
                let same = matches!((o(1), o(2)), (Operand::SIMDRegisterElements(_, a, _), Operand::SIMDRegisterElements(_, b, _)) if a == b);
                if same {
                    return Some(("VMOV".into(), vec![r(1), r(0)]));
                }
            }
            rev(format!("V{opname}"))
        }
        _ => return None,
    })
}

/// Whether a MOVZ or MOVN could make `v`; only otherwise does Go print an
/// `ORR $imm, ZR, Rd` as `MOVD $imm, Rd`.
fn movz_able(v: u64, size: u32) -> bool {
    let v = if size == 32 { v & 0xffff_ffff } else { v };
    let inv = if size == 32 { !v & 0xffff_ffff } else { !v };
    let one_chunk = |x: u64| {
        (0..size / 16)
            .filter(|k| (x >> (16 * k)) & 0xffff != 0)
            .count()
            <= 1
    };
    one_chunk(v) || one_chunk(inv)
}

fn vreglist(op: &Operand) -> String {
    match *op {
        Operand::SIMDRegisterGroupLane(n, e, 1, lane) => format!("V{n}.{}[{lane}]", elem(e)),
        _ => reg(op, false),
    }
}

/// Writes the Go syntax of `ins`.
pub(crate) fn go_syntax(ins: &Instruction, addr: u64, syms: &dyn SymbolLookup, out: &mut String) {
    match go_parts(ins, addr, syms) {
        Some((name, args)) => {
            out.push_str(&name);
            if !args.is_empty() {
                out.push(' ');
                out.push_str(&args.join(", "));
            }
        }
        None => out.push('?'),
    }
}

/// Writes the ARM syntax of `ins` as llvm-objdump prints it.
pub(crate) fn gnu_syntax(ins: &Instruction, addr: u64, syms: &dyn SymbolLookup, out: &mut String) {
    let _ = (addr, syms);
    if let (Opcode::SYS(_), [Operand::Register(_, rt), Operand::Nothing, ..]) =
        (ins.opcode, ins.operands)
    {
        // `decode` leaves DC ZVA with its register alone, which
        // yaxpeax-arm's Display cannot print (it panics): print the alias
        // as llvm-objdump does.
        out.push_str("dc zva, ");
        if rt == 31 {
            out.push_str("xzr");
        } else {
            out.push('x');
            crate::text::dec(out, i64::from(rt));
        }
        return;
    }
    out.push_str(&ins.to_string());
}

#[cfg(test)]
mod tests {
    use crate::{Arch, NoSymbols, Syntax};

    /// `dc zva, x0` (Go's memclrNoHeapPointers) made yaxpeax-arm's
    /// Display panic; llvm-objdump prints it as the alias.
    #[test]
    fn dc_zva_prints_as_llvm_does() {
        let inst = crate::decode(Arch::Arm64, &0xd50b7420u32.to_le_bytes(), 0x868e0);
        assert_eq!(inst.to_string(Syntax::Gnu, &NoSymbols), "dc zva, x0");
        assert_eq!(inst.to_string(Syntax::Go, &NoSymbols), "DC ZVA, R0");
    }
}
