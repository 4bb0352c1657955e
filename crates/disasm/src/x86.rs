//! amd64: decoding with iced-x86, and the three printers.
//!
//! The Go printer follows the rules `go tool objdump` uses (see the module
//! docs of the crate): operands reversed from Intel order (but `CMP` keeps
//! Intel order), a `B/W/L/Q` suffix on the integer instructions whose size
//! is not implied, width-free register names, signed hex immediates, and
//! `disp(base)(index*scale)` memory operands.

use crate::{Flow, Inst, Raw, SymbolLookup};
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
        raw: Raw::X86(Box::new(ins)),
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

/// Go's register names: width-free, except the 8-bit legacy ones.
fn go_reg(r: Register) -> String {
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
    let code = format!("{:?}", ins.code());
    if code.contains("16") || code.ends_with('w') {
        return 16;
    }
    match ins.mnemonic() {
        Mnemonic::Push | Mnemonic::Pop => 64,
        _ => {
            if code.contains("64") || code.ends_with('q') {
                64
            } else {
                32
            }
        }
    }
}

fn go_mnemonic(ins: &Instruction) -> String {
    use Mnemonic::*;
    let m = ins.mnemonic();
    let base: &str = match m {
        Movsd if is_sse_move(ins) => "MOVSD_XMM",
        Cmpsd if is_sse_move(ins) => "CMPSD_XMM",
        Int3 => "INT $0x3",
        Cdqe => "CDQE",
        _ => &mnemonic_names()[m as usize],
    };
    let mut s = base.to_string();
    if has_size_suffix(m) {
        s.push(match data_size(ins) {
            8 => 'B',
            16 => 'W',
            64 => 'Q',
            _ => 'L',
        });
    } else if matches!(m, Cvtsi2sd | Cvtsi2ss) {
        s.push('Q');
    }
    s
}

/// `movsd`/`cmpsd` with an xmm operand (as opposed to the string forms).
fn is_sse_move(ins: &Instruction) -> bool {
    (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Register && ins.op_register(i).is_xmm())
}

fn hex_signed(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", (v as i128).unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

fn sym_ref(syms: &dyn SymbolLookup, addr: u64) -> Option<String> {
    let (name, base) = syms.lookup(addr)?;
    if name.is_empty() {
        return None;
    }
    let off = addr.wrapping_sub(base) as i64;
    Some(if off == 0 {
        format!("{name}(SB)")
    } else {
        format!("{name}{off:+}(SB)")
    })
}

fn go_operand(ins: &Instruction, i: u32, syms: &dyn SymbolLookup) -> String {
    match ins.op_kind(i) {
        OpKind::Register => go_reg(ins.op_register(i)),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
            let t = ins.near_branch_target();
            match syms.lookup(t) {
                Some((name, base)) if base == t && !name.is_empty() => format!("{name}(SB)"),
                _ => format!("{t:#x}"),
            }
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => {
            format!("{:#x}:{:#x}", ins.far_branch_selector(), ins.far_branch32())
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
            if (v as i64) == (v as i64 as i32) as i64 {
                format!("${}", hex_signed(v as i64))
            } else {
                format!("${v:#x}")
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
            format!("{}:0({reg})", go_reg(seg))
        }
        OpKind::MemoryESDI | OpKind::MemoryESEDI | OpKind::MemoryESRDI => "ES:0(DI)".to_string(),
        OpKind::Memory => go_memory(ins, syms),
    }
}

fn go_memory(ins: &Instruction, syms: &dyn SymbolLookup) -> String {
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
        return format!("{:#x}", disp as u64 as u32);
    }
    // Go keeps a 32-bit displacement unsigned, so a backward RIP-relative
    // reference points past 4 GiB and never resolves to a symbol: such
    // operands print as `0xffffff90(IP)`. Matched on purpose.
    let backward = rip && disp < 0;
    if seg == Register::None && disp != 0 && index == Register::None && !backward {
        let target = (rip || base == Register::None).then_some(disp_abs);
        if let Some(t) = target {
            if let Some(s) = sym_ref(syms, t) {
                return s;
            }
        }
    }
    let mut s = String::new();
    if seg != Register::None {
        s.push_str(&go_reg(seg));
        s.push(':');
    }
    if disp == 0 {
        s.push('0');
    } else if ins.memory_displ_size() >= 4 || rip {
        // A 32-bit displacement is kept unsigned by Go's decoder.
        let _ = write!(s, "{:#x}", disp as u64 as u32);
    } else {
        s.push_str(&hex_signed(disp));
    }
    if base != Register::None {
        let _ = write!(s, "({})", go_reg(base));
    }
    if index != Register::None {
        let _ = write!(s, "({}*{})", go_reg(index), ins.memory_index_scale());
    }
    s
}

/// Writes the Go syntax of `ins` to `out`.
pub(crate) fn go_syntax(ins: &Instruction, syms: &dyn SymbolLookup, out: &mut String) {
    let n = ins.op_count();
    let mut args: Vec<String> = Vec::with_capacity(n as usize + 1);
    for i in (0..n).rev() {
        args.push(go_operand(ins, i, syms));
    }
    if ins.has_op_mask() && !args.is_empty() {
        let last = args.len() - 1;
        args.insert(last, go_reg(ins.op_mask()));
    }
    let m = ins.mnemonic();
    if m == Mnemonic::Cmp && args.len() == 2 {
        args.swap(0, 1);
    }
    if ins.has_lock_prefix() {
        out.push_str("LOCK ");
    }
    if ins.has_rep_prefix() && is_string_op(m) {
        out.push_str("REP; ");
    } else if ins.has_repne_prefix() && is_string_op(m) {
        out.push_str("REPNE; ");
    }
    out.push_str(&go_mnemonic(ins));
    if ins.zeroing_masking() {
        out.push_str(".Z");
    }
    if !args.is_empty() {
        out.push(' ');
        out.push_str(&args.join(", "));
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
    if format!("{:?}", ins.code()).ends_with("_1") {
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
