//! `rabbithole disasm BIN`: the listing `go tool objdump` prints, in Go,
//! GNU or Intel syntax, on stripped binaries too.
//!
//! Names and sizes come from the symbol table when the binary has one (as
//! Go's objdump does, so the two listings diff clean), else from the
//! pclntab. File and line come from the pclntab in both cases.

use anyhow::Context as _;
use disasm::listing::{self, Lines, Options};
use disasm::{Arch, Syntax};
use gobin::symtab::{ObjFile, Sym, SymTab};
use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

/// Arguments of `disasm`.
#[derive(clap::Args)]
pub struct Args {
    /// The binary to disassemble (never executed)
    pub binary: PathBuf,
    /// Only functions whose name matches this regular expression
    #[arg(short = 's', value_name = "REGEX")]
    pub symbol: Option<String>,
    /// Instruction syntax: go (as `go tool objdump`), gnu (AT&T / ARM), intel
    #[arg(long, default_value = "go", value_parser = parse_syntax)]
    pub syntax: Syntax,
    /// Go syntax with the GNU form beside it (like `go tool objdump -gnu`)
    #[arg(long)]
    pub both: bool,
    /// Interleave Go source lines when the source files are on disk
    #[arg(long)]
    pub source: bool,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
}

fn parse_syntax(s: &str) -> Result<Syntax, String> {
    Syntax::parse(s).ok_or_else(|| format!("unknown syntax {s:?} (go, gnu or intel)"))
}

/// Line lookups through the pclntab, with Go's answers for the odd cases
/// (`("", 0)` outside every function, line -1 where its table stops). The
/// current function's runs are decoded once, so a listing stays linear.
struct PcLines<'a> {
    tab: Option<&'a gobin::pclntab::Pclntab<'a>>,
    cache: std::cell::RefCell<FuncRuns<'a>>,
}

#[derive(Default)]
struct FuncRuns<'a> {
    entry: u64,
    end: u64,
    found: bool,
    runs: Vec<(u64, u64, Option<&'a str>, i32)>,
    /// The run that answered last: a listing asks in address order.
    hint: usize,
}

impl<'a> PcLines<'a> {
    fn new(tab: Option<&'a gobin::pclntab::Pclntab<'a>>) -> Self {
        PcLines {
            tab,
            cache: Default::default(),
        }
    }
}

impl Lines for PcLines<'_> {
    fn at(&self, pc: u64) -> (&str, i64) {
        let Some(tab) = self.tab else {
            return ("", 0);
        };
        let mut c = self.cache.borrow_mut();
        if !(c.entry <= pc && pc < c.end) {
            *c = match tab.func_at(pc) {
                Some(f) => FuncRuns {
                    entry: f.entry(),
                    end: f.end(),
                    found: true,
                    runs: f.line_runs(),
                    hint: 0,
                },
                None => FuncRuns {
                    entry: pc,
                    end: pc + 1,
                    found: false,
                    runs: Vec::new(),
                    hint: 0,
                },
            };
        }
        if !c.found {
            return ("", 0);
        }
        let has = |i: usize| c.runs.get(i).is_some_and(|r| r.0 <= pc && pc < r.1);
        let i = if has(c.hint) {
            c.hint
        } else if has(c.hint + 1) {
            c.hint + 1
        } else {
            c.runs.partition_point(|r| r.1 <= pc)
        };
        c.hint = i;
        match c.runs.get(i) {
            Some(&(start, _, file, line)) if start <= pc => (file.unwrap_or(""), i64::from(line)),
            _ => ("", -1),
        }
    }
}

