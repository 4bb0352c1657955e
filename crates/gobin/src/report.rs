//! The whole-binary report behind `rabbithole inspect`: container facts,
//! Go build info, linking, cgo, and how the program reaches the kernel, each
//! conclusion with the evidence it rests on. Built from the file's bytes
//! alone; nothing is executed.

use crate::buildinfo::{self, BuildInfo};
use crate::bytes;
use crate::container::{self, Binary, Import, Section};
use crate::{Error, GoBinary};
use model::{Arch, Format, Os};
use serde::Serialize;

/// Report for one file: one entry per architecture slice (a thin file has
/// exactly one).
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// Size of the file in bytes.
    pub file_size: u64,
    /// True for a universal (fat) Mach-O.
    pub fat: bool,
    /// One report per slice.
    pub slices: Vec<Report>,
}

/// Static or dynamic linking, with what the loader is asked for.
#[derive(Debug, Serialize)]
pub struct Linking {
    /// `static` or `dynamic`.
    pub kind: &'static str,
    /// ELF PT_INTERP / Mach-O LC_LOAD_DYLINKER.
    pub interpreter: Option<String>,
    /// ELF DT_NEEDED / Mach-O LC_LOAD_DYLIB, in file order.
    pub needed: Vec<String>,
}

/// How system calls leave the program.
#[derive(Debug, Serialize)]
pub struct SyscallMechanism {
    /// `raw` (the Go code executes SYSCALL/SVC), `libc` (through the C
    /// library, as on darwin), `raw+libc` (Go code raw, cgo C code through
    /// libc) or `unknown`.
    pub kind: &'static str,
    /// The trap instruction of the architecture, when the program uses it.
    pub instruction: Option<&'static str>,
    /// Facts the conclusion rests on, one sentence each.
    pub evidence: Vec<String>,
}

/// Everything `inspect` says about one (thin) binary.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Container format.
    pub format: Format,
    /// Instruction set.
    pub arch: Arch,
    /// Target OS.
    pub os: Os,
    /// Entry point address.
    pub entry: u64,
    /// Go build info; `None` for a non-Go binary (or unreadable build info,
    /// see `warnings`).
    pub go: Option<BuildInfo>,
    /// Linking facts.
    pub linking: Linking,
    /// Position-independent executable.
    pub pie: bool,
    /// No static symbol table.
    pub stripped: bool,
    /// DWARF debug info present.
    pub dwarf: bool,
    /// cgo code is linked in.
    pub cgo: bool,
    /// Why `cgo` is what it is.
    pub cgo_evidence: Vec<String>,
    /// How syscalls are made.
    pub syscall_mechanism: SyscallMechanism,
    /// Where the function names used as evidence came from:
    /// `pclntab`, `symtab` or `none`.
    pub function_names: &'static str,
    /// Number of functions in the pclntab, when it was read.
    pub go_functions: Option<usize>,
    /// Functions imported from shared libraries.
    pub imports: Vec<Import>,
    /// Sections in file order.
    pub sections: Vec<Section>,
    /// Set when the file is shorter than its headers say: what the report
    /// lacks may have been cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<crate::container::truncation::Truncation>,
    /// Things that could not be read; the rest of the report still holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A function known by name and address range, from whichever table the
/// binary still has.
#[derive(Clone, Debug)]
pub struct FuncRange<'n> {
    /// Go (or C) name, without Mach-O's `_` prefix.
    pub name: &'n str,
    /// First instruction.
    pub entry: u64,
    /// One past the last byte (0 when unknown).
    pub end: u64,
}

/// Source of function names for [`inspect_slice`].
pub struct FuncNames<'n> {
    /// `pclntab` or `symtab`.
    pub source: &'static str,
    /// Functions sorted by entry.
    pub funcs: Vec<FuncRange<'n>>,
}

/// Inspects a whole file (fat Mach-O: every slice). Errors only when no
/// slice can be parsed as a container at all; Go-level problems degrade
/// into `warnings`.
pub fn inspect(data: &[u8]) -> Result<FileReport, Error> {
    let slices = container::slices(data)?;
    let fat = slices.iter().any(|s| s.fat_arch.is_some());
    let mut reports = Vec::new();
    for s in &slices {
        let bin = Binary::parse(s.data)?;
        // Function names from the pclntab survive stripping; fall back to
        // the symbol table when the table cannot be read.
        let report = match GoBinary::from_binary(bin) {
            Ok(gb) => {
                let names = funcs_from_pclntab(&gb);
                let count = names.funcs.len();
                let mut r = inspect_slice(&gb.bin, Some(names));
                r.go_functions = Some(count);
                // The truncation is already the slice's first warning.
                let skip = usize::from(gb.bin.truncation.is_some());
                r.warnings.extend(
                    gb.warnings
                        .iter()
                        .skip(skip)
                        .map(|w| format!("pclntab: {w}")),
                );
                r
            }
            Err(e) => {
                let bin = Binary::parse(s.data)?;
                let mut r = inspect_slice(&bin, None);
                if is_go_shaped(&bin) {
                    r.warnings.push(format!("pclntab: {e}"));
                }
                r
            }
        };
        reports.push(report);
    }
    if reports.is_empty() {
        return Err(Error::Format("fat Mach-O without slices".into()));
    }
    Ok(FileReport {
        file_size: data.len() as u64,
        fat,
        slices: reports,
    })
}

