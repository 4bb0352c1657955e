//! Plain data shared by every rabbithole crate: no logic, no I/O.
//!
//! - [`Arch`], [`Os`], [`Format`]: what a binary or a traced process is.
//! - [`Frame`]: one logical stack or inline frame, as `addr2line`, the
//!   unwinder and `path` report it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod path;
pub mod syscall;

use serde::Serialize;

/// Instruction set of a binary or a traced thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// x86-64 (Go's GOARCH=amd64).
    Amd64,
    /// AArch64 (Go's GOARCH=arm64).
    Arm64,
    /// Anything else; the name as the container spells it.
    #[serde(untagged)]
    Other(&'static str),
}

impl Arch {
    /// The GOARCH spelling (`amd64`, `arm64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Other(s) => s,
        }
    }
}

/// Operating system a binary targets (GOOS spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Linux (ELF).
    Linux,
    /// macOS (Mach-O).
    Darwin,
    /// Not known from the container.
    Unknown,
}

impl Os {
    /// The GOOS spelling.
    pub fn name(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Darwin => "darwin",
            Os::Unknown => "unknown",
        }
    }
}

/// Container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// ELF.
    Elf,
    /// Mach-O (thin).
    Macho,
}

/// One logical frame: a function at a source position. Inlined frames
/// come before the physical function that contains them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// Program counter the frame was computed for.
    pub pc: u64,
    /// Go function name as the pclntab spells it (no ABI suffix).
    pub function: String,
    /// Source file, as recorded in the binary.
    pub file: String,
    /// Source line; 0 when unknown.
    pub line: u32,
    /// True when this frame was inlined into its caller.
    pub inlined: bool,
}
