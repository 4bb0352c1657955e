//! The eBPF backend's session: spawning or attaching, draining the ring
//! into the sink, noticing the end.

use super::kernel::Kernel;
use super::state::State;
use super::{prog, Options};
use crate::engine::Outcome;
use crate::event::{ExitKind, Sink};
use crate::stop::{self, Next};
use crate::{proc, sys, Error};
use std::ffi::{OsStr, OsString};
use std::time::Duration;

/// A trace running in the kernel.
pub struct EbpfTracer {
    kernel: Kernel,
    state: State,
    /// The spawned command, until reaped.
    child: Option<i32>,
    child_status: Option<ExitKind>,
    /// `-p` processes.
    attached: Vec<i32>,
    /// Processes to announce with [`Sink::process_ready`] on the next run.
    ready: Vec<i32>,
    /// The spawned child, stopped after its exec until announced.
    held_at_exec: Option<i32>,
}

impl EbpfTracer {
    /// Loads the programs, starts `program` blocked before its `execve`,
    /// marks it as waiting for exec in the tgid set and lets it go: its
    /// first traced instruction is the `execve`.
    pub fn spawn(program: &OsStr, args: &[OsString], opts: &Options) -> Result<Self, Error> {
        let prep = crate::spawn::prepare(program, args)?;
        let path = crate::spawn::resolve(program)?;
        let kernel = Kernel::load(opts, Some(&path))?;
        // The child stops once at its exec (a ptrace stop it cannot see),
        // so its mappings are read before a short program can be gone;
        // `run` lets it go at once.
        let child = crate::spawn::fork_child_with(&prep, None, true)?;
        if let Err(e) = kernel.set_tgid(child.pid, prog::PENDING) {
            let _ = sys::send_signal(child.pid, libc::SIGKILL);
            let _ = stop::wait(Some(child.pid), true);
            return Err(e);
        }
        crate::spawn::release(child.sync_write);
        let mut state = State::new(child.pid);
        state.live.insert(child.pid, child.pid);
        let mut t = EbpfTracer {
            kernel,
            state,
            child: Some(child.pid),
            child_status: None,
            attached: Vec::new(),
            ready: vec![child.pid],
            held_at_exec: None,
        };
        // A failed exec reports its errno on the error pipe.
        let exec_failed = crate::spawn::exec_error(child.error_read);
        crate::spawn::close(child.error_read);
        if let Some(error) = exec_failed {
            t.reap(true);
            return Err(Error::Exec {
                program: program.to_string_lossy().into_owned(),
                error,
            });
        }
        // Stopped at the exec (SIGTRAP), or ended before it.
        match stop::wait(Some(child.pid), true)? {
            Next::Stopped { .. } => t.held_at_exec = Some(child.pid),
            Next::Ended { how, .. } => {
                t.child = None;
                t.child_status = Some(how);
            }
            Next::Nothing | Next::Interrupted | Next::NoChildren => {}
        }
        Ok(t)
    }

    /// Starts tracing running processes (all their threads) without
    /// stopping them.
    pub fn attach(pids: &[i32], opts: &Options) -> Result<Self, Error> {
        let exe = pids.first().and_then(|&p| proc::executable(p));
        let kernel = Kernel::load(opts, exe.as_deref())?;
        let mut state = State::default();
        let mut attached = Vec::new();
        for &pid in pids {
            let tgid = proc::thread_group_of(pid).ok_or_else(|| Error::Attach {
                pid,
                source: std::io::Error::from_raw_os_error(libc::ESRCH),
            })?;
            if proc::is_kernel_thread(tgid) {
                // What ptrace says: a kernel thread cannot be traced (and
                // would wait forever here, making no system calls).
                return Err(Error::Attach {
                    pid,
                    source: std::io::Error::from_raw_os_error(libc::EPERM),
                });
            }
            kernel.set_tgid(tgid, prog::ACTIVE)?;
            for tid in proc::threads_of(tgid).unwrap_or_default() {
                if opts.follow || tid == tgid {
                    state.live.insert(tid, tgid);
                }
            }
            attached.push(tgid);
        }
        state.main = attached.first().copied().unwrap_or(0);
        // Running programs: any exec from now on is a new program.
        state.started = true;
        Ok(EbpfTracer {
            kernel,
            state,
            child: None,
            child_status: None,
            ready: attached.clone(),
            held_at_exec: None,
            attached,
        })
    }

