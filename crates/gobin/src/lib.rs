//! Reading Go binaries: the container ([`container::Binary`] over ELF and
//! Mach-O), and the Go structures inside it.
//!
//! Everything works on borrowed bytes, usually a memory map the caller made
//! (`tracer::MappedFile`, the one place allowed `unsafe`); nothing here
//! runs the binary or does I/O beyond opening and mapping the file.
#![deny(missing_docs)]

pub mod buildinfo;
pub mod container;
pub mod moduledata;
pub mod pclntab;
pub mod report;
pub mod version;

pub use container::Binary;
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
