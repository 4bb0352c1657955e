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
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

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

/// Bytes of code per piece of a parallel listing: large enough that a
/// piece outweighs handing it to a thread, small enough that the cores
/// finish together.
const PIECE_CODE: usize = 32 << 10;

/// Pieces per thread rendered before they are written: bounds the text
/// held in memory (a piece's text is about ten times its code).
const PIECES_PER_THREAD: usize = 4;

/// A binary's text ready to list: code, symbols and line table.
pub struct Listing<'a> {
    arch: Arch,
    text: &'a [u8],
    text_addr: u64,
    symtab: SymTab,
    tab: Option<&'a Pclntab<'a>>,
    /// PLT entries named as binutils names them (`free@plt`), by address.
    plt: Vec<(u64, String)>,
}

/// The listing's names: the symbol table, and for GNU-style `<sym+off>`
/// comments the PLT entries too, as binutils names a call into the PLT
/// `<free@plt>` (Go syntax, like `go tool objdump`, prints the address).
struct Names<'l> {
    symtab: &'l SymTab,
    plt: &'l [(u64, String)],
}

/// Bytes of one PLT entry (amd64 and arm64 alike).
const PLT_ENTRY: u64 = 16;

impl disasm::SymbolLookup for Names<'_> {
    fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        self.symtab.lookup(addr)
    }

    fn nearest(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.plt.partition_point(|p| p.0 <= addr);
        match i.checked_sub(1).map(|i| &self.plt[i]) {
            Some((start, name)) if addr < start + PLT_ENTRY => Some((name, *start)),
            _ => self.symtab.nearest(addr),
        }
    }
}

/// The functions of a JSON listing, decoded one at a time as serde writes
/// the array.
struct JsonFuncs<'l, 'a> {
    listing: &'l Listing<'a>,
    funcs: &'l [&'l Sym],
    opts: &'l Options,
}

