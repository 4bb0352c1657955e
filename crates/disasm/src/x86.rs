//! amd64: decoding with iced-x86, and the three printers.
//!
//! The Go printer follows the rules `go tool objdump` uses (see the module
//! docs of the crate): operands reversed from Intel order (but `CMP` keeps
//! Intel order), a `B/W/L/Q` suffix on the integer instructions whose size
//! is not implied, width-free register names, signed hex immediates, and
//! `disp(base)(index*scale)` memory operands.

use crate::{text, Flow, Inst, Raw, SymbolLookup};
use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Formatter, FormatterOutput, FormatterTextKind,
    GasFormatter, Instruction, IntelFormatter, Mnemonic, OpKind, Register,
};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Decodes one instruction; undecodable bytes become a one-byte `?`.
pub(crate) fn decode(code: &[u8], addr: u64) -> Inst {
    let take = code.len().min(15);
    let mut dec = Decoder::with_ip(64, &code[..take], addr, DecoderOptions::NONE);
    decode_with(&mut dec, code, addr)
}

/// A decoder over a whole function, reused from one instruction to the next.
pub(crate) fn decoder(code: &[u8], addr: u64) -> Decoder<'_> {
    Decoder::with_ip(64, code, addr, DecoderOptions::NONE)
}

/// Decodes the instruction at offset `off` of the code `dec` reads, which
/// starts at `addr`. Same answer as [`decode`] on `&code[off..]`.
pub(crate) fn decode_at(dec: &mut Decoder<'_>, code: &[u8], off: usize, addr: u64) -> Inst {
    let pc = addr.wrapping_add(off as u64);
    let rest = code.get(off..).unwrap_or(&[]);
    if dec.set_position(off).is_err() {
        return decode(rest, pc);
    }
    dec.set_ip(pc);
    decode_with(dec, rest, pc)
}

/// Decodes at the decoder's position; `code` holds the bytes from there
/// on (for Go's VZEROUPPER length).
fn decode_with(dec: &mut Decoder<'_>, code: &[u8], addr: u64) -> Inst {
    let mut ins = Instruction::default();
    dec.decode_out(&mut ins);
    if ins.is_invalid() || ins.len() == 0 || !go_decodes(&ins) {
        return Inst {
            addr,
            len: 1,
            target: None,
            flow: Flow::Trap,
            arch: crate::Arch::Amd64,
            raw: Raw::Bad,
        };
    }
    let (flow, target) = match ins.flow_control() {
        FlowControl::Next | FlowControl::XbeginXabortXend => (Flow::Next, None),
        FlowControl::UnconditionalBranch => (Flow::Jump, direct_target(&ins)),
        FlowControl::IndirectBranch => (Flow::Jump, None),
        FlowControl::ConditionalBranch => (Flow::CondJump, direct_target(&ins)),
        FlowControl::Return => (Flow::Return, None),
        FlowControl::Call => (Flow::Call, direct_target(&ins)),
        FlowControl::IndirectCall => (Flow::Call, None),
        FlowControl::Interrupt => {
            if ins.mnemonic() == Mnemonic::Syscall {
                (Flow::Syscall, None)
            } else {
                (Flow::Trap, None)
            }
        }
        FlowControl::Exception => (Flow::Trap, None),
    };
    let mut len = ins.len() as u32;
    if ins.mnemonic() == Mnemonic::Vzeroupper {
        // Go's decoder reads a ModRM operand after VZEROUPPER's opcode and
        // so reports it one to six bytes too long; `go tool objdump` lists
        // it that way and resumes after those bytes. Do the same.
        match modrm_len(code.get(len as usize..).unwrap_or(&[])) {
            Some(extra) => len += extra,
            None => {
                return Inst {
                    addr,
                    len: 1,
                    target: None,
                    flow: Flow::Trap,
                    arch: crate::Arch::Amd64,
                    raw: Raw::Bad,
                }
            }
        }
    }
    let flow = if ins.mnemonic() == Mnemonic::Syscall {
        Flow::Syscall
    } else {
        flow
    };
    Inst {
        addr,
        len,
        target,
        flow,
        arch: crate::Arch::Amd64,
        raw: Raw::X86(ins),
    }
}

