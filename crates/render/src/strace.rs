//! strace-compatible text for syscall events.