impl serde::Serialize for JsonFuncs<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let lines = PcLines::new(self.listing.tab);
        let mut seq = ser.serialize_seq(Some(self.funcs.len()))?;
        for s in self.funcs {
            seq.serialize_element(&self.listing.json_func(s, self.opts, &lines))?;
        }
        seq.end()
    }
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
            tab,
            plt: Vec::new(),
        })
    }

    /// Names calls into these PLT entries (address, imported symbol) the
    /// way binutils does in GNU syntax.
    pub fn with_plt(mut self, entries: &[(u64, &str)]) -> Self {
        self.plt = entries
            .iter()
            .map(|&(a, n)| (a, format!("{n}@plt")))
            .collect();
        self
    }

    fn names(&self) -> Names<'_> {
        Names {
            symtab: &self.symtab,
            plt: &self.plt,
        }
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
    /// functions; returns the notes about it (source files skipped).
    /// `progress`: a whole-binary run, worth a progress line.
    ///
    /// The functions are cut into pieces of about [`PIECE_CODE`] bytes of
    /// code, which the machine's cores render at once, taking the next
    /// piece as they finish; the pieces are written in order, so the
    /// output is the same bytes as one thread's. At most a few pieces per
    /// thread wait in memory.
    pub fn write_text(
        &self,
        w: &mut dyn Write,
        funcs: &[&Sym],
        opts: &Options,
        progress: bool,
    ) -> io::Result<Vec<String>> {
        let source = SourceCache::new(opts.goroot.clone());
        let mut progress = if progress && funcs.len() > PROGRESS_OVER {
            Progress::on_stderr("disassembling", funcs.len())
        } else {
            None
        };
        let pieces = self.pieces(funcs);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(pieces.len().max(1));
        let mut written = |k: usize| {
            if let Some(p) = progress.as_mut() {
                p.update(pieces[k].end);
            }
        };
        if threads == 1 {
            for (k, r) in pieces.iter().enumerate() {
                w.write_all(self.render(funcs, r.clone(), opts, &source).as_bytes())?;
                written(k);
            }
        } else {
            self.write_parallel(w, funcs, &pieces, opts, &source, threads, &mut written)?;
        }
        w.flush()?;
        if let Some(p) = progress {
            p.finish();
        }
        Ok(source.skipped())
    }

    /// Consecutive runs of `funcs` with about [`PIECE_CODE`] bytes of code
    /// each.
    fn pieces(&self, funcs: &[&Sym]) -> Vec<Range<usize>> {
        let mut pieces = Vec::new();
        let (mut from, mut bytes) = (0, 0);
        for (k, s) in funcs.iter().enumerate() {
            bytes += self.code(s).len();
            if bytes >= PIECE_CODE {
                pieces.push(from..k + 1);
                (from, bytes) = (k + 1, 0);
            }
        }
        if from < funcs.len() {
            pieces.push(from..funcs.len());
        }
        pieces
    }

    /// Writes `pieces` rendered by `threads` threads, in order. Threads
    /// take the next piece as they finish one, but never more than
    /// [`PIECES_PER_THREAD`] per thread ahead of the writer, so memory
    /// stays bounded while writing overlaps rendering.
    #[allow(clippy::too_many_arguments)]
    fn write_parallel(
        &self,
        w: &mut dyn Write,
        funcs: &[&Sym],
        pieces: &[Range<usize>],
        opts: &Options,
        source: &SourceCache,
        threads: usize,
        written: &mut dyn FnMut(usize),
    ) -> io::Result<()> {
        let window = threads * PIECES_PER_THREAD;
        let next = AtomicUsize::new(0);
        // Pieces written so far (or usize::MAX once the writer stopped),
        // with the condition the workers wait on.
        let done = (Mutex::new(0usize), Condvar::new());
        let (tx, rx) = mpsc::sync_channel::<(usize, String)>(window);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (tx, next, done) = (tx.clone(), &next, &done);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(range) = pieces.get(i) else { break };
                    let mut n = done.0.lock().unwrap_or_else(|e| e.into_inner());
                    while i >= n.saturating_add(window) {
                        n = done.1.wait(n).unwrap_or_else(|e| e.into_inner());
                    }
                    let stopped = *n == usize::MAX;
                    drop(n);
                    if stopped {
                        break;
                    }
                    let text = self.render(funcs, range.clone(), opts, source);
                    if tx.send((i, text)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut pending = std::collections::BTreeMap::new();
            let mut expected = 0;
            let result = (|| {
                for (i, text) in &rx {
                    pending.insert(i, text);
                    while let Some(text) = pending.remove(&expected) {
                        w.write_all(text.as_bytes())?;
                        written(expected);
                        expected += 1;
                        *done.0.lock().unwrap_or_else(|e| e.into_inner()) = expected;
                        done.1.notify_all();
                    }
                }
                Ok(())
            })();
            if result.is_err() {
                // Release the workers: none renders or waits any more.
                *done.0.lock().unwrap_or_else(|e| e.into_inner()) = usize::MAX;
                done.1.notify_all();
                drop(rx);
            }
            result
        })
    }

    /// The text of `funcs[range]`, each function after a blank line but
    /// the listing's first.
    fn render(
        &self,
        funcs: &[&Sym],
        range: Range<usize>,
        opts: &Options,
        source: &SourceCache,
    ) -> String {
        // Each thread its own line cache: it remembers the function it
        // decoded last.
        let lines = PcLines::new(self.tab);
        let src_fn = |f: &str, l: i64| source.line(f, l);
        let list_opts = listing::Options {
            syntax: opts.syntax,
            both: opts.both,
        };
        let mut buf = String::new();
        for k in range {
            let s = funcs[k];
            if k > 0 {
                buf.push('\n');
            }
            listing::write_function(
                self.arch,
                &s.name,
                s.addr,
                self.code(s),
                &self.names(),
                &lines,
                list_opts,
                opts.source
                    .then_some(&src_fn as &dyn Fn(&str, i64) -> Option<String>),
                &mut buf,
            );
        }
        buf
    }

    /// Writes `funcs` as one JSON document on one line, decoding each
    /// function as it is written (a 100 MB text would otherwise be GBs of
    /// instructions in memory at once).
    pub fn write_json(&self, w: &mut dyn Write, funcs: &[&Sym], opts: &Options) -> io::Result<()> {
        let doc = json::Disasm {
            schema: json::schema::DISASM,
            arch: match self.arch {
                Arch::Amd64 => "amd64",
                Arch::Arm64 => "arm64",
            },
            functions: JsonFuncs {
                listing: self,
                funcs,
                opts,
            },
        };
        json::write_compact(w, &doc)
    }

    fn json_func(&self, s: &Sym, opts: &Options, lines: &PcLines<'_>) -> json::DisasmFunc {
        let code = self.code(s);
        let mut insts = Vec::new();
        let mut off = 0usize;
        while off < code.len() {
            let pc = s.addr + off as u64;
            let inst = disasm::decode(self.arch, &code[off..], pc);
            let len = (inst.len as usize).clamp(1, code.len() - off);
            let (file, line) = listing::Lines::at(lines, pc);
            let mut bytes = String::new();
            listing::hex_column(self.arch, &code[off..off + len], &mut bytes);
            insts.push(json::Inst {
                addr: pc,
                bytes,
                file: file.to_string(),
                line,
                text: inst.to_string(opts.syntax, &self.names()),
                gnu: opts
                    .both
                    .then(|| inst.to_string(Syntax::Gnu, &self.names())),
                target: inst.target,
            });
            off += len;
        }
        json::DisasmFunc {
            name: s.name.clone(),
            addr: s.addr,
            end: self.end(s),
            file: listing::Lines::at(lines, s.addr).0.to_string(),
            instructions: insts,
        }
    }

    fn text_end(&self) -> u64 {
        self.text_addr + self.text.len() as u64
    }

    /// Where `s`'s code ends: its size, cut at the end of the text and at
    /// the next function (a corrupt size must not make one function of the
    /// rest of the text).
    fn end(&self, s: &Sym) -> u64 {
        let syms = self.symtab.syms();
        let next = syms[syms.partition_point(|x| x.addr <= s.addr)..]
            .iter()
            .find(|x| x.text)
            .map_or(u64::MAX, |x| x.addr);
        s.addr.saturating_add(s.size).min(self.text_end()).min(next)
    }

    /// The bytes of `s`, as far as the text has them.
    fn code(&self, s: &Sym) -> &'a [u8] {
        let from = usize::try_from(s.addr.saturating_sub(self.text_addr)).unwrap_or(usize::MAX);
        let to = usize::try_from(self.end(s).saturating_sub(self.text_addr)).unwrap_or(usize::MAX);
        self.text.get(from..to.min(self.text.len())).unwrap_or(&[])
    }
}
