//! Loading the backend into the kernel: the maps, the programs generated
//! for this trace's settings, their attachment to the tracepoints.

use super::{available, btf, capture, prog, Options};
use crate::sys::bpf::{self, Map};
use crate::sys::ringbuf::RingBuf;
use crate::Error;
use gobin::runtime::layout::G_HEAD_BYTES;
use std::os::fd::OwnedFd;

/// Loaded programs, their maps and the ring buffer.
pub(super) struct Kernel {
    pub(super) tgids: Map,
    stats: Map,
    pub(super) ring: RingBuf,
    _maps: Vec<Map>,
    _links: Vec<OwnedFd>,
}

impl Kernel {
    pub(super) fn load(opts: &Options, program: Option<&std::path::Path>) -> Result<Kernel, Error> {
        if let Err(why) = available() {
            return Err(Error::Os {
                what: "eBPF backend",
                source: std::io::Error::other(why),
            });
        }
        // The ring's pages are allocated and cleared by the kernel, the
        // slowest step of the start: on another core, while the kernel's
        // BTF is parsed and the other maps are made.
        let ring_size = opts.ring_size;
        let ring = std::thread::spawn(move || RingBuf::create(ring_size));
        let btf = btf::Btf::vmlinux().ok_or_else(|| Error::Os {
            what: "eBPF backend",
            source: std::io::Error::other("cannot parse /sys/kernel/btf/vmlinux"),
        })?;
        let field = |path: &str| {
            btf.offset("task_struct", path).ok_or_else(|| Error::Os {
                what: "eBPF backend",
                source: std::io::Error::other(format!("no task_struct.{path} in the kernel's BTF")),
            })
        };
        let task_pid = field("pid")?;
        let task_exit_code = field("exit_code")?;
        let go = if opts.stack_depth > 0 {
            program.and_then(|p| go_offsets(p, btf.offset("task_struct", "thread.fsbase")?))
        } else {
            None
        };
        let tgids = Map::create_with(bpf::MAP_HASH, 4, 4, 16384, bpf::NO_PREALLOC, "rh_tgids")?;
        let syscfg = Map::create(
            bpf::MAP_ARRAY,
            4,
            prog::CFG_SIZE,
            prog::NR_MAX,
            "rh_syscalls",
        )?;
        let scratch = Map::create(
            bpf::MAP_PERCPU_ARRAY,
            4,
            prog::SCRATCH_VALUE,
            1,
            "rh_scratch",
        )?;
        let stats = Map::create(bpf::MAP_ARRAY, 4, 32, 1, "rh_stats")?;
        // Entry times per thread in a call, only kept for -T/-t/-c: the
        // preallocated table costs milliseconds to create.
        let starts = Map::create(
            bpf::MAP_HASH,
            4,
            8,
            if opts.timing { 65536 } else { 1 },
            "rh_starts",
        )?;
        let words = Map::create(bpf::MAP_HASH, 4, 8, 16384, "rh_words")?;
        let known = Map::create_with(
            bpf::MAP_HASH,
            8,
            8,
            if opts.stack_depth > 0 {
                prog::KNOWN_STACKS
            } else {
                1
            },
            bpf::NO_PREALLOC,
            "rh_known",
        )?;
        let ring = ring.join().map_err(|_| Error::Os {
            what: "eBPF ring buffer",
            source: std::io::Error::other("the thread creating it panicked"),
        })??;
        let ring = RingBuf::from_map(ring)?;
        let execve = |name: &str| {
            opts.names
                .iter()
                .find(|(_, n)| *n == name)
                .map_or(u32::MAX >> 1, |(nr, _)| *nr as u32)
        };
        let settings = prog::Settings {
            stack_depth: opts.stack_depth.min(64) as u32,
            g_bytes: if opts.stack_depth > 0 {
                G_HEAD_BYTES as u32
            } else {
                0
            },
            timing: opts.timing,
            follow: opts.follow,
            str_cap: (opts.string_limit.min(4000) + 2) as u32,
            execve_nrs: [execve("execve"), execve("execveat")],
            task_pid,
            task_exit_code,
            go,
        };
        for (nr, value) in capture::syscall_table(opts) {
            syscfg.update(&nr.to_ne_bytes(), &value)?;
        }
        let fds = prog::MapFds {
            tgids: tgids.fd(),
            syscfg: syscfg.fd(),
            scratch: scratch.fd(),
            events: ring.map().fd(),
            stats: stats.fd(),
            starts: starts.fd(),
            words: words.fd(),
            known: known.fd(),
        };
        let bad = |e: String| Error::Os {
            what: "eBPF program",
            source: std::io::Error::other(e),
        };
        let mut programs = vec![
            (
                "rh_sys_enter",
                "sys_enter",
                prog::sys_enter(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_sys_exit",
                "sys_exit",
                prog::sys_exit(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_exit",
                "sched_process_exit",
                prog::exit(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_signal",
                "signal_deliver",
                prog::signal(&fds, &settings).map_err(bad)?,
            ),
        ];
        if opts.follow {
            programs.push((
                "rh_fork",
                "sched_process_fork",
                prog::fork(&fds, &settings).map_err(bad)?,
            ));
        }
        // The verifier runs in the loading thread: the two large programs
        // are checked on both cores at once.
        let mut loaded = Vec::new();
        std::thread::scope(|scope| -> Result<(), Error> {
            let (first, rest) = programs.split_first().expect("sys_enter is first");
            let other = scope.spawn(|| bpf::load_program(first.0, &first.2));
            for (name, tp, insns) in rest {
                loaded.push((*tp, bpf::load_program(name, insns)?));
            }
            let fd = other.join().map_err(|_| Error::Os {
                what: "eBPF program",
                source: std::io::Error::other("the thread loading it panicked"),
            })??;
            loaded.push((first.1, fd));
            Ok(())
        })?;
        let mut links = Vec::new();
        for (tp, fd) in &loaded {
            links.push(bpf::attach_raw_tracepoint(tp, fd)?);
        }
        Ok(Kernel {
            tgids,
            stats,
            ring,
            _maps: vec![syscfg, scratch, starts, words, known],
            _links: links,
        })
    }

    pub(super) fn set_tgid(&self, tgid: i32, state: u32) -> Result<(), Error> {
        self.tgids.update(&tgid.to_ne_bytes(), &state.to_ne_bytes())
    }

    pub(super) fn lost(&self) -> u64 {
        let mut v = [0u8; 32];
        if self.stats.lookup(&0u32.to_ne_bytes(), &mut v) {
            gobin::bytes::u64_le(&v, 0).unwrap_or(0)
        } else {
            0
        }
    }
}

/// The Go layout of the program at `path` for the kernel side, `None`
/// when it is not a Go program the unwinder knows.
fn go_offsets(path: &std::path::Path, task_fsbase: u32) -> Option<prog::GoOffsets> {
    let module = crate::symbolize::Module::open(path).ok()?;
    let version = module.go()?.version?;
    let (g, m) = gobin::runtime::layout::layouts(version)?;
    let small = |v: usize| i16::try_from(v).ok();
    Some(prog::GoOffsets {
        task_fsbase,
        tls: i32::try_from(module.g_tls_offset_amd64()).ok()?,
        g_goid: small(g.goid)?,
        g_m: small(g.m)?,
        g_sched_sp: small(g.sched_sp)?,
        g_sched_bp: small(g.sched_bp)?,
        m_curg: small(m.curg)?,
    })
}
