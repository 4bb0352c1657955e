//! The only printer: the model and the analyses' reports rendered for
//! people and programs. One module per command ([`inspect`], [`funcs`],
//! [`addr2line`], [`disasm`], [`syscalls`], [`size`], [`compare`], and
//! [`strace`] and [`path`] for the live commands); every JSON document's
//! wire type in [`json`], with its `"schema"` name; one HTML escaper
//! ([`escape`]); one terminal escaper ([`terminal`]); one color policy
//! ([`color`]); the examples, exit statuses and `--version` text of the
//! help and man pages ([`help`]); progress on a terminal's stderr
//! ([`progress`]).
//!
//! Printers write to a `&mut dyn Write` as they go, so long listings
//! stream; nothing here parses a file or runs a process.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod addr2line;
pub mod color;
pub mod compare;
pub mod disasm;
pub mod escape;
pub mod funcs;
pub mod help;
pub mod html;
pub mod inspect;
pub mod json;
pub mod notes;
pub mod path;
pub mod path_explain;
pub mod path_json;
pub mod path_notes;
pub mod progress;
pub mod size;
pub mod stack;
pub mod strace;
pub mod syscalls;
pub mod tally;
pub mod terminal;
pub mod trace_json;
pub mod warnings;

/// The container format as every report names it.
fn format_name(f: model::Format) -> &'static str {
    match f {
        model::Format::Elf => "ELF",
        model::Format::Macho => "Mach-O",
    }
}
