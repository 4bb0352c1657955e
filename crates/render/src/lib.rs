//! Rendering the model for people and programs: strace-compatible text,
//! JSON wire types, HTML. Depends on `model` alone.
#![deny(missing_docs)]

pub mod html;
pub mod path;
pub mod strace;
