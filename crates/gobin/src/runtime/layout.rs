//! Layouts of the runtime's structures per Go version, as live tracing
//! reads them from a process: where `g` is kept, and the offsets of the
//! `g` and `m` fields the unwinder and goroutine labels need.