    /// Threads traced now.
    pub fn tracee_count(&self) -> usize {
        self.state.live.len().max(1)
    }

    /// Records the kernel could not hand over (ring buffer full).
    pub fn lost(&self) -> u64 {
        self.kernel.lost()
    }

    /// Passes a signal rabbithole received on to the spawned command.
    pub fn signal_main(&self, signal: i32) {
        if let Some(pid) = self.child {
            // Our unreaped child: the pid cannot have been reused.
            let _ = sys::send_signal(pid, signal);
        }
    }

    /// Kills the spawned command and every process of its tree that is
    /// traced (attached processes are left alone).
    pub fn kill_spawned(&self) {
        let Some(child) = self.child else { return };
        let mut pids: Vec<i32> = self.state.live.values().copied().collect();
        pids.push(child);
        pids.sort_unstable();
        pids.dedup();
        for pid in pids {
            let _ = sys::send_signal(pid, libc::SIGKILL);
        }
    }

    /// Records handled so far.
    pub fn events(&self) -> u64 {
        self.state.events
    }

    fn reap(&mut self, block: bool) {
        let Some(pid) = self.child else { return };
        match stop::wait(Some(pid), block) {
            Ok(Next::Ended { how, .. }) => {
                self.child = None;
                self.child_status = Some(how);
            }
            Ok(Next::NoChildren) | Err(_) => self.child = None,
            Ok(Next::Stopped { .. } | Next::Nothing | Next::Interrupted) => {}
        }
    }

    /// Drops threads that are gone without an exit record (records
    /// lost, or exits before tracing began).
    fn prune(&mut self) {
        self.state.live.retain(|&tid, _| proc::exists(tid));
    }

    /// Hands records to `sink` until every traced thread has ended or
    /// rabbithole got a signal.
    pub fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error> {
        for pid in std::mem::take(&mut self.ready) {
            sink.process_ready(pid);
        }
        if let Some(pid) = self.held_at_exec.take() {
            // Its pending SIGTRAP is dropped (signal 0).
            let _ = sys::detach(pid, 0);
        }
        // Quiet since: the reader polls every 200 us for a while after
        // the last record (a short program's events, such as the mapping
        // of its libraries, are read while it still runs), then every
        // 2 ms.
        let mut quiet = std::time::Instant::now();
        loop {
            let state = &mut self.state;
            let n = self.kernel.ring.drain(|rec| state.handle(rec, sink));
            if let Some(r) = crate::interrupt::take() {
                return Ok(Outcome::Interrupted(r));
            }
            if n > 0 {
                quiet = std::time::Instant::now();
                continue;
            }
            let idle = quiet.elapsed();
            self.reap(false);
            let done = if self.attached.is_empty() {
                self.child.is_none()
            } else {
                self.attached.iter().all(|&p| !proc::exists(p))
            };
            if done {
                // Everything the kernel wrote before the end is in the
                // ring now; take it, then settle threads whose exit was
                // not seen.
                let state = &mut self.state;
                self.kernel.ring.drain(|rec| state.handle(rec, sink));
                self.prune();
                if self.state.live.is_empty() || idle > Duration::from_millis(400) {
                    let held: Vec<i32> = self.state.held.keys().copied().collect();
                    for tid in held {
                        self.state.flush(tid, sink);
                    }
                    let how = self.child_status.or(self.state.main_exit);
                    return Ok(Outcome::Finished(how));
                }
            }
            let fast = idle < Duration::from_millis(50);
            std::thread::sleep(Duration::from_micros(if fast { 200 } else { 2000 }));
        }
    }

