//! Every JSON document rabbithole prints, as wire types in one place
//! (the idea of ripgrep's `jsont.rs`): a script author reads this module,
//! or `docs/json.md`, and sees every key.
//!
//! Each document opens with `"schema": "rabbithole.<command>/<version>"`
//! (each line, for JSON Lines). The version stays while changes only add
//! keys; removing a key or changing its meaning bumps it. Nested reports
//! (`gobin::report::Report`, `analysis::size::SizeReport`, ...) are
//! serialized as their own types define, flattened where the document
//! says so.

use serde::Serialize;
use std::io::{self, Write};

/// The `"schema"` value of every command's documents.
pub mod schema {
    /// `rabbithole inspect --json`.
    pub const INSPECT: &str = "rabbithole.inspect/1";
    /// `rabbithole funcs --json`.
    pub const FUNCS: &str = "rabbithole.funcs/1";
    /// `rabbithole addr2line --json`.
    pub const ADDR2LINE: &str = "rabbithole.addr2line/1";
    /// `rabbithole disasm --json`.
    pub const DISASM: &str = "rabbithole.disasm/1";
    /// `rabbithole syscalls --json`.
    pub const SYSCALLS: &str = "rabbithole.syscalls/1";
    /// `rabbithole size --json`.
    pub const SIZE: &str = "rabbithole.size/1";
    /// `rabbithole compare --json`.
    pub const COMPARE: &str = "rabbithole.compare/1";
    /// `rabbithole trace --json`: every line (JSON Lines).
    pub const TRACE: &str = "rabbithole.trace/1";
    /// `rabbithole path --json`.
    pub const PATH: &str = "rabbithole.path/1";
}

/// Writes `doc` indented, then a newline: one document a run.
pub fn write_pretty(w: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, doc)?;
    writeln!(w)
}

/// Writes `doc` on one line, then a newline: for documents large enough
/// that indentation would double them.
pub fn write_compact(w: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *w, doc)?;
    writeln!(w)
}

/// `inspect` of a thin binary: the file, then the slice's report.
#[derive(Serialize)]
pub struct Inspect<'a> {
    /// [`schema::INSPECT`].
    pub schema: &'static str,
    /// The path as given.
    pub file: &'a str,
    /// Bytes in the file.
    pub file_size: u64,
    /// The report's own keys, at the top level.
    #[serde(flatten)]
    pub report: &'a gobin::report::Report,
}

/// `inspect` of a universal (fat) Mach-O: one report per slice.
#[derive(Serialize)]
pub struct InspectFat<'a> {
    /// [`schema::INSPECT`].
    pub schema: &'static str,
    /// The path as given.
    pub file: &'a str,
    /// Bytes in the file.
    pub file_size: u64,
    /// Always `"macho"`.
    pub format: &'static str,
    /// Always `true`.
    pub fat: bool,
    /// One report per architecture slice.
    pub slices: &'a [gobin::report::Report],
}

/// `funcs`: the pclntab's functions in address order.
#[derive(Serialize)]
pub struct Funcs<'a> {
    /// [`schema::FUNCS`].
    pub schema: &'static str,
    /// The functions the regex selected, all without one.
    pub functions: Vec<Func<'a>>,
    /// What looked wrong in the binary; absent when nothing did.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
}

/// One function of [`Funcs`].
#[derive(Serialize)]
pub struct Func<'a> {
    /// Name as the pclntab spells it.
    pub name: &'a str,
    /// First address.
    pub entry: u64,
    /// One past the last address.
    pub end: u64,
    /// Source file of the entry, if the table has one.
    pub file: Option<&'a str>,
    /// Line of the entry, if the table has one.
    pub line: Option<u32>,
    /// Calling convention.
    pub abi: gobin::pclntab::Abi,
    /// What the ABI was read from.
    pub abi_evidence: gobin::pclntab::AbiEvidence,
    /// Written in Go assembly.
    pub asm: bool,
}

/// `addr2line`: every address asked, in order.
#[derive(Serialize)]
pub struct Addr2line {
    /// [`schema::ADDR2LINE`].
    pub schema: &'static str,
    /// One entry per address.
    pub addresses: Vec<Addr>,
}

/// One address of [`Addr2line`].
#[derive(Serialize)]
pub struct Addr {
    /// The address asked.
    pub addr: u64,
    /// Innermost (inlined) frame first; empty outside every function.
    pub frames: Vec<Frame>,
}

/// One frame of an [`Addr`].
#[derive(Serialize)]
pub struct Frame {
    /// Function name.
    pub function: String,
    /// Source file.
    pub file: String,
    /// Source line.
    pub line: u32,
    /// Inlined into the frame that follows.
    pub inlined: bool,
}

/// `disasm`: the listing as data. `F` serializes as the array of
/// [`DisasmFunc`]; the listing passes one that decodes each function as
/// serde asks for it, so the document streams in bounded memory.
#[derive(Serialize)]
pub struct Disasm<F: Serialize> {
    /// [`schema::DISASM`].
    pub schema: &'static str,
    /// `amd64` or `arm64`.
    pub arch: &'static str,
    /// The functions listed, in address order.
    pub functions: F,
}

/// One function of [`Disasm`].
#[derive(Serialize)]
pub struct DisasmFunc {
    /// Symbol name.
    pub name: String,
    /// First address.
    pub addr: u64,
    /// One past the last address listed.
    pub end: u64,
    /// Source file of the first address ("" when unknown).
    pub file: String,
    /// The instructions.
    pub instructions: Vec<Inst>,
}

/// One instruction of a [`DisasmFunc`].
#[derive(Serialize)]
pub struct Inst {
    /// Address.
    pub addr: u64,
    /// Encoding in hex, as the text listing shows it.
    pub bytes: String,
    /// Source file ("" when unknown).
    pub file: String,
    /// Source line (0 outside every function, -1 past its line table).
    pub line: i64,
    /// The instruction in the chosen syntax.
    pub text: String,
    /// GNU syntax, with `--both`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gnu: Option<String>,
    /// Branch or call target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
}

/// `syscalls`: the sites found, with paths when `--to` asked for them.
#[derive(Serialize)]
pub struct Syscalls<'a> {
    /// [`schema::SYSCALLS`].
    pub schema: &'static str,
    /// The path as given.
    pub binary: &'a str,
    /// The function paths start at.
    pub from: &'a str,
    /// Sites in address order.
    pub sites: Vec<SyscallSite<'a>>,
}

/// One site of [`Syscalls`].
#[derive(Serialize)]
pub struct SyscallSite<'a> {
    /// The site's own keys, at this level.
    #[serde(flatten)]
    pub site: &'a analysis::Site,
    /// With `--to`: the paths found; absent without.
    #[serde(
        rename = "paths_to",
        skip_serializing_if = "<[analysis::Path]>::is_empty"
    )]
    pub paths: &'a [analysis::Path],
}

/// `size`: the file, then the report's keys.
#[derive(Serialize)]
pub struct Size<'a> {
    /// [`schema::SIZE`].
    pub schema: &'static str,
    /// The path as given.
    pub file: &'a str,
    /// The report's own keys, at the top level.
    #[serde(flatten)]
    pub report: &'a analysis::size::SizeReport,
}

/// `compare`: both files, then the comparison's keys.
#[derive(Serialize)]
pub struct Compare<'a> {
    /// [`schema::COMPARE`].
    pub schema: &'static str,
    /// First path as given.
    pub a: &'a str,
    /// Second path as given.
    pub b: &'a str,
    /// The comparison's own keys, at the top level.
    #[serde(flatten)]
    pub comparison: &'a analysis::compare::Comparison,
}
