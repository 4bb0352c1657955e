//! Turning records into [`Sink`] calls: per thread, which program it
//! runs, which `execve` is pending, which call's result waits to see
//! whether the thread dies in it.

use super::prog;
use super::record::{exit_kind, parse_syscall, signal_info, u32_field, Record};
use super::thread::EventThread;
use crate::event::{Birth, ExitKind, Sink, SyscallEntry, SyscallExit};
use std::collections::HashMap;
use std::time::Duration;

/// errnos the kernel turns into a restart (strace prints `= ?` when the
/// thread dies instead).
const RESTARTS: [i64; 4] = [-512, -513, -514, -516];
/// x86-64 `mmap` and its `PROT_EXEC` bit.
const MMAP_NR: u64 = 9;
const PROT_EXEC: u64 = 4;

/// Per-thread state between records.
#[derive(Default)]
pub(super) struct State {
    /// Threads alive and traced: tid -> tgid.
    pub(super) live: HashMap<i32, i32>,
    /// `execve` entries waiting for their exit, by tid.
    execs: HashMap<i32, SyscallEntry>,
    /// An exit with a restart errno, held until we know whether the
    /// thread dies in it (then strace shows `= ?`).
    pub(super) held: HashMap<i32, Record>,
    /// The first process, to report how it ended.
    pub(super) main: i32,
    pub(super) main_exit: Option<ExitKind>,
    /// The spawned program's own execve has been handled.
    pub(super) started: bool,
    /// Events handled.
    pub(super) events: u64,
}

impl State {
    /// A state whose first process is `main`.
    pub(super) fn new(main: i32) -> State {
        State {
            main,
            ..State::default()
        }
    }

    fn deliver(&mut self, rec: Record, sink: &mut dyn Sink) {
        let entry = rec.entry();
        let mut thread = rec.thread;
        // The entry decoder must see a value-result length as it was
        // before the kernel rewrote it.
        thread.prior = rec
            .entry_word
            .map(|(addr, value)| (addr, value.to_ne_bytes()));
        thread.time = (rec.entered != 0).then(|| Duration::from_nanos(rec.entered));
        sink.syscall_entry(&thread, &entry);
        thread.prior = None;
        thread.time = (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
        sink.syscall_exit(
            &thread,
            &SyscallExit {
                entry: Some(entry),
                rval: rec.ret,
                is_error: (-4095..0).contains(&rec.ret),
            },
        );
    }

    pub(super) fn flush(&mut self, tid: i32, sink: &mut dyn Sink) {
        if let Some(rec) = self.held.remove(&tid) {
            self.deliver(rec, sink);
        }
    }

    pub(super) fn handle(&mut self, data: &[u8], sink: &mut dyn Sink) {
        self.events += 1;
        let kind = u32_field(data, 0) & 0xff;
        let tid = u32_field(data, 8) as i32;
        let pid = u32_field(data, 12) as i32;
        match kind {
            prog::EV_SYSCALL => {
                let Some(rec) = parse_syscall(data) else {
                    return;
                };
                self.flush(tid, sink);
                self.live.entry(tid).or_insert(pid);
                // execve's exit: its registers belong to the new program.
                let former = if self.execs.contains_key(&tid) {
                    Some(tid)
                } else {
                    self.execs
                        .iter()
                        .find(|(t, e)| e.nr == rec.nr && self.live.get(t).is_none_or(|p| *p == pid))
                        .map(|(t, _)| *t)
                };
                if let Some(former) = former.filter(|f| rec.nr == self.exec_nr(*f)) {
                    let mut rec = rec;
                    rec.thread.time =
                        (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
                    let entry = self.execs.remove(&former).expect("found above");
                    if rec.ret == 0 {
                        if former != tid {
                            self.live.remove(&former);
                        }
                        // The spawned command's first exec starts the
                        // program that `process_ready` already announced
                        // (its mappings read once the exec was complete);
                        // passing it on would make the sink forget them,
                        // and the program may be gone by now.
                        let first = tid == self.main && former == tid && !self.started;
                        self.started |= tid == self.main;
                        if !first {
                            sink.exec(&rec.thread, former);
                        }
                    }
                    sink.syscall_exit(
                        &rec.thread,
                        &SyscallExit {
                            entry: Some(entry),
                            rval: rec.ret,
                            is_error: (-4095..0).contains(&rec.ret),
                        },
                    );
                    return;
                }
                // New code mapped (the dynamic loader bringing in libc):
                // its names must be read while the process still runs.
                let exec_map = rec.nr == MMAP_NR
                    && rec.args[2] & PROT_EXEC != 0
                    && !(-4095..0).contains(&rec.ret);
                if RESTARTS.contains(&rec.ret) {
                    self.held.insert(tid, rec);
                } else {
                    self.deliver(rec, sink);
                }
                if exec_map {
                    sink.process_ready(pid);
                }
            }
            prog::EV_ENTRY => {
                let Some(mut rec) = parse_syscall(data) else {
                    return;
                };
                rec.thread.time = (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
                self.flush(tid, sink);
                self.live.entry(tid).or_insert(pid);
                let entry = rec.entry();
                sink.syscall_entry(&rec.thread, &entry);
                self.execs.insert(tid, entry);
            }
            prog::EV_FORK => {
                let child = u32_field(data, 16) as i32;
                let child_pid = u32_field(data, 20) as i32;
                if self.live.insert(child, child_pid).is_none() {
                    let birth = if child_pid == pid {
                        Birth::Clone
                    } else {
                        Birth::Fork
                    };
                    sink.new_tracee(tid, child, child_pid, birth);
                }
            }
            prog::EV_EXIT => {
                let how = exit_kind(u32_field(data, 16));
                if let Some(mut rec) = self.held.remove(&tid) {
                    // Died inside the call: entry only, the sink shows `= ?`.
                    rec.thread.time = (rec.entered != 0).then(|| Duration::from_nanos(rec.entered));
                    let entry = rec.entry();
                    sink.syscall_entry(&rec.thread, &entry);
                }
                self.execs.remove(&tid);
                if self.live.remove(&tid).is_some() || tid == self.main {
                    if tid == self.main {
                        self.main_exit = Some(how);
                    }
                    sink.exited(tid, pid, how, None);
                }
            }
            prog::EV_SIGNAL => {
                self.flush(tid, sink);
                let info = signal_info(data.get(16..).unwrap_or(&[]));
                sink.signal(&EventThread::bare(tid, pid), &info);
            }
            _ => {}
        }
    }

    fn exec_nr(&self, tid: i32) -> u64 {
        self.execs.get(&tid).map_or(u64::MAX, |e| e.nr)
    }
}
