//! Everything that touches the operating system below safe std: memory maps
//! of binaries ([`MappedFile`]) and, later, the ptrace engine. This is the
//! only crate allowed `unsafe`; every block carries a `// SAFETY:` line.
#![deny(missing_docs)]

mod mapped;

pub use mapped::MappedFile;