/// Bytes taken by a ModRM byte and what it implies (SIB, displacement),
/// in 64-bit addressing; `None` when `b` is too short.
fn modrm_len(b: &[u8]) -> Option<u32> {
    let modrm = *b.first()?;
    let (md, rm) = (modrm >> 6, modrm & 7);
    let mut n = 1u32;
    if md != 3 && rm == 4 {
        let sib = *b.get(1)?;
        n += 1;
        if md == 0 && sib & 7 == 5 {
            n += 4;
        }
    }
    n += match (md, rm) {
        (0, 5) => 4,
        (1, _) => 1,
        (2, _) => 4,
        _ => 0,
    };
    (b.len() >= n as usize).then_some(n)
}

fn direct_target(ins: &Instruction) -> Option<u64> {
    match ins.op0_kind() {
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            Some(ins.near_branch_target())
        }
        _ => None,
    }
}

/// Instructions iced decodes but Go's decoder (x/arch x86asm) rejects; Go
/// prints those bytes as `?`, so do we.
fn go_decodes(ins: &Instruction) -> bool {
    use iced_x86::EncodingKind;
    match ins.encoding() {
        EncodingKind::Legacy | EncodingKind::VEX | EncodingKind::EVEX => {}
        _ => return false,
    }
    !matches!(ins.mnemonic(), Mnemonic::Endbr64 | Mnemonic::Endbr32)
}

// ---------------------------------------------------------------- Go syntax

/// Go's register names, indexed by register: width-free, except the
/// 8-bit legacy ones. Built once, so printing never allocates.
fn go_reg(r: Register) -> &'static str {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    let names = NAMES.get_or_init(|| Register::values().map(go_reg_name).collect());
    names.get(r as usize).map_or("", String::as_str)
}

fn go_reg_name(r: Register) -> String {
    use Register::*;
    let s = match r {
        AL => "AL",
        CL => "CL",
        DL => "DL",
        BL => "BL",
        AH => "AH",
        CH => "CH",
        DH => "DH",
        BH => "BH",
        RIP | EIP => "IP",
        ES => "ES",
        CS => "CS",
        SS => "SS",
        DS => "DS",
        FS => "FS",
        GS => "GS",
        None => "",
        _ => {
            if r.is_gpr() {
                let full = r.full_register();
                return match full {
                    RAX => "AX",
                    RCX => "CX",
                    RDX => "DX",
                    RBX => "BX",
                    RSP => "SP",
                    RBP => "BP",
                    RSI => "SI",
                    RDI => "DI",
                    _ => return format!("R{}", full.number()),
                }
                .to_string();
            }
            if r.is_xmm() {
                return format!("X{}", r.number());
            }
            if r.is_ymm() {
                return format!("Y{}", r.number());
            }
            if r.is_zmm() {
                return format!("Z{}", r.number());
            }
            if r.is_k() {
                return format!("K{}", r.number());
            }
            if r.is_st() {
                return format!("F{}", r.number());
            }
            if r.is_mm() {
                return format!("M{}", r.number());
            }
            if r.is_cr() {
                return format!("CR{}", r.number());
            }
            if r.is_dr() {
                return format!("DR{}", r.number());
            }
            return format!("{r:?}").to_ascii_uppercase();
        }
    };
    s.to_string()
}

/// Upper-case mnemonic names, built once.
fn mnemonic_names() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        Mnemonic::values()
            .map(|m| format!("{m:?}").to_ascii_uppercase())
            .collect()
    })
}

/// Instructions that get a `B/W/L/Q` size suffix in Go syntax.
fn has_size_suffix(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Adc | Add
            | And
            | Bsf
            | Bsr
            | Bt
            | Btc
            | Btr
            | Bts
            | Cmp
            | Cmpxchg
            | Cvtsi2sd
            | Cvtsi2ss
            | Cvtsd2si
            | Cvtss2si
            | Cvttsd2si
            | Cvttss2si
            | Dec
            | Div
            | Idiv
            | Imul
            | In
            | Inc
            | Lea
            | Mov
            | Movnti
            | Mul
            | Neg
            | Nop
            | Not
            | Or
            | Out
            | Pop
            | Push
            | Rcl
            | Rcr
            | Rol
            | Ror
            | Sar
            | Sbb
            | Shl
            | Shld
            | Shr
            | Shrd
            | Sub
            | Test
            | Xadd
            | Xchg
            | Xor
            | Popcnt
            | Lzcnt
            | Tzcnt
            | Andn
            | Blsi
            | Blsmsk
            | Blsr
            | Bextr
            | Bzhi
            | Sarx
            | Shlx
            | Shrx
            | Rorx
            | Pdep
            | Pext
            | Mulx
            | Adcx
            | Adox
            | Movbe
            | Crc32
            | Cmpxchg16b
            | Cmpxchg8b
    )
}

