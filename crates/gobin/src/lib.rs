//! Reading Go binaries: every byte layout the project reads from a file
//! lives here.
//!
//! - [`MappedFile`]: a binary's bytes, memory-mapped.
//! - [`container::Binary`]: an ELF or Mach-O image (via `object`):
//!   sections, segments, symbols, imports, PIE relocations, and its
//!   [`container::FileLayout`] (headers, load commands, symbol table).
//! - [`symtab::ObjFile`]: the text section and symbols as `go tool objdump`
//!   reads them; [`imports::Stubs`]: PLT entries and Mach-O stubs.
//! - [`GoBinary`]: a `Binary` with its [`pclntab::Pclntab`] (functions,
//!   pc-value tables, inline trees, and the table's parts by byte range),
//!   [`moduledata::Moduledata`], [`buildinfo`] and [`version::GoVersion`].
//! - [`runtime`]: what rabbithole knows about the Go runtime, per version.
//!
//! Everything works on borrowed bytes, usually a [`MappedFile`]; nothing
//! here runs the binary or does I/O beyond opening and mapping the file.
//! Fixed-width reads go through [`bytes`], the project's one reader.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod buildinfo;
pub mod bytes;
pub mod container;
pub mod dwarf;
pub mod file;
pub mod imports;
pub mod moduledata;
pub mod native;
pub mod pclntab;
pub mod report;
pub mod runtime;
pub mod symtab;
pub mod version;

pub use container::Binary;
pub use file::MappedFile;
pub use pclntab::GoBinary;

/// What can go wrong reading a binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(String),
    /// The bytes are not a well-formed ELF/Mach-O image.
    #[error("{0}")]
    Format(String),
    /// A Go structure is missing or malformed.
    #[error("{0}")]
    Go(String),
}
