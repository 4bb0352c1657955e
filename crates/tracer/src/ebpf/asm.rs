//! A small eBPF assembler: enough instructions for the tracing programs,
//! with named labels for forward and backward jumps. Programs are built at
//! run time, so per-trace settings (stack depth, timing) become immediates
//! and `cargo build` needs no clang.

use std::collections::HashMap;

/// One 8-byte eBPF instruction, as `bpf(BPF_PROG_LOAD)` takes it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u8,
    /// dst register in the low nibble, src in the high one.
    pub regs: u8,
    /// Signed offset (jumps, memory).
    pub off: i16,
    /// Immediate.
    pub imm: i32,
}

/// Registers r0..r10.
pub type Reg = u8;
pub const R0: Reg = 0;
pub const R1: Reg = 1;
pub const R2: Reg = 2;
pub const R3: Reg = 3;
pub const R4: Reg = 4;
pub const R5: Reg = 5;
pub const R6: Reg = 6;
pub const R7: Reg = 7;
pub const R8: Reg = 8;
pub const R9: Reg = 9;
/// Frame pointer (read only).
pub const FP: Reg = 10;

/// Memory access sizes.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    B,
    W,
    DW,
}

impl Size {
    fn bits(self) -> u8 {
        match self {
            Size::W => 0x00,
            Size::B => 0x10,
            Size::DW => 0x18,
        }
    }
}

/// ALU operations (64-bit).
#[derive(Clone, Copy, Debug)]
pub enum Alu {
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Xor = 0xa0,
    Mov = 0xb0,
}

/// Jump conditions.
#[derive(Clone, Copy, Debug)]
pub enum Cond {
    Eq = 0x10,
    Gt = 0x20,
    Ge = 0x30,
    Ne = 0x50,
    Sgt = 0x60,
    Le = 0xb0,
    Sle = 0xd0,
}

const CLASS_LD: u8 = 0x00;
const CLASS_LDX: u8 = 0x01;
const CLASS_ST: u8 = 0x02;
const CLASS_STX: u8 = 0x03;
const CLASS_JMP: u8 = 0x05;
const CLASS_ALU64: u8 = 0x07;
const MODE_IMM: u8 = 0x00;
const MODE_MEM: u8 = 0x60;
const MODE_ATOMIC: u8 = 0xc0;
const SRC_K: u8 = 0x00;
const SRC_X: u8 = 0x08;

/// A program under construction.
#[derive(Default)]
pub struct Asm {
    insns: Vec<Insn>,
    labels: HashMap<String, usize>,
    fixups: Vec<(usize, String)>,
}

fn regs(dst: Reg, src: Reg) -> u8 {
    (src << 4) | (dst & 0x0f)
}

impl Asm {
    /// An empty program.
    pub fn new() -> Asm {
        Asm::default()
    }

