//! Per-event cost of decoding and printing a syscall, without a tracer:
//! `cargo run --release -p syscalls --example decode_render [EVENTS] [reuse]`
//! (`reuse`: only the loop `trace` runs, e.g. to count its instructions
//! under `valgrind --tool=callgrind`).
//!
//! Replays the eBPF backend's hot loop on `write(3, "goroutine write\n",
//! 16) = 16` and an `openat` that fails, the way `trace -f -o FILE`
//! prints them (entry half, then exit half, into one buffered writer), and
//! prints nanoseconds per event for the allocating calls (`decode_entry`,
//! `Printer::entry`...) and for the reusing ones `trace` makes (one
//! `Pending` per thread, `Printer::entry_to` into one buffer).

use std::io::{BufWriter, Write};
use std::time::Instant;

use render::strace::{LineOptions, PidPrefix, Printer};
use syscalls::{
    decode_entry, decode_entry_into, decode_exit, decode_exit_in_place, Context, Entry, FakeMemory,
    Options, Pending,
};

fn main() {
    let events: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut mem = FakeMemory::new();
    mem.map(0xc000_0100, b"goroutine write\n".to_vec());
    mem.map_cstr(0xc000_0200, "/nonexistent/path");
    let opts = Options::default();
    let ctx = Context {
        arch: model::Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: None,
    };
    let write = Entry {
        nr: 1,
        args: [3, 0xc000_0100, 16, 0, 0, 0],
        sp: 0,
    };
    let openat = Entry {
        nr: 257,
        args: [(-100i64) as u64, 0xc000_0200, 0o2000000, 0, 0, 0],
        sp: 0,
    };
    let line = LineOptions {
        prefix: PidPrefix::Bare,
        ..Default::default()
    };
    let mut sink = BufWriter::with_capacity(1 << 16, std::io::sink());
    let only_reuse = std::env::args().nth(2).as_deref() == Some("reuse");
    let events_alloc = if only_reuse { 0 } else { events };

    let mut p = Printer::new(line);
    let t = Instant::now();
    for i in 0..events_alloc {
        let (e, ret) = if i % 16 == 0 {
            (&openat, -2)
        } else {
            (&write, 16)
        };
        let tid = 1000 + (i % 4) as i32;
        let pending = decode_entry(&ctx, e);
        let text = p.entry(tid, pending.call(), None);
        let _ = sink.write_all(text.as_bytes());
        let call = decode_exit(&ctx, pending, ret);
        let text = p.exit(tid, &call, None, None);
        let _ = sink.write_all(text.as_bytes());
    }
    let allocating = t.elapsed();

    // As `trace` does it: one decode slot per thread, one line buffer.
    let mut p = Printer::new(line);
    let mut buf = Vec::with_capacity(256);
    let mut slots: Vec<Pending> = (0..4).map(|_| Pending::default()).collect();
    let t = Instant::now();
    for i in 0..events {
        let (e, ret) = if i % 16 == 0 {
            (&openat, -2)
        } else {
            (&write, 16)
        };
        let tid = 1000 + (i % 4) as i32;
        let slot = &mut slots[(i % 4) as usize];
        decode_entry_into(&ctx, e, slot);
        buf.clear();
        p.entry_to(&mut buf, tid, slot.call(), None);
        let _ = sink.write_all(&buf);
        decode_exit_in_place(&ctx, slot, ret);
        buf.clear();
        p.exit_to(&mut buf, tid, slot.call(), None, None);
        let _ = sink.write_all(&buf);
    }
    let reused = t.elapsed();
    if only_reuse {
        let _ = sink.flush();
        let per = reused.as_nanos() as f64 / f64::from(events.max(1));
        println!("{events} events: {per:.0} ns/event (reused slots and buffer)");
        return;
    }

    // The two halves apart: decoding only, then printing only.
    let t = Instant::now();
    let mut calls = 0usize;
    for i in 0..events {
        let (e, ret) = if i % 16 == 0 {
            (&openat, -2)
        } else {
            (&write, 16)
        };
        let call = decode_exit(&ctx, decode_entry(&ctx, e), ret);
        calls += call.args.len();
    }
    let decoding = t.elapsed();
    let done = [
        decode_exit(&ctx, decode_entry(&ctx, &write), 16),
        decode_exit(&ctx, decode_entry(&ctx, &openat), -2),
    ];
    let t = Instant::now();
    for i in 0..events {
        let call = &done[usize::from(i % 16 == 0)];
        let tid = 1000 + (i % 4) as i32;
        buf.clear();
        p.entry_to(&mut buf, tid, call, None);
        p.exit_to(&mut buf, tid, call, None, None);
        let _ = sink.write_all(&buf);
    }
    let printing = t.elapsed();
    let _ = sink.flush();
    let per = |d: std::time::Duration| d.as_nanos() as f64 / f64::from(events.max(1));
    println!(
        "{events} events: {:.0} ns/event (Printer::entry/exit), {:.0} ns/event (reused slots and buffer); \
         of which decoding {:.0} ns, printing {:.0} ns ({calls} args)",
        per(allocating),
        per(reused),
        per(decoding),
        per(printing)
    );
}