/// The operand size Go puts in the suffix: a memory operand's size when
/// there is one, else the operand-size attribute, which is 32 bits for
/// byte-register forms too (`TESTL $0x1, DL`, as Go prints it).
fn data_size(ins: &Instruction) -> u32 {
    for i in 0..ins.op_count() {
        if ins.op_kind(i) == OpKind::Memory {
            let n = ins.memory_size().size() as u32;
            if n != 0 && ins.mnemonic() != Mnemonic::Lea {
                return n * 8;
            }
        }
    }
    for i in 0..ins.op_count() {
        if ins.op_kind(i) == OpKind::Register {
            let r = ins.op_register(i);
            if r.is_gpr() && r.size() > 1 {
                return r.size() as u32 * 8;
            }
        }
    }
    let code = code_traits(ins.code());
    if code & CODE_16 != 0 {
        return 16;
    }
    match ins.mnemonic() {
        Mnemonic::Push | Mnemonic::Pop => 64,
        _ => {
            if code & CODE_64 != 0 {
                64
            } else {
                32
            }
        }
    }
}

/// The code's name says 16-bit (`…16…`, `…w`).
const CODE_16: u8 = 1;
/// The code's name says 64-bit (`…64…`, `…q`).
const CODE_64: u8 = 2;
/// The code's name ends in `_1` (a shift or rotate by one).
const CODE_BY_ONE: u8 = 4;

/// What the name of each iced `Code` tells about its operand size, read
/// once for all codes rather than formatting the name per instruction.
fn code_traits(code: iced_x86::Code) -> u8 {
    static TRAITS: OnceLock<Vec<u8>> = OnceLock::new();
    let traits = TRAITS.get_or_init(|| {
        iced_x86::Code::values()
            .map(|c| {
                let name = format!("{c:?}");
                let mut t = 0;
                if name.contains("16") || name.ends_with('w') {
                    t |= CODE_16;
                }
                if name.contains("64") || name.ends_with('q') {
                    t |= CODE_64;
                }
                if name.ends_with("_1") {
                    t |= CODE_BY_ONE;
                }
                t
            })
            .collect()
    });
    traits.get(code as usize).copied().unwrap_or(0)
}

fn go_mnemonic(ins: &Instruction, out: &mut String) {
    use Mnemonic::*;
    let m = ins.mnemonic();
    let base: &str = match m {
        Movsd if is_sse_move(ins) => "MOVSD_XMM",
        Cmpsd if is_sse_move(ins) => "CMPSD_XMM",
        Int3 => "INT $0x3",
        Cdqe => "CDQE",
        _ => &mnemonic_names()[m as usize],
    };
    out.push_str(base);
    if has_size_suffix(m) {
        out.push(match data_size(ins) {
            8 => 'B',
            16 => 'W',
            64 => 'Q',
            _ => 'L',
        });
    } else if matches!(m, Cvtsi2sd | Cvtsi2ss) {
        out.push('Q');
    }
}

/// `movsd`/`cmpsd` with an xmm operand (as opposed to the string forms).
fn is_sse_move(ins: &Instruction) -> bool {
    (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Register && ins.op_register(i).is_xmm())
}

/// Writes `name(SB)` or `name+off(SB)` for the symbol containing `addr`;
/// false (nothing written) when no named symbol does.
fn sym_ref(syms: &dyn SymbolLookup, addr: u64, out: &mut String) -> bool {
    let Some((name, base)) = syms.lookup(addr) else {
        return false;
    };
    if name.is_empty() {
        return false;
    }
    out.push_str(name);
    let off = addr.wrapping_sub(base) as i64;
    if off > 0 {
        out.push('+');
    }
    if off != 0 {
        text::dec(out, off);
    }
    out.push_str("(SB)");
    true
}

