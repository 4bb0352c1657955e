//! Rendering the model for people and programs: strace-compatible text,
//! JSON wire types, HTML. Depends on `model`, and on serde for the JSON
//! wire types.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod html;
pub mod notes;
pub mod path;
pub mod path_explain;
pub mod path_json;
pub mod path_notes;
pub mod stack;
pub mod strace;
pub mod tally;
pub mod trace_json;