/// The end of a function's code proper: where its line table stops,
/// before the alignment padding that runs to the next function.
fn code_end(f: &gobin::pclntab::Func<'_>) -> u64 {
    let (mut lo, mut hi) = (f.entry(), f.end());
    if f.line(lo).is_none() {
        return hi;
    }
    // Invariant: line(lo) is known; find the first pc without one.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f.line(mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Function symbols from the pclntab, named as the symbol table would
/// name them: when two functions share a name (an ABI wrapper and its
/// target), the ABI0 one gets the linker's `.abi0` suffix.
fn pclntab_symbols(tab: &gobin::pclntab::Pclntab<'_>) -> Vec<Sym> {
    use gobin::pclntab::Abi;
    let funcs: Vec<_> = tab.funcs().collect();
    let mut count: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in funcs.iter().enumerate() {
        count.entry(f.name()).or_default().push(i);
    }
    let mut abi0 = vec![false; funcs.len()];
    for idx in count.values().filter(|v| v.len() == 2) {
        let (a, b) = (idx[0], idx[1]);
        let (ka, kb) = (funcs[a].abi(), funcs[b].abi());
        match (ka, kb) {
            (Abi::Abi0, k) if k != Abi::Abi0 => abi0[a] = true,
            (k, Abi::Abi0) if k != Abi::Abi0 => abi0[b] = true,
            (Abi::Wrapper, Abi::Internal) => abi0[a] = true,
            (Abi::Internal, Abi::Wrapper) => abi0[b] = true,
            _ => {}
        }
    }
    funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = if abi0[i] {
                format!("{}.abi0", f.name())
            } else {
                f.name().to_string()
            };
            Sym {
                name,
                addr: f.entry(),
                size: code_end(f) - f.entry(),
                text: true,
            }
        })
        .collect()
}

/// Source lines read from disk, cached per file.
struct SourceCache {
    goroot: Option<PathBuf>,
    files: std::cell::RefCell<HashMap<String, Option<Vec<String>>>>,
}

impl SourceCache {
    fn line(&self, file: &str, line: i64) -> Option<String> {
        if file.is_empty() || line <= 0 {
            return None;
        }
        let mut files = self.files.borrow_mut();
        let lines = files.entry(file.to_string()).or_insert_with(|| {
            let mut candidates = vec![PathBuf::from(file)];
            if let Some(root) = &self.goroot {
                candidates.push(root.join("src").join(file));
            }
            candidates
                .iter()
                .find_map(|p| std::fs::read_to_string(p).ok())
                .map(|s| s.lines().map(str::to_string).collect())
        });
        let text = lines.as_ref()?.get(usize::try_from(line - 1).ok()?)?;
        Some(format!(
            "  {}:{line}\t{}",
            listing::base_name(file),
            text.trim_end()
        ))
    }
}

#[derive(serde::Serialize)]
struct JsonInst {
    addr: u64,
    bytes: String,
    file: String,
    line: i64,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    gnu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<u64>,
}

#[derive(serde::Serialize)]
struct JsonFunc {
    name: String,
    addr: u64,
    end: u64,
    file: String,
    instructions: Vec<JsonInst>,
}

