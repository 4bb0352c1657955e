//! 1,000 mutants of committed fixtures (bytes flipped in the headers, the
//! pclntab and the build info; truncations; huge sizes and out-of-range
//! offsets written over header fields) through every static command, each
//! with a deadline and a 1 GiB data limit. Each run must end in one of two
//! ways: exit 0/1 with a report (warnings allowed), or exit 2 with one
//! line on stderr. A panic (101), a signal (an allocation over the limit
//! aborts) or a run past the deadline fails the test, naming the mutant,
//! which is kept under target/tmp for replay.
//!
//! `RABBITHOLE_MUTANTS=N` changes the count (the seed is fixed, so a
//! failure reproduces).

mod crafted;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FIXTURES: &[&str] = &[
    "syscall_minimal-go1.21-linux-amd64-stripped",
    "syscall_minimal-go1.27-linux-amd64",
    "syscall_minimal-go1.27-darwin-arm64-stripped",
    "syscall_minimal-go1.19-linux-arm64",
];

const DEADLINE: Duration = Duration::from_secs(20);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Where the Go structures are: the pclntab and build info, found by
/// their magics (so the mutants hit them, not only code).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn mutate(base: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let mut d = base.to_vec();
    let pcln = [
        &[0xf1, 0xff, 0xff, 0xff, 0, 0][..],
        &[0xf0, 0xff, 0xff, 0xff, 0, 0][..],
        &[0xfa, 0xff, 0xff, 0xff, 0, 0][..],
    ]
    .iter()
    .find_map(|m| find(&d, m))
    .unwrap_or(0);
    let info = find(&d, b"\xff Go buildinf:").unwrap_or(0);
    match rng.below(6) {
        0 => {
            let n = 1 + rng.below(16);
            for _ in 0..n {
                let at = rng.below(4096.min(d.len()));
                d[at] ^= 1 << rng.below(8);
            }
            (d, format!("header: {n} bits"))
        }
        1 => {
            for _ in 0..8 {
                let at = (pcln + rng.below(4096)).min(d.len() - 1);
                d[at] = rng.next() as u8;
            }
            (d, format!("pclntab at {pcln:#x}: 8 bytes"))
        }
        2 => {
            for _ in 0..4 {
                let at = (info + rng.below(64)).min(d.len() - 1);
                d[at] = rng.next() as u8;
            }
            (d, format!("buildinfo at {info:#x}: 4 bytes"))
        }
        3 => {
            let len = rng.below(d.len());
            d.truncate(len);
            (d, format!("truncated to {len}"))
        }
        4 => {
            // A header word (offset, size, count) made huge.
            let at = rng.below(512.min(d.len() - 8)) & !3;
            let v: u64 = [u64::MAX, 0xffff_ffff, 1 << 40, 0x7fff_ffff][rng.below(4)];
            d[at..at + 8].copy_from_slice(&v.to_le_bytes());
            (d, format!("header word at {at:#x} = {v:#x}"))
        }
        _ => {
            // A pclntab word (counts, offsets) made out of range.
            let at = (pcln + 8 + 8 * rng.below(8)).min(d.len() - 8);
            d[at..at + 8].copy_from_slice(&(rng.next() >> rng.below(60)).to_le_bytes());
            (d, format!("pclntab word at {at:#x}"))
        }
    }
}

/// Runs one static command on `file`; an error describes a broken rule.
fn check(args: &[&str], file: &Path, other: &Path) -> Result<(), String> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -d 1048576 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_rabbithole"))
        .arg(args[0])
        .arg(file);
    for a in &args[1..] {
        if *a == "OTHER" {
            cmd.arg(other);
        } else {
            cmd.arg(a);
        }
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            let _ = child.wait();
            return Err(format!("{args:?}: still running after {DEADLINE:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    match status.code() {
        Some(0 | 1) => Ok(()),
        Some(2) if err.lines().count() == 1 && err.starts_with("rabbithole: ") => Ok(()),
        code => Err(format!("{args:?}: exit {code:?}, stderr:\n{err}")),
    }
}

#[test]
fn mutants_never_panic_hang_or_allocate_without_bound() {
    let count: usize = std::env::var("RABBITHOLE_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("static_mutants");
    std::fs::create_dir_all(&dir).unwrap();
    let bases: Vec<(&str, Vec<u8>)> = FIXTURES.iter().map(|n| (*n, crafted::fixture(n))).collect();
    let commands: &[&[&str]] = &[
        &["inspect"],
        &["inspect", "--json"],
        &["funcs"],
        &["addr2line", "0x401000", "0x47fce0"],
        &["disasm", "-s", "main"],
        &["size", "--json"],
        &["syscalls"],
        &["compare", "OTHER"],
    ];
    let failures = std::sync::Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (bases, dir, failures) = (&bases, &dir, &failures);
            s.spawn(move || {
                for i in (t..count).step_by(threads) {
                    let mut rng =
                        Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1).wrapping_mul(0x2545_f491));
                    let (name, base) = &bases[i % bases.len()];
                    let (bytes, what) = mutate(base, &mut rng);
                    let path = dir.join(format!("mutant-{i}"));
                    std::fs::write(&path, &bytes).unwrap();
                    let original = crafted::fixture_path(name);
                    // Every command on every tenth mutant, one in turn on
                    // the others: all commands see hundreds of mutants.
                    let run: Vec<&[&str]> = if i % 10 == 0 {
                        commands.to_vec()
                    } else {
                        vec![commands[i % commands.len()]]
                    };
                    let mut kept = false;
                    for args in run {
                        if let Err(e) = check(args, &path, &original) {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("mutant-{i} of {name} ({what}): {e}"));
                            kept = true;
                        }
                    }
                    if !kept {
                        std::fs::remove_file(&path).unwrap();
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {count} mutants broke a rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
