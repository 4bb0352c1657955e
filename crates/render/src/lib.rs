//! The only printer: the model and the analyses' reports rendered for
//! people and programs. One module per command ([`inspect`], [`funcs`],
//! [`addr2line`], [`disasm`], [`syscalls`], [`size`], [`compare`], and
//! [`strace`] and [`path`] for the live commands); every JSON document's
//! wire type in [`json`], with its `"schema"` name; one HTML escaper
//! ([`escape`]); one color policy ([`color`]).
//!
//! Printers write to a `&mut dyn Write` as they go, so long listings
//! stream; nothing here parses a file or runs a process.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod addr2line;
pub mod color;
pub mod compare;
pub mod disasm;
pub mod escape;
pub mod funcs;
pub mod html;
pub mod inspect;
pub mod json;
pub mod path;
pub mod progress;
pub mod size;
pub mod strace;
pub mod syscalls;
pub mod warnings;

/// The container format as every report names it.
fn format_name(f: model::Format) -> &'static str {
    match f {
        model::Format::Elf => "ELF",
        model::Format::Macho => "Mach-O",
    }
}
