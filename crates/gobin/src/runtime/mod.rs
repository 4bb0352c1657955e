//! What rabbithole knows about the Go runtime, in one place: how names map
//! to packages and which packages make up the runtime ([`names`]), and the
//! per-version layouts of the runtime's own structures that live tracing
//! reads ([`layout`]: TLS slot of `g`, `g`/`m` field offsets, goid).
//!
//! Every version check goes through [`crate::version::GoVersion`]; nothing
//! outside this module hard-codes an offset of a runtime structure.

pub mod layout;
pub mod names;
