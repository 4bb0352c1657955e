//! Disassembly of amd64 and arm64 machine code into one instruction model,
//! printed in three syntaxes:
//!
//! * [`Syntax::Go`]: the Plan 9 flavour `go tool objdump` prints. No crate
//!   prints it, so the printers in [`x86`] and [`arm64`] are written here
//!   from the formatting rules (operand order, size suffixes, register
//!   names, `sym(SB)` references) and checked line by line against
//!   `go tool objdump` output in the tests.
//! * [`Syntax::Gnu`]: AT&T on amd64 as binutils `objdump` prints it, ARM
//!   syntax on arm64 as `llvm-objdump` prints it.
//! * [`Syntax::Intel`]: Intel syntax on amd64.
//!
//! Names come from the caller through [`SymbolLookup`], so this crate knows
//! nothing about binaries: `gobin` (its objdump-style [`gobin::symtab::SymTab`],
//! or the pclntab) supplies them.
//! Decoding never fails: bytes that do not decode become an instruction
//! printed as `?` (as Go does) and the listing goes on.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod arm64;
pub mod listing;
mod text;
pub mod x86;

use std::fmt;

/// Instruction set to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86-64.
    Amd64,
    /// AArch64 (little endian).
    Arm64,
}

impl Arch {
    /// The instruction set of a binary, when it is one this crate decodes.
    pub fn from_model(arch: model::Arch) -> Option<Arch> {
        match arch {
            model::Arch::Amd64 => Some(Arch::Amd64),
            model::Arch::Arm64 => Some(Arch::Arm64),
            model::Arch::Other(_) => None,
        }
    }
}

/// Output syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Syntax {
    /// Go's Plan 9 flavour, as `go tool objdump` prints it.
    #[default]
    Go,
    /// AT&T (amd64, binutils `objdump`) or ARM syntax (arm64, `llvm-objdump`).
    Gnu,
    /// Intel syntax (amd64 only; arm64 falls back to [`Syntax::Gnu`]).
    Intel,
}

impl Syntax {
    /// Parses `go`, `gnu` / `att`, `intel`.
    pub fn parse(s: &str) -> Option<Syntax> {
        match s {
            "go" | "plan9" => Some(Syntax::Go),
            "gnu" | "att" | "arm" => Some(Syntax::Gnu),
            "intel" => Some(Syntax::Intel),
            _ => None,
        }
    }
}

/// Resolves addresses to names. The caller builds it from whatever the binary
/// offers (symbol table, or pclntab on stripped binaries), so branch targets
/// print as `sym(SB)` and data references as `sym+off(SB)`.
pub trait SymbolLookup {
    /// The symbol containing `addr`: its name and start address.
    fn lookup(&self, addr: u64) -> Option<(&str, u64)>;

    /// The symbol binutils would name in a `<sym+off>` comment: the closest
    /// one at or below `addr`, whatever its size. Defaults to [`Self::lookup`].
    fn nearest(&self, addr: u64) -> Option<(&str, u64)> {
        self.lookup(addr)
    }
}

/// A lookup that knows no names (every target prints as an address).
pub struct NoSymbols;

impl SymbolLookup for NoSymbols {
    fn lookup(&self, _addr: u64) -> Option<(&str, u64)> {
        None
    }
}

impl SymbolLookup for gobin::symtab::SymTab {
    fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        gobin::symtab::SymTab::lookup(self, addr)
    }

    fn nearest(&self, addr: u64) -> Option<(&str, u64)> {
        gobin::symtab::SymTab::nearest(self, addr)
    }
}

/// What an instruction does to control flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Falls through to the next instruction.
    Next,
    /// Unconditional jump (direct when `target` is set).
    Jump,
    /// Conditional branch.
    CondJump,
    /// Call (direct when `target` is set).
    Call,
    /// Return.
    Return,
    /// System call (`SYSCALL`, `SVC`).
    Syscall,
    /// Trap or undecodable bytes.
    Trap,
}

/// The decoded form, per architecture.
#[derive(Clone, Debug)]
enum Raw {
    X86(iced_x86::Instruction),
    Arm64(yaxpeax_arm::armv8::a64::Instruction),
    Bad,
}

/// One decoded instruction: the model every printer and analysis uses.
#[derive(Clone, Debug)]
pub struct Inst {
    /// Address of the first byte.
    pub addr: u64,
    /// Length in bytes (1 for an undecodable amd64 byte, 4 on arm64).
    pub len: u32,
    /// Direct branch or call target, absolute.
    pub target: Option<u64>,
    /// Effect on control flow.
    pub flow: Flow,
    arch: Arch,
    raw: Raw,
}

/// An instruction's text split into mnemonic and operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// Mnemonic, with prefixes (`LOCK CMPXCHGQ`, `rep movsq`).
    pub mnemonic: String,
    /// Operands in the syntax's order, already formatted.
    pub operands: Vec<String>,
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mnemonic)?;
        if !self.operands.is_empty() {
            f.write_str(" ")?;
            f.write_str(&self.operands.join(", "))?;
        }
        Ok(())
    }
}

