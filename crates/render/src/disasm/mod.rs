//! `rabbithole disasm BIN`: the listing `go tool objdump` prints, in Go,
//! GNU or Intel syntax, on stripped binaries too; or the same as JSON.
//!
//! Names and sizes come from the symbol table when the binary has one (as
//! Go's objdump does, so the two listings diff clean), else from the
//! pclntab ([`symbols`]). File and line come from the pclntab in both
//! cases ([`lines`]).

pub mod lines;
pub mod source;
pub mod symbols;

use crate::json;
use crate::progress::Progress;
use disasm::listing;
use disasm::{Arch, Syntax};
use gobin::pclntab::Pclntab;
use gobin::symtab::{ObjFile, Sym, SymTab};
use lines::PcLines;
use source::SourceCache;
use std::io::{self, Write};
use std::path::PathBuf;

/// What the listing shows.
pub struct Options {
    /// Instruction syntax.
    pub syntax: Syntax,
    /// Go syntax with the GNU form beside it (`go tool objdump -gnu`).
    pub both: bool,
    /// Interleave source lines read from disk.
    pub source: bool,
    /// Where the standard library's sources are (`$GOROOT`), for `source`.
    pub goroot: Option<PathBuf>,
}

/// Above this many functions a whole-binary listing shows progress on a
/// terminal's stderr.
const PROGRESS_OVER: usize = 2000;

/// A binary's text ready to list: code, symbols and line table.
pub struct Listing<'a> {
    arch: Arch,
    text: &'a [u8],
    text_addr: u64,
    symtab: SymTab,
    lines: PcLines<'a>,
}

impl<'a> Listing<'a> {
    /// The listing of `obj`'s text, with `tab` for lines (and for symbols
    /// when the file has none); `None` when there are no symbols at all.
    pub fn new(obj: ObjFile<'a>, arch: Arch, tab: Option<&'a Pclntab<'a>>) -> Option<Self> {
        let symtab = if obj.symtab.syms().iter().any(|s| s.text) {
            obj.symtab
        } else {
            SymTab::new(symbols::pclntab_symbols(tab?))
        };
        Some(Listing {
            arch,
            text: obj.text,
            text_addr: obj.text_addr,
            symtab,
            lines: PcLines::new(tab),
        })
    }

    /// The functions in the text section whose names `keep` accepts, in
    /// address order.
    pub fn functions(&self, keep: impl Fn(&str) -> bool) -> Vec<&Sym> {
        let text_end = self.text_end();
        self.symtab
            .syms()
            .iter()
            .filter(|s| s.text && s.addr >= self.text_addr && s.addr < text_end)
            .filter(|s| keep(&s.name))
            .collect()
    }

    /// Writes the listing of `funcs`, streamed, a blank line between
    /// functions. `progress`: a whole-binary run, worth a progress line.
    pub fn write_text(
        &self,
        w: &mut dyn Write,
        funcs: &[&Sym],
        opts: &Options,
        progress: bool,
    ) -> io::Result<()> {
        let source = SourceCache::new(opts.goroot.clone());
        let src_fn = |f: &str, l: i64| source.line(f, l);
        let list_opts = listing::Options {
            syntax: opts.syntax,
            both: opts.both,
        };
        let mut progress = if progress && funcs.len() > PROGRESS_OVER {
            Progress::on_stderr("disassembling", funcs.len())
        } else {
            None
        };
        let mut buf = String::with_capacity(1 << 16);
        for (k, s) in funcs.iter().enumerate() {
            if k > 0 {
                buf.push('\n');
            }
            listing::write_function(
                self.arch,
                &s.name,
                s.addr,
                self.code(s),
                &self.symtab,
                &self.lines,
                list_opts,
                opts.source
                    .then_some(&src_fn as &dyn Fn(&str, i64) -> Option<String>),
                &mut buf,
            );
            if buf.len() > 1 << 16 {
                w.write_all(buf.as_bytes())?;
                buf.clear();
            }
            if let Some(p) = progress.as_mut().filter(|_| k % 500 == 0) {
                p.update(k);
            }
        }
        w.write_all(buf.as_bytes())?;
        w.flush()?;
        if let Some(p) = progress {
            p.finish();
        }
        Ok(())
    }

    /// Writes `funcs` as one JSON document on one line.
    pub fn write_json(&self, w: &mut dyn Write, funcs: &[&Sym], opts: &Options) -> io::Result<()> {
        let doc = json::Disasm {
            schema: json::schema::DISASM,
            arch: match self.arch {
                Arch::Amd64 => "amd64",
                Arch::Arm64 => "arm64",
            },
            functions: funcs.iter().map(|s| self.json_func(s, opts)).collect(),
        };
        json::write_compact(w, &doc)
    }

    fn json_func(&self, s: &Sym, opts: &Options) -> json::DisasmFunc {
        let code = self.code(s);
        let mut insts = Vec::new();
        let mut off = 0usize;
        while off < code.len() {
            let pc = s.addr + off as u64;
            let inst = disasm::decode(self.arch, &code[off..], pc);
            let len = (inst.len as usize).clamp(1, code.len() - off);
            let (file, line) = listing::Lines::at(&self.lines, pc);
            let mut bytes = String::new();
            listing::hex_column(self.arch, &code[off..off + len], &mut bytes);
            insts.push(json::Inst {
                addr: pc,
                bytes,
                file: file.to_string(),
                line,
                text: inst.to_string(opts.syntax, &self.symtab),
                gnu: opts.both.then(|| inst.to_string(Syntax::Gnu, &self.symtab)),
                target: inst.target,
            });
            off += len;
        }
        json::DisasmFunc {
            name: s.name.clone(),
            addr: s.addr,
            end: self.end(s),
            file: listing::Lines::at(&self.lines, s.addr).0.to_string(),
            instructions: insts,
        }
    }

    fn text_end(&self) -> u64 {
        self.text_addr + self.text.len() as u64
    }

    /// Where `s`'s code ends: its size, cut at the end of the text.
    fn end(&self, s: &Sym) -> u64 {
        s.addr.saturating_add(s.size).min(self.text_end())
    }

    /// The bytes of `s`, as far as the text has them.
    fn code(&self, s: &Sym) -> &'a [u8] {
        let from = usize::try_from(s.addr.saturating_sub(self.text_addr)).unwrap_or(usize::MAX);
        let to = usize::try_from(self.end(s).saturating_sub(self.text_addr)).unwrap_or(usize::MAX);
        self.text.get(from..to.min(self.text.len())).unwrap_or(&[])
    }
}