/// Function names from the pclntab, in entry order.
pub fn funcs_from_pclntab<'n>(gb: &'n GoBinary<'_>) -> FuncNames<'n> {
    let mut funcs: Vec<FuncRange<'n>> = gb
        .pclntab
        .funcs()
        .map(|f| FuncRange {
            name: f.name(),
            entry: f.entry(),
            end: f.end(),
        })
        .collect();
    funcs.sort_by_key(|f| f.entry);
    FuncNames {
        source: "pclntab",
        funcs,
    }
}

/// Function names from the static symbol table (text symbols only).
pub fn funcs_from_symbols<'n>(bin: &'n Binary<'_>) -> Option<FuncNames<'n>> {
    let text: Vec<_> = bin.symbols().iter().filter(|s| s.text).collect();
    if text.is_empty() {
        return None;
    }
    let mut funcs = Vec::with_capacity(text.len());
    for (i, s) in text.iter().enumerate() {
        let end = if s.size > 0 {
            s.addr.saturating_add(s.size)
        } else {
            text.get(i + 1).map(|n| n.addr).unwrap_or(0)
        };
        funcs.push(FuncRange {
            name: &s.name,
            entry: s.addr,
            end,
        });
    }
    Some(FuncNames {
        source: "symtab",
        funcs,
    })
}

/// Inspects one thin binary. `names` overrides where function names come
/// from (the pclntab, when the caller has parsed it); by default the
/// symbol table is used.
pub fn inspect_slice<'n>(bin: &'n Binary<'_>, names: Option<FuncNames<'n>>) -> Report {
    let mut warnings: Vec<String> = bin
        .truncation
        .iter()
        .map(|t| bin.truncation_warning(t))
        .collect();
    let go = match buildinfo::read(bin) {
        Ok(go) => go,
        Err(e) => {
            warnings.push(e.to_string());
            None
        }
    };
    if go.is_none() && is_go_shaped(bin) {
        warnings.push("Go sections present but no build info (Go older than 1.13?)".into());
    }
    let names = names.or_else(|| funcs_from_symbols(bin));
    let linking = Linking {
        kind: if bin.interpreter.is_some() || !bin.needed.is_empty() {
            "dynamic"
        } else {
            "static"
        },
        interpreter: bin.interpreter.clone(),
        needed: bin.needed.clone(),
    };
    let is_go =
        go.is_some() || is_go_shaped(bin) || names.as_ref().is_some_and(|n| n.source == "pclntab");
    let (cgo, cgo_evidence) = if is_go {
        detect_cgo(bin, names.as_ref(), go.as_ref())
    } else {
        (false, vec!["not a Go binary".to_string()])
    };
    let syscall_mechanism = syscall_mechanism(bin, names.as_ref(), cgo, is_go);
    Report {
        format: bin.format,
        arch: bin.arch,
        os: bin.os,
        entry: bin.entry,
        go,
        linking,
        pie: bin.pie,
        stripped: bin.symbols().is_empty(),
        dwarf: bin.has_dwarf(),
        cgo,
        cgo_evidence,
        syscall_mechanism,
        function_names: names.as_ref().map(|n| n.source).unwrap_or("none"),
        go_functions: None,
        imports: bin.imports.clone(),
        sections: bin
            .sections()
            .iter()
            .filter(|s| !(s.name.is_empty() && s.size == 0 && s.addr == 0))
            .cloned()
            .collect(),
        truncated: bin.truncation.clone(),
        warnings,
    }
}

fn is_go_shaped(bin: &Binary<'_>) -> bool {
    bin.sections()
        .iter()
        .any(|s| s.name == ".gopclntab" || s.name == "__gopclntab")
}

