//! Lookup speed of the pclntab after load: `cargo bench -p gobin --bench
//! lookup [-- BIN [N]]` (default: the files_net fixture, 1M addresses).
//!
//! The addresses are those `benches/pclntab.sh` feeds `addr2line`: every
//! function's entry and middle, in a scattered order. Two figures: the
//! function search alone, and the search plus the frame walk (file, line,
//! inlined frames: what `addr2line` prints, without the printing, which
//! `benches/pclntab.sh` measures with the command). Best of five rounds
//! each, so a busy machine disturbs it less.

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/bin/files_net-go1.27-linux-amd64"
        )
        .to_string()
    });
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let t = Instant::now();
    let mut go = gobin::GoBinary::parse(&data).expect("a Go binary");
    // As addr2line does before a batch of lookups.
    go.pclntab.check_string_tables();
    let load = t.elapsed();
    let tab = &go.pclntab;
    let funcs: Vec<(u64, u64)> = tab.funcs().map(|f| (f.entry(), f.size())).collect();
    let addrs: Vec<u64> = (0..n)
        .map(|i| {
            let (entry, size) = funcs[(i * 7919) % funcs.len()];
            entry + (i as u64 % 2) * (size / 2)
        })
        .collect();
    println!(
        "{path}: {} functions, parsed in {:.1} ms; {n} lookups",
        funcs.len(),
        load.as_secs_f64() * 1e3
    );

    let rate = |name: &str, f: &mut dyn FnMut() -> usize| {
        let mut best = Duration::MAX;
        let mut sink = 0;
        for _ in 0..5 {
            let t = Instant::now();
            sink += f();
            best = best.min(t.elapsed());
        }
        black_box(sink);
        println!(
            "  {name:<34} {:>8.0} ns/lookup {:>12.0} lookups/s",
            best.as_secs_f64() * 1e9 / n as f64,
            n as f64 / best.as_secs_f64()
        );
    };
    rate("func_at", &mut || {
        addrs
            .iter()
            .filter(|&&pc| tab.func_at(black_box(pc)).is_some())
            .count()
    });
    rate("func_at + for_each_frame", &mut || {
        let mut frames = 0;
        for &pc in &addrs {
            if let Some(f) = tab.func_at(black_box(pc)) {
                f.for_each_frame(pc, |fr| {
                    frames += 1;
                    black_box(fr);
                });
            }
        }
        frames
    });
}