impl Inst {
    /// True when the bytes did not decode (printed as `?`).
    pub fn is_bad(&self) -> bool {
        matches!(self.raw, Raw::Bad)
    }

    /// Architecture it was decoded for.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The instruction text in `syntax`, as one string.
    pub fn to_string(&self, syntax: Syntax, syms: &dyn SymbolLookup) -> String {
        let mut s = String::with_capacity(48);
        self.write(syntax, syms, &mut s);
        s
    }

    /// Appends the instruction text in `syntax` to `out`.
    pub fn write(&self, syntax: Syntax, syms: &dyn SymbolLookup, out: &mut String) {
        match &self.raw {
            Raw::Bad => match (self.arch, syntax) {
                (_, Syntax::Go) => out.push('?'),
                (Arch::Amd64, _) => out.push_str("(bad)"),
                (Arch::Arm64, _) => out.push_str("<unknown>"),
            },
            Raw::X86(i) => match syntax {
                Syntax::Go => x86::go_syntax(i, syms, out),
                Syntax::Gnu => x86::gnu_syntax(i, syms, out),
                Syntax::Intel => x86::intel_syntax(i, syms, out),
            },
            Raw::Arm64(i) => match syntax {
                Syntax::Go => arm64::go_syntax(i, self.addr, syms, out),
                Syntax::Gnu | Syntax::Intel => arm64::gnu_syntax(i, self.addr, syms, out),
            },
        }
    }

    /// The instruction text split into mnemonic and operands.
    pub fn text(&self, syntax: Syntax, syms: &dyn SymbolLookup) -> Text {
        let s = self.to_string(syntax, syms);
        split_text(&s, syntax, self.arch)
    }
}

/// Splits printed text at the first space after any prefixes, operands at
/// top-level commas (not inside parentheses, brackets or braces).
fn split_text(s: &str, syntax: Syntax, arch: Arch) -> Text {
    let s = s.split("  #").next().unwrap_or(s).trim_end();
    let mut rest = s;
    let mut mnemonic = String::new();
    loop {
        let (head, tail) = match rest.find(' ') {
            Some(i) => (&rest[..i], rest[i..].trim_start()),
            None => (rest, ""),
        };
        if !mnemonic.is_empty() {
            mnemonic.push(' ');
        }
        mnemonic.push_str(head);
        let is_prefix = matches!(
            head,
            "LOCK" | "REP;" | "REPNE;" | "lock" | "rep" | "repz" | "repnz" | "repe" | "repne"
        );
        rest = tail;
        if !is_prefix || rest.is_empty() {
            break;
        }
    }
    let _ = (syntax, arch);
    let mut operands = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                operands.push(rest[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !rest.trim().is_empty() {
        operands.push(rest[start..].trim().to_string());
    }
    Text { mnemonic, operands }
}

/// Decodes one instruction at the start of `code`, which is at `addr`.
/// Never fails: undecodable bytes give an [`Inst`] that prints as `?`,
/// one byte long on amd64 and four on arm64, so a listing can go on.
pub fn decode(arch: Arch, code: &[u8], addr: u64) -> Inst {
    match arch {
        Arch::Amd64 => x86::decode(code, addr),
        Arch::Arm64 => arm64::decode(code, addr),
    }
}

/// Decodes `code` (at `addr`) instruction after instruction up to its end.
pub fn decode_all(arch: Arch, code: &[u8], addr: u64) -> Vec<Inst> {
    let mut out = Vec::with_capacity(code.len() / 4);
    let mut dec = Decoding::new(arch, code, addr);
    let mut off = 0usize;
    while off < code.len() {
        let inst = dec.at(off);
        off += inst.len.max(1) as usize;
        out.push(inst);
    }
    out
}

/// Decodes one piece of code at chosen offsets, reusing one decoder:
/// setting up an iced decoder per instruction cost a tenth of a listing.
pub(crate) struct Decoding<'a> {
    arch: Arch,
    code: &'a [u8],
    addr: u64,
    x86: Option<iced_x86::Decoder<'a>>,
}

impl<'a> Decoding<'a> {
    /// Decoding of `code`, which starts at `addr`.
    pub(crate) fn new(arch: Arch, code: &'a [u8], addr: u64) -> Decoding<'a> {
        Decoding {
            arch,
            code,
            addr,
            x86: (arch == Arch::Amd64).then(|| x86::decoder(code, addr)),
        }
    }

    /// The instruction at offset `off`: what [`decode`] gives for
    /// `&code[off..]` at `addr + off`.
    pub(crate) fn at(&mut self, off: usize) -> Inst {
        match &mut self.x86 {
            Some(d) => x86::decode_at(d, self.code, off, self.addr),
            None => decode(
                self.arch,
                self.code.get(off..).unwrap_or(&[]),
                self.addr.wrapping_add(off as u64),
            ),
        }
    }
}