    /// Stops tracing (`-p` and Ctrl-C): the processes never noticed.
    pub fn detach_all(&mut self, sink: &mut dyn Sink) {
        for p in &self.attached {
            self.kernel.tgids.delete(&p.to_ne_bytes());
        }
        let state = &mut self.state;
        self.kernel.ring.drain(|rec| state.handle(rec, sink));
        let mut tids: Vec<(i32, i32)> = self.state.live.drain().collect();
        tids.sort();
        for (tid, pid) in tids {
            sink.detached(tid, pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ebpf::available;
    use crate::event::SyscallEntry;
    use crate::Thread;
    use std::collections::HashSet;

    #[derive(Default)]
    struct Count {
        calls: Vec<String>,
        exits: usize,
    }

    impl Sink for Count {
        fn syscall_entry(&mut self, t: &dyn Thread, c: &SyscallEntry) -> crate::Control {
            let mut b = [0u8; 64];
            let n = t.read_memory(c.args[1], &mut b).unwrap_or(0);
            self.calls
                .push(format!("{} {:?}", c.nr, String::from_utf8_lossy(&b[..n])));
            crate::Control::Continue
        }
        fn exited(&mut self, _: i32, _: i32, _: ExitKind, _: Option<&SyscallEntry>) {
            self.exits += 1;
        }
    }

    #[test]
    fn traces_a_command_in_the_kernel() {
        if available().is_err() {
            eprintln!("skipped: {:?}", available());
            return;
        }
        let opts = Options {
            names: vec![
                (257, "openat"),
                (59, "execve"),
                (231, "exit_group"),
                (1, "write"),
            ],
            stack_depth: 16,
            ..Options::default()
        };
        let mut t = EbpfTracer::spawn(
            OsStr::new("/bin/sh"),
            &["-c".into(), "echo hi >/dev/null; exit 3".into()],
            &opts,
        )
        .unwrap();
        let mut sink = Count::default();
        let out = t.run(&mut sink).unwrap();
        assert!(
            matches!(out, Outcome::Finished(Some(ExitKind::Exited(3)))),
            "{out:?}"
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("59 ")),
            "{:?}",
            sink.calls
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("1 \"hi")),
            "{:?}",
            sink.calls
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("257 \"/dev/null")),
            "{:?}",
            sink.calls
        );
        assert!(sink.exits >= 1);
        assert_eq!(t.lost(), 0);
    }

    /// Per write: the stack key and whether the record carried the stack.
    #[derive(Default)]
    struct Keys(Vec<(Option<u64>, bool)>);

    impl Sink for Keys {
        fn syscall_entry(&mut self, t: &dyn Thread, c: &SyscallEntry) -> crate::Control {
            if c.nr == 1 {
                let mut b = [0u8; 8];
                let carried = t.read_memory(c.sp, &mut b).is_ok();
                self.0.push((t.stack_key(), carried));
            }
            crate::Control::Continue
        }
    }

    #[test]
    fn repeated_stacks_are_sent_once() {
        if available().is_err() {
            eprintln!("skipped: {:?}", available());
            return;
        }
        let opts = Options {
            names: vec![(59, "execve"), (231, "exit_group"), (1, "write")],
            stack_depth: 16,
            ..Options::default()
        };
        let script = "i=0; while [ $i -lt 50 ]; do echo hi; i=$((i+1)); done >/dev/null";
        let mut t =
            EbpfTracer::spawn(OsStr::new("/bin/sh"), &["-c".into(), script.into()], &opts).unwrap();
        let mut sink = Keys::default();
        t.run(&mut sink).unwrap();
        assert_eq!(sink.0.len(), 50, "{:?}", sink.0);
        let mut seen = HashSet::new();
        for &(key, carried) in &sink.0 {
            let key = key.expect("every stack record has a digest");
            // The first record of a stack carries it; repeats leave it out.
            assert_eq!(carried, seen.insert(key), "{:?}", sink.0);
        }
        assert!(seen.len() < 10, "the loop's writes share stacks: {seen:?}");
        assert_eq!(t.lost(), 0);
    }
}
