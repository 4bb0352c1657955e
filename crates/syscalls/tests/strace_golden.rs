//! Replays every call recorded in tests/data/probe.cases (registers, result
//! and the probe's memory before and after, see record.sh) through the
//! decoders and the strace renderer, and compares with the line strace 6
//! printed for the same call in the same run.

use model::Arch;
use render::strace::{LineOptions, Printer};
use syscalls::{decode_entry, decode_exit, decoded_syscalls, Context, Entry, FakeMemory, Options};

struct Case {
    strace: String,
    entry: Entry,
    ret: i64,
    before: Vec<(usize, Vec<u8>)>,
    after: Vec<(usize, Vec<u8>)>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn parse() -> (u64, Vec<Case>) {
    let text = include_str!("data/probe.cases");
    let mut base = 0;
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        let (tag, rest) = line.split_at(line.find(' ').unwrap_or(line.len()));
        let rest = rest.trim_start();
        match tag {
            "B" => base = u64::from_str_radix(rest, 16).unwrap(),
            "@" => cases.push(Case {
                strace: rest.to_string(),
                entry: Entry::default(),
                ret: 0,
                before: vec![],
                after: vec![],
            }),
            "=" => {
                let v: Vec<&str> = rest.split(' ').collect();
                let c = cases.last_mut().unwrap();
                c.entry.nr = v[0].parse().unwrap();
                for i in 0..6 {
                    c.entry.args[i] = u64::from_str_radix(v[i + 1], 16).unwrap();
                }
            }
            "E" | "X" => {
                let (off, bytes) = rest.split_once(' ').unwrap();
                let c = cases.last_mut().unwrap();
                let region = (off.parse().unwrap(), hex(bytes));
                if tag == "E" {
                    c.before.push(region);
                } else {
                    c.after.push(region);
                }
            }
            "R" => cases.last_mut().unwrap().ret = rest.parse().unwrap(),
            _ => {}
        }
    }
    (base, cases)
}

#[test]
fn decoded_lines_equal_strace() {
    let (base, cases) = parse();
    let decoded = decoded_syscalls();
    let table = syscalls::table(Arch::Amd64).unwrap();
    let opts = Options::default();
    let mut image = vec![0u8; 16384];
    let mut compared = 0;
    let mut failures = Vec::new();
    for c in &cases {
        for (off, b) in &c.before {
            image[*off..*off + b.len()].copy_from_slice(b);
        }
        let mut mem = FakeMemory::new();
        mem.map(base, image.clone());
        let ctx = Context {
            arch: Arch::Amd64,
            mem: &mem,
            opts: &opts,
            fd_path: None,
        };
        let pending = decode_entry(&ctx, &c.entry);
        for (off, b) in &c.after {
            image[*off..*off + b.len()].copy_from_slice(b);
        }
        let mut mem = FakeMemory::new();
        mem.map(base, image.clone());
        let ctx = Context { mem: &mem, ..ctx };
        let call = decode_exit(&ctx, pending, c.ret);
        let name = table.name_of(c.entry.nr);
        if !decoded.contains(&name.as_str()) {
            continue;
        }
        compared += 1;
        let got = Printer::new(LineOptions::default()).line(0, &call, None, None);
        if got.trim_end() != c.strace {
            failures.push(format!("strace: {}\n   got: {}", c.strace, got.trim_end()));
        }
    }
    assert!(compared > 100, "only {compared} cases compared");
    assert!(
        failures.is_empty(),
        "{} of {compared} lines differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