fn go_operand(ins: &Instruction, i: u32, syms: &dyn SymbolLookup, out: &mut String) {
    match ins.op_kind(i) {
        OpKind::Register => out.push_str(go_reg(ins.op_register(i))),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            let t = ins.near_branch_target();
            match syms.lookup(t) {
                Some((name, base)) if base == t && !name.is_empty() => {
                    out.push_str(name);
                    out.push_str("(SB)");
                }
                _ => text::hex(out, t),
            }
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => {
            text::hex(out, u64::from(ins.far_branch_selector()));
            out.push(':');
            text::hex(out, u64::from(ins.far_branch32()));
        }
        kind @ (OpKind::Immediate8
        | OpKind::Immediate8_2nd
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate64
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64
        | OpKind::Immediate32to64) => {
            let v: u64 = match kind {
                OpKind::Immediate8 => ins.immediate8() as u64,
                OpKind::Immediate8_2nd => ins.immediate8_2nd() as u64,
                OpKind::Immediate16 => ins.immediate16() as i16 as i64 as u64,
                OpKind::Immediate32 => ins.immediate32() as i32 as i64 as u64,
                OpKind::Immediate8to16 => ins.immediate8to16() as i64 as u64,
                OpKind::Immediate8to32 => ins.immediate8to32() as i64 as u64,
                OpKind::Immediate8to64 => ins.immediate8to64() as u64,
                OpKind::Immediate32to64 => ins.immediate32to64() as u64,
                _ => ins.immediate64(),
            };
            out.push('$');
            if (v as i64) == (v as i64 as i32) as i64 {
                text::hex_signed(out, v as i64);
            } else {
                text::hex(out, v);
            }
        }
        OpKind::MemorySegSI
        | OpKind::MemorySegESI
        | OpKind::MemorySegRSI
        | OpKind::MemorySegDI
        | OpKind::MemorySegEDI
        | OpKind::MemorySegRDI => {
            let seg = ins.memory_segment();
            let reg = match ins.op_kind(i) {
                OpKind::MemorySegDI | OpKind::MemorySegEDI | OpKind::MemorySegRDI => "DI",
                _ => "SI",
            };
            out.push_str(go_reg(seg));
            out.push_str(":0(");
            out.push_str(reg);
            out.push(')');
        }
        OpKind::MemoryESDI | OpKind::MemoryESEDI | OpKind::MemoryESRDI => out.push_str("ES:0(DI)"),
        OpKind::Memory => go_memory(ins, syms, out),
    }
}

fn go_memory(ins: &Instruction, syms: &dyn SymbolLookup, out: &mut String) {
    let seg = ins.segment_prefix();
    let base = ins.memory_base();
    let index = ins.memory_index();
    let rip = matches!(base, Register::RIP | Register::EIP);
    let disp_abs = ins.memory_displacement64();
    let disp: i64 = if rip {
        disp_abs.wrapping_sub(ins.next_ip()) as i64
    } else {
        disp_abs as i64
    };
    let evex = ins.encoding() == iced_x86::EncodingKind::EVEX;
    if rip && evex {
        // Go's EVEX decoding loses the RIP base: it prints the bare
        // displacement and never names a symbol.
        text::hex(out, u64::from(disp as u64 as u32));
        return;
    }
    // Go keeps a 32-bit displacement unsigned, so a backward RIP-relative
    // reference points past 4 GiB and never resolves to a symbol: such
    // operands print as `0xffffff90(IP)`. Matched on purpose.
    let backward = rip && disp < 0;
    if seg == Register::None
        && disp != 0
        && index == Register::None
        && !backward
        && (rip || base == Register::None)
        && sym_ref(syms, disp_abs, out)
    {
        return;
    }
    if seg != Register::None {
        out.push_str(go_reg(seg));
        out.push(':');
    }
    if disp == 0 {
        out.push('0');
    } else if ins.memory_displ_size() >= 4 || rip {
        // A 32-bit displacement is kept unsigned by Go's decoder.
        text::hex(out, u64::from(disp as u64 as u32));
    } else {
        text::hex_signed(out, disp);
    }
    if base != Register::None {
        out.push('(');
        out.push_str(go_reg(base));
        out.push(')');
    }
    if index != Register::None {
        out.push('(');
        out.push_str(go_reg(index));
        out.push('*');
        text::dec(out, i64::from(ins.memory_index_scale()));
        out.push(')');
    }
}