/// Runs `disasm`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let path = &args.binary;
    let file =
        gobin::MappedFile::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let data = file.bytes();
    let obj = ObjFile::parse(data).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let arch = disasm::Arch::from_model(obj.arch).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: unsupported architecture (amd64 and arm64 only)",
            path.display()
        )
    })?;
    // Without a pclntab (not a Go binary) there are no file:line columns.
    let gb = gobin::GoBinary::parse(data).ok();
    let tab = gb.as_ref().map(|g| &g.pclntab);
    let symtab = if obj.symtab.syms().iter().any(|s| s.text) {
        obj.symtab.clone()
    } else if let Some(t) = tab {
        SymTab::new(pclntab_symbols(t))
    } else {
        anyhow::bail!("{}: no symbol table and no Go pclntab", path.display());
    };
    let filter = match &args.symbol {
        Some(re) => Some(regex::Regex::new(re).with_context(|| format!("bad -s pattern {re:?}"))?),
        None => None,
    };
    let lines = PcLines::new(tab);
    let text_end = obj.text_addr + obj.text.len() as u64;
    let funcs: Vec<&Sym> = symtab
        .syms()
        .iter()
        .filter(|s| s.text && s.addr >= obj.text_addr && s.addr < text_end)
        .filter(|s| filter.as_ref().is_none_or(|re| re.is_match(&s.name)))
        .collect();
    if funcs.is_empty() {
        if filter.is_some() {
            eprintln!(
                "rabbithole: no function matches {:?}",
                args.symbol.as_deref().unwrap_or("")
            );
        }
        return Ok(1);
    }
    let source = SourceCache {
        goroot: std::env::var_os("GOROOT").map(PathBuf::from),
        files: Default::default(),
    };
    let src_fn = |f: &str, l: i64| source.line(f, l);
    let opts = Options {
        syntax: args.syntax,
        both: args.both,
    };
    let progress = filter.is_none() && std::io::stderr().is_terminal() && funcs.len() > 2000;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.json {
        let mut out = Vec::with_capacity(funcs.len());
        for s in &funcs {
            out.push(json_func(
                arch,
                obj.text,
                obj.text_addr,
                s,
                &symtab,
                &lines,
                args.syntax,
                args.both,
            ));
        }
        serde_json::to_writer(
            &mut w,
            &serde_json::json!({ "arch": arch_name(arch), "functions": out }),
        )?;
        writeln!(w)?;
        w.flush()?;
        return Ok(0);
    }
    let mut buf = String::with_capacity(1 << 16);
    for (k, s) in funcs.iter().enumerate() {
        if k > 0 {
            buf.push('\n');
        }
        let end = s.addr.saturating_add(s.size).min(text_end);
        let code = slice(obj.text, obj.text_addr, s.addr, end);
        listing::write_function(
            arch,
            &s.name,
            s.addr,
            code,
            &symtab,
            &lines,
            opts,
            args.source
                .then_some(&src_fn as &dyn Fn(&str, i64) -> Option<String>),
            &mut buf,
        );
        if buf.len() > 1 << 16 {
            w.write_all(buf.as_bytes())?;
            buf.clear();
        }
        if progress && k % 500 == 0 {
            eprint!("\rdisassembling {}/{} functions", k, funcs.len());
        }
    }
    w.write_all(buf.as_bytes())?;
    w.flush()?;
    if progress {
        eprint!("\r\x1b[K");
    }
    Ok(0)
}

fn arch_name(a: Arch) -> &'static str {
    match a {
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "arm64",
    }
}

fn slice(text: &[u8], base: u64, start: u64, end: u64) -> &[u8] {
    let from = usize::try_from(start.saturating_sub(base)).unwrap_or(usize::MAX);
    let to = usize::try_from(end.saturating_sub(base)).unwrap_or(usize::MAX);
    text.get(from..to.min(text.len())).unwrap_or(&[])
}

#[allow(clippy::too_many_arguments)]
fn json_func(
    arch: Arch,
    text: &[u8],
    text_addr: u64,
    s: &Sym,
    syms: &SymTab,
    lines: &PcLines<'_>,
    syntax: Syntax,
    both: bool,
) -> JsonFunc {
    let end = s
        .addr
        .saturating_add(s.size)
        .min(text_addr + text.len() as u64);
    let code = slice(text, text_addr, s.addr, end);
    let mut insts = Vec::new();
    let mut off = 0usize;
    while off < code.len() {
        let pc = s.addr + off as u64;
        let inst = disasm::decode(arch, &code[off..], pc);
        let len = (inst.len as usize).clamp(1, code.len() - off);
        let (file, line) = lines.at(pc);
        let mut bytes = String::new();
        listing::hex_column(arch, &code[off..off + len], &mut bytes);
        insts.push(JsonInst {
            addr: pc,
            bytes,
            file: file.to_string(),
            line,
            text: inst.to_string(syntax, syms),
            gnu: both.then(|| inst.to_string(Syntax::Gnu, syms)),
            target: inst.target,
        });
        off += len;
    }
    JsonFunc {
        name: s.name.clone(),
        addr: s.addr,
        end,
        file: lines.at(s.addr).0.to_string(),
        instructions: insts,
    }
}