fn detect_cgo(
    bin: &Binary<'_>,
    names: Option<&FuncNames>,
    go: Option<&BuildInfo>,
) -> (bool, Vec<String>) {
    let mut ev = Vec::new();
    if let Some(n) = names {
        // runtime/cgo's Go and assembly functions; `_cgo_panic` (its
        // callbacks.go) is the one every cgo binary keeps, even when the
        // rest is dead-code eliminated (Debian's Go 1.19 docker-proxy).
        let cgo_pkg: Vec<&str> = n
            .funcs
            .iter()
            .map(|f| f.name)
            .filter(|f| f.starts_with("runtime/cgo.") || *f == "_cgo_panic" || *f == "crosscall2")
            .collect();
        if let Some(first) = cgo_pkg.first() {
            ev.push(format!(
                "{} runtime/cgo functions in the {}, e.g. {first}",
                cgo_pkg.len(),
                n.source
            ));
        }
        let cfuncs: Vec<&str> = n
            .funcs
            .iter()
            .filter(|f| f.name.contains("._Cfunc_") || f.name.contains("._C2func_"))
            .map(|f| f.name)
            .collect();
        if let Some(first) = cfuncs.first() {
            ev.push(format!("{} _Cfunc_ wrappers, e.g. {first}", cfuncs.len()));
        }
    }
    let setting = go.and_then(|g| g.setting("CGO_ENABLED"));
    if ev.is_empty() && names.is_none() {
        // No names at all: infer from linking. A Linux Go binary only
        // needs libc when cgo (runtime/cgo or a cgo package) is linked in.
        if bin.os == Os::Linux && bin.needed.iter().any(|l| l.starts_with("libc.")) {
            ev.push(format!(
                "no function names; dynamically linked against {}",
                bin.needed.join(", ")
            ));
        }
    }
    let cgo = !ev.is_empty();
    match setting {
        Some(v) => ev.push(format!("build setting CGO_ENABLED={v}")),
        None if go.is_some() => ev.push("no CGO_ENABLED build setting".into()),
        None => {}
    }
    if !cgo && names.is_some() {
        let source = names.map(|n| n.source).unwrap_or("");
        ev.insert(
            0,
            format!("no runtime/cgo or _Cfunc_ functions in the {source}"),
        );
    }
    (cgo, ev)
}

/// Functions that execute the trap instruction for Go's syscalls, newest
/// first (the package moved twice: runtime/internal/syscall in 1.19-1.21,
/// internal/runtime/syscall by 1.23, its linux subpackage by 1.27);
/// before 1.19 `syscall.Syscall` and friends were assembly with the trap
/// inline.
const RAW_SYSCALL_FUNCS: &[&str] = &[
    "internal/runtime/syscall/linux.Syscall6",
    "internal/runtime/syscall.Syscall6",
    "runtime/internal/syscall.Syscall6",
    "syscall.RawSyscall6",
    "syscall.Syscall6",
    "syscall.Syscall",
    "syscall.RawSyscall",
    "runtime.write1",
    "runtime.write",
];

/// Largest function body scanned for a trap instruction.
const MAX_SCAN: u64 = 1 << 16;

fn find_func<'a, 'n>(names: &'a FuncNames<'n>, name: &str) -> Option<&'a FuncRange<'n>> {
    names
        .funcs
        .iter()
        .find(|f| f.name == name || f.name.strip_suffix(".abi0") == Some(name))
}

/// Address of the first trap instruction in a function's bytes.
fn trap_in(bin: &Binary<'_>, f: &FuncRange) -> Option<u64> {
    if f.end <= f.entry {
        return None;
    }
    let len = (f.end - f.entry).min(MAX_SCAN);
    let code = bin.read_va(f.entry, len)?;
    match bin.arch {
        Arch::Amd64 => code
            .windows(2)
            .position(|w| w == [0x0f, 0x05])
            .map(|i| f.entry + i as u64),
        Arch::Arm64 => code
            .chunks_exact(4)
            .position(|w| bytes::u32_le(w, 0).is_some_and(is_svc))
            .map(|i| f.entry + 4 * i as u64),
        _ => None,
    }
}

fn is_svc(word: u32) -> bool {
    word & 0xffe0_001f == 0xd400_0001
}

/// Addresses of SVC instructions in executable sections. Exact on
/// arm64, where instructions are aligned 4-byte words.
fn svc_sites(bin: &Binary<'_>) -> Vec<u64> {
    let mut out = Vec::new();
    for s in bin.sections().iter().filter(|s| s.executable) {
        let Some(d) = bin.section_data(s) else {
            continue;
        };
        for (i, w) in d.chunks_exact(4).enumerate() {
            if bytes::u32_le(w, 0).is_some_and(is_svc) {
                out.push(s.addr.wrapping_add(4 * i as u64));
            }
        }
    }
    out
}

/// The function containing `addr`.
fn func_at<'a, 'n>(names: &'a FuncNames<'n>, addr: u64) -> Option<&'a FuncRange<'n>> {
    let i = names.funcs.partition_point(|f| f.entry <= addr);
    let f = names.funcs.get(i.checked_sub(1)?)?;
    (f.end == 0 || addr < f.end).then_some(f)
}

