//! rabbithole's own one-line notes on stderr during `trace` and `path`
//! (attach and detach, the backend chosen, events lost, what was hidden),
//! each returned without the `rabbithole: ` lead that [`emit`] writes.

use std::io::Write as _;

/// Writes one note to stderr as `rabbithole: TEXT`, control characters
/// escaped (file names come from the command line or a binary). A closed or full
/// stderr is not an error worth dying for (`2>&- `, `2>&1 | head`): the
/// note is dropped.
pub fn emit(text: &str) {
    let text = crate::terminal::escape(text);
    let _ = writeln!(std::io::stderr().lock(), "rabbithole: {text}");
}

/// `-p`: tracing of a process or thread began.
pub fn attached(tid: i32) -> String {
    format!("Process {tid} attached")
}

/// `-p` and Ctrl-C: a thread was let go and keeps running.
pub fn detached(tid: i32) -> String {
    format!("Process {tid} detached")
}

/// `--backend auto` could not take eBPF.
pub fn ptrace_fallback(why: &str) -> String {
    format!("tracing with ptrace: {why}")
}

/// The eBPF ring buffer overflowed.
pub fn events_lost(lost: u64, shown: u64) -> String {
    format!(
        "{lost} events lost: the ring buffer was full ({shown} events shown; \
         a larger --ebpf-ring-size or --backend ptrace loses none)"
    )
}

/// The closing note of `--no-runtime`.
pub fn runtime_hidden(hidden: u64, seen: u64, hidden_signals: u64) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    format!(
        "--no-runtime hid {hidden} of {seen} syscall{} (made by the Go runtime itself) and {hidden_signals} SIGURG signal{}",
        plural(seen),
        plural(hidden_signals),
    )
}