/// Writes the Go syntax of `ins` to `out`.
pub(crate) fn go_syntax(ins: &Instruction, syms: &dyn SymbolLookup, out: &mut String) {
    // Operands in print order: Intel order reversed, the opmask before the
    // last one, CMP's two back in Intel order. `None` is the opmask.
    let mut order: [Option<u32>; 8] = [None; 8];
    let mut k = 0usize;
    for i in (0..ins.op_count().min(7)).rev() {
        order[k] = Some(i);
        k += 1;
    }
    if ins.has_op_mask() && k > 0 {
        order[k] = order[k - 1];
        order[k - 1] = None;
        k += 1;
    }
    let m = ins.mnemonic();
    if m == Mnemonic::Cmp && k == 2 {
        order.swap(0, 1);
    }
    if ins.has_lock_prefix() {
        out.push_str("LOCK ");
    }
    if ins.has_rep_prefix() && is_string_op(m) {
        out.push_str("REP; ");
    } else if ins.has_repne_prefix() && is_string_op(m) {
        out.push_str("REPNE; ");
    }
    go_mnemonic(ins, out);
    if ins.zeroing_masking() {
        out.push_str(".Z");
    }
    for (j, op) in order[..k].iter().enumerate() {
        out.push_str(if j == 0 { " " } else { ", " });
        match op {
            Some(i) => go_operand(ins, *i, syms, out),
            None => out.push_str(go_reg(ins.op_mask())),
        }
    }
}

fn is_string_op(m: Mnemonic) -> bool {
    use Mnemonic::*;
    matches!(
        m,
        Movsb
            | Movsw
            | Movsd
            | Movsq
            | Stosb
            | Stosw
            | Stosd
            | Stosq
            | Lodsb
            | Lodsw
            | Lodsd
            | Lodsq
            | Cmpsb
            | Cmpsw
            | Cmpsd
            | Cmpsq
            | Scasb
            | Scasw
            | Scasd
            | Scasq
            | Insb
            | Insw
            | Insd
            | Outsb
            | Outsw
            | Outsd
    )
}

// ------------------------------------------------------- GNU / Intel syntax

struct Out<'a>(&'a mut String);

impl FormatterOutput for Out<'_> {
    fn write(&mut self, text: &str, _kind: FormatterTextKind) {
        self.0.push_str(text);
    }
}

thread_local! {
    static GAS: RefCell<GasFormatter> = RefCell::new({
        let mut f = GasFormatter::new();
        let o = f.options_mut();
        o.set_space_after_operand_separator(false);
        o.set_show_branch_size(false);
        o.set_branch_leading_zeros(false);
        o.set_rip_relative_addresses(true);
        o.set_hex_prefix("0x");
        o.set_hex_suffix("");
        o.set_uppercase_hex(false);
        o.set_show_zero_displacements(false);
        o.set_small_hex_numbers_in_decimal(false);
        o.set_signed_immediate_operands(false);
        o.set_gas_show_mnemonic_size_suffix(false);
        f
    });
    static INTEL: RefCell<IntelFormatter> = RefCell::new({
        let mut f = IntelFormatter::new();
        let o = f.options_mut();
        o.set_space_after_operand_separator(false);
        o.set_show_branch_size(false);
        o.set_branch_leading_zeros(false);
        o.set_rip_relative_addresses(false);
        o.set_hex_prefix("0x");
        o.set_hex_suffix("");
        o.set_uppercase_hex(false);
        o.set_small_hex_numbers_in_decimal(false);
        o.set_memory_size_options(iced_x86::MemorySizeOptions::Always);
        f
    });
}

/// `addr <sym+0xoff>` as binutils prints a branch target or a comment.
fn gnu_target(syms: &dyn SymbolLookup, addr: u64) -> String {
    match syms.nearest(addr) {
        Some((name, base)) if !name.is_empty() => {
            let off = addr.wrapping_sub(base);
            if off == 0 {
                format!("{addr:x} <{name}>")
            } else {
                format!("{addr:x} <{name}+{off:#x}>")
            }
        }
        _ => format!("{addr:x}"),
    }
}