/// One sentence about the SVC instructions found: how many, and where
/// when there are few.
fn svc_evidence(bin: &Binary<'_>, names: Option<&FuncNames>) -> (usize, String) {
    let sites = svc_sites(bin);
    let n = sites.len();
    let mut s = match n {
        0 => return (0, "no SVC instruction in the code".to_string()),
        1 => "1 SVC instruction in the code".to_string(),
        _ => format!("{n} SVC instructions in the code"),
    };
    if let Some(names) = names {
        let mut funcs: Vec<&str> = sites
            .iter()
            .filter_map(|&a| func_at(names, a).map(|f| f.name))
            .collect();
        funcs.dedup();
        if !funcs.is_empty() && funcs.len() <= 3 {
            s.push_str(&format!(", in {}", funcs.join(", ")));
        } else if !funcs.is_empty() {
            s.push_str(&format!(", in {} functions", funcs.len()));
        }
    }
    (n, s)
}

fn syscall_mechanism(
    bin: &Binary<'_>,
    names: Option<&FuncNames>,
    cgo: bool,
    is_go: bool,
) -> SyscallMechanism {
    let instruction = match bin.arch {
        Arch::Amd64 => Some("SYSCALL"),
        Arch::Arm64 => Some("SVC"),
        _ => None,
    };
    let mut ev = Vec::new();
    if bin.os == Os::Darwin {
        let libsys: Vec<&Import> = bin
            .imports
            .iter()
            .filter(|i| {
                i.library
                    .as_deref()
                    .is_some_and(|l| l.contains("libSystem"))
            })
            .collect();
        for want in ["write", "read", "openat", "open"] {
            if let Some(i) = bin.imports.iter().find(|i| i.name == want) {
                ev.push(format!(
                    "imports {} from {}",
                    i.name,
                    i.library.as_deref().unwrap_or("an unnamed library")
                ));
                break;
            }
        }
        if !libsys.is_empty() {
            ev.push(format!(
                "{} functions imported from libSystem",
                libsys.len()
            ));
        }
        if let Some(n) = names {
            let tramp: Vec<&str> = n
                .funcs
                .iter()
                .filter(|f| f.name.contains("libc_") && f.name.contains("_trampoline"))
                .map(|f| f.name)
                .collect();
            if !tramp.is_empty() {
                let eg = tramp
                    .iter()
                    .find(|t| t.contains("libc_write_trampoline"))
                    .unwrap_or(&tramp[0]);
                ev.push(format!(
                    "{} libc_*_trampoline functions, e.g. {eg}",
                    tramp.len()
                ));
            }
        }
        if bin.arch == Arch::Arm64 {
            // Go's darwin entry stub keeps an `SVC $0x80` exit as a
            // fallback after main returns; it is named here, not hidden.
            ev.push(svc_evidence(bin, names).1);
        }
        let kind = if ev.is_empty() { "unknown" } else { "libc" };
        return SyscallMechanism {
            kind,
            instruction: None,
            evidence: ev,
        };
    }
    let mut raw = false;
    if let Some(n) = names {
        for name in RAW_SYSCALL_FUNCS {
            let Some(f) = find_func(n, name) else {
                continue;
            };
            if let Some(at) = trap_in(bin, f) {
                ev.push(format!(
                    "raw {} at {at:#x} in {}",
                    instruction.unwrap_or("trap"),
                    f.name
                ));
                raw = true;
                break;
            }
        }
    }
    if bin.arch == Arch::Arm64 {
        let (n, sentence) = svc_evidence(bin, names);
        if n > 0 {
            ev.push(sentence);
            raw = true;
        }
    }
    if !raw && bin.os == Os::Linux && bin.imports.is_empty() {
        ev.push(if is_go {
            "no imported functions: the Go runtime traps into the kernel itself".into()
        } else {
            "statically linked, no imported functions: the program traps into the kernel itself"
                .into()
        });
        raw = true;
    }
    let libc_calls: Vec<&str> = bin
        .imports
        .iter()
        .map(|i| i.name.as_str())
        .filter(|n| ["write", "read", "syscall", "open", "openat"].contains(n))
        .collect();
    if !libc_calls.is_empty() {
        let lib = bin.needed.first().map(String::as_str).unwrap_or("libc");
        ev.push(format!(
            "C code imports {} from {lib}",
            libc_calls.join(", ")
        ));
    } else if (cgo || !is_go) && !bin.imports.is_empty() {
        ev.push(format!(
            "{}{} functions imported from {}",
            if is_go { "cgo: " } else { "" },
            bin.imports.len(),
            bin.needed.join(", ")
        ));
    }
    let libc = cgo || !libc_calls.is_empty() || (!is_go && !bin.imports.is_empty());
    let kind = match (raw, libc) {
        (true, true) => "raw+libc",
        (true, false) => "raw",
        (false, true) => "libc",
        (false, false) => "unknown",
    };
    SyscallMechanism {
        kind,
        instruction: if raw { instruction } else { None },
        evidence: ev,
    }
}