    fn push(&mut self, code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> &mut Self {
        self.insns.push(Insn {
            code,
            regs: regs(dst, src),
            off,
            imm,
        });
        self
    }

    /// `dst op= imm`.
    pub fn alu_imm(&mut self, op: Alu, dst: Reg, imm: i32) -> &mut Self {
        self.push(CLASS_ALU64 | SRC_K | op as u8, dst, 0, 0, imm)
    }

    /// `dst op= src`.
    pub fn alu_reg(&mut self, op: Alu, dst: Reg, src: Reg) -> &mut Self {
        self.push(CLASS_ALU64 | SRC_X | op as u8, dst, src, 0, 0)
    }

    /// `dst = imm` (sign-extended 32-bit).
    pub fn mov_imm(&mut self, dst: Reg, imm: i32) -> &mut Self {
        self.alu_imm(Alu::Mov, dst, imm)
    }

    /// `dst = src`.
    pub fn mov(&mut self, dst: Reg, src: Reg) -> &mut Self {
        self.alu_reg(Alu::Mov, dst, src)
    }

    /// `dst = *(size *)(src + off)`.
    pub fn load(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> &mut Self {
        self.push(CLASS_LDX | MODE_MEM | size.bits(), dst, src, off, 0)
    }

    /// `*(size *)(dst + off) = src`.
    pub fn store(&mut self, size: Size, dst: Reg, off: i16, src: Reg) -> &mut Self {
        self.push(CLASS_STX | MODE_MEM | size.bits(), dst, src, off, 0)
    }

    /// `*(size *)(dst + off) = imm`.
    pub fn store_imm(&mut self, size: Size, dst: Reg, off: i16, imm: i32) -> &mut Self {
        self.push(CLASS_ST | MODE_MEM | size.bits(), dst, 0, off, imm)
    }

    /// `lock *(u64 *)(dst + off) += src`.
    pub fn atomic_add64(&mut self, dst: Reg, off: i16, src: Reg) -> &mut Self {
        self.push(CLASS_STX | MODE_ATOMIC | Size::DW.bits(), dst, src, off, 0)
    }

    /// `dst = map` by file descriptor (a two-slot instruction).
    pub fn load_map(&mut self, dst: Reg, fd: i32) -> &mut Self {
        // BPF_PSEUDO_MAP_FD in the src field tells the verifier the
        // immediate is a map fd to turn into a map pointer.
        self.push(CLASS_LD | MODE_IMM | Size::DW.bits(), dst, 1, 0, fd);
        self.push(0, 0, 0, 0, 0)
    }

    /// `dst = imm` for a full 64-bit constant (a two-slot instruction).
    pub fn mov_imm64(&mut self, dst: Reg, imm: u64) -> &mut Self {
        self.push(
            CLASS_LD | MODE_IMM | Size::DW.bits(),
            dst,
            0,
            0,
            imm as u32 as i32,
        );
        self.push(0, 0, 0, 0, (imm >> 32) as u32 as i32)
    }

    /// Calls helper `id`.
    pub fn call(&mut self, id: i32) -> &mut Self {
        self.push(CLASS_JMP | 0x80, 0, 0, 0, id)
    }

    /// Returns r0.
    pub fn exit(&mut self) -> &mut Self {
        self.push(CLASS_JMP | 0x90, 0, 0, 0, 0)
    }

    /// Places `name` here.
    pub fn label(&mut self, name: &str) -> &mut Self {
        self.labels.insert(name.to_string(), self.insns.len());
        self
    }

    /// Unconditional jump.
    pub fn ja(&mut self, target: &str) -> &mut Self {
        self.fixups.push((self.insns.len(), target.to_string()));
        self.push(CLASS_JMP, 0, 0, 0, 0)
    }

    /// `if dst cond imm goto target`.
    pub fn jmp_imm(&mut self, cond: Cond, dst: Reg, imm: i32, target: &str) -> &mut Self {
        self.fixups.push((self.insns.len(), target.to_string()));
        self.push(CLASS_JMP | SRC_K | cond as u8, dst, 0, 0, imm)
    }

    /// `if dst cond src goto target`.
    pub fn jmp_reg(&mut self, cond: Cond, dst: Reg, src: Reg, target: &str) -> &mut Self {
        self.fixups.push((self.insns.len(), target.to_string()));
        self.push(CLASS_JMP | SRC_X | cond as u8, dst, src, 0, 0)
    }

    /// Resolves labels; an unknown label or a jump too far is a bug in
    /// the program generator, reported as an error string.
    pub fn finish(mut self) -> Result<Vec<Insn>, String> {
        for (at, name) in &self.fixups {
            let target = *self
                .labels
                .get(name)
                .ok_or_else(|| format!("eBPF program: unknown label {name}"))?;
            let rel = target as i64 - *at as i64 - 1;
            self.insns[*at].off =
                i16::try_from(rel).map_err(|_| format!("eBPF program: jump to {name} too far"))?;
        }
        Ok(self.insns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_kernel_headers() {
        let mut a = Asm::new();
        a.mov_imm(R0, 7)
            .load(Size::W, R2, R1, 4)
            .jmp_imm(Cond::Eq, R2, 0, "out")
            .store(Size::DW, FP, -8, R2)
            .label("out")
            .exit();
        let p = a.finish().unwrap();
        assert_eq!((p[0].code, p[0].regs, p[0].imm), (0xb7, 0x00, 7));
        assert_eq!((p[1].code, p[1].regs, p[1].off), (0x61, 0x12, 4));
        assert_eq!((p[2].code, p[2].off), (0x15, 1));
        assert_eq!((p[3].code, p[3].regs, p[3].off), (0x7b, 0x2a, -8));
        assert_eq!(p[4].code, 0x95);
    }

    #[test]
    fn unknown_labels_are_errors() {
        let mut a = Asm::new();
        a.ja("nowhere");
        assert!(a.finish().is_err());
    }
}