/// Splits iced's `mnemonic operands` and re-pads the mnemonic the way
/// binutils does (`%-6s `).
fn pad_mnemonic(text: &str, out: &mut String) {
    let (m, ops) = split_mnemonic(text);
    if ops.is_empty() {
        out.push_str(m);
    } else {
        let _ = write!(out, "{m:<6} {ops}");
    }
}

fn split_mnemonic(text: &str) -> (&str, &str) {
    // Keep prefixes (`lock`, `rep`, `notrack`...) with the mnemonic.
    let mut idx = 0;
    let bytes = text.as_bytes();
    loop {
        let rest = &text[idx..];
        let word_end = rest.find(' ').map(|i| idx + i);
        let Some(end) = word_end else {
            return (text, "");
        };
        let word = &text[idx..end];
        if matches!(
            word,
            "lock"
                | "rep"
                | "repe"
                | "repz"
                | "repne"
                | "repnz"
                | "notrack"
                | "bnd"
                | "xacquire"
                | "xrelease"
                | "data16"
                | "addr32"
        ) {
            idx = end + 1;
            while idx < bytes.len() && bytes[idx] == b' ' {
                idx += 1;
            }
            continue;
        }
        let mut ops_start = end;
        while ops_start < bytes.len() && bytes[ops_start] == b' ' {
            ops_start += 1;
        }
        return (&text[..end], &text[ops_start..]);
    }
}

/// Writes the AT&T syntax of `ins` as binutils `objdump -d` prints it.
pub(crate) fn gnu_syntax(ins: &Instruction, syms: &dyn SymbolLookup, out: &mut String) {
    let mut text = String::with_capacity(48);
    GAS.with(|f| {
        let mut f = f.borrow_mut();
        f.format(ins, &mut Out(&mut text));
    });
    if let Some(t) = direct_target(ins) {
        // Replace iced's `0x...` target with binutils' `addr <sym+off>`.
        let (m, _) = split_mnemonic(&text);
        let m = m.to_string();
        let _ = write!(out, "{m:<6} {}", gnu_target(syms, t));
        return;
    }
    gnu_fixups(ins, &mut text);
    pad_mnemonic(&text, out);
    if ins.is_ip_rel_memory_operand() {
        let _ = write!(
            out,
            "        # {}",
            gnu_target(syms, ins.ip_rel_memory_address())
        );
    }
}

/// binutils spellings iced's GAS formatter does not offer as options:
/// `jmp *`/`call *` without `q`, shifts by one without `$0x1`, an encoded
/// zero displacement as `0x0(`, and an explicit index scale of 1.
fn gnu_fixups(ins: &Instruction, text: &mut String) {
    if text.starts_with("jmpq ") || text.starts_with("callq ") {
        if let Some(q) = text.find('q') {
            text.remove(q);
        }
    }
    if code_traits(ins.code()) & CODE_BY_ONE != 0 {
        *text = text.replacen("$0x1,", "", 1);
    }
    let has_mem = (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Memory);
    if !has_mem {
        return;
    }
    if ins.memory_displ_size() != 0
        && ins.memory_displacement64() == 0
        && !ins.is_ip_rel_memory_operand()
    {
        *text = text.replacen("(%", "0x0(%", 1);
    }
    if ins.memory_index() != Register::None && ins.memory_index_scale() == 1 {
        let idx = format!("%{:?})", ins.memory_index()).to_ascii_lowercase();
        let with_scale = format!("{},1)", &idx[..idx.len() - 1]);
        *text = text.replacen(&idx, &with_scale, 1);
    }
}

/// Writes the Intel syntax of `ins` (binutils `objdump -M intel` style).
pub(crate) fn intel_syntax(ins: &Instruction, syms: &dyn SymbolLookup, out: &mut String) {
    let mut text = String::with_capacity(48);
    INTEL.with(|f| {
        let mut f = f.borrow_mut();
        f.format(ins, &mut Out(&mut text));
    });
    if let Some(t) = direct_target(ins) {
        let (m, _) = split_mnemonic(&text);
        let m = m.to_string();
        let _ = write!(out, "{m:<6} {}", gnu_target(syms, t));
        return;
    }
    pad_mnemonic(&text, out);
    if ins.is_ip_rel_memory_operand() {
        let _ = write!(
            out,
            "        # {}",
            gnu_target(syms, ins.ip_rel_memory_address())
        );
    }
}
