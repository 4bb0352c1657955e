//! Syscall events and their typed arguments, as decoders produce them.
