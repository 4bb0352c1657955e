//! The strace-style decoders reading random memory: every address is
//! mapped (except one page in eight, and reads stop at page ends), and
//! reads return the fuzz input from an offset the address picks, wrapping
//! around. Unlike `syscalls_decode`, whose pointers all land in one small
//! region, here any pointer a decoder follows (iovecs, msghdrs, arrays of
//! strings, nested structs) reads plausible-looking bytes, and lengths
//! from arguments or memory can be huge: decoders must bound what they
//! read and allocate, and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use model::Arch;
use render::strace::{format_call, LineOptions, Printer};
use syscalls::{decode_entry, decode_exit, Context, Entry, Memory, Options};

/// The fuzz input as an address space covering all of memory.
struct RandomMemory<'a> {
    bytes: &'a [u8],
}

impl Memory for RandomMemory<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        let n = self.bytes.len();
        if n == 0 || (addr >> 12) & 7 == 7 {
            return 0;
        }
        let to_page_end = 4096 - (addr % 4096) as usize;
        let len = buf.len().min(to_page_end);
        let start = (addr % n as u64) as usize;
        for (i, b) in buf[..len].iter_mut().enumerate() {
            *b = self.bytes[(start + i) % n];
        }
        len
    }
}

/// Word `i` of the input (inputs are at least 72 bytes: nine words).
fn u64_at(d: &[u8], i: usize) -> u64 {
    gobin::bytes::u64_le(d, i * 8).unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 72 {
        return;
    }
    let arch = if data[0] & 1 == 0 {
        Arch::Amd64
    } else {
        Arch::Arm64
    };
    let nr = u64_at(data, 1) % 512;
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(data, 2 + i);
    }
    let ret = u64_at(data, 8) as i64;
    let mem = RandomMemory { bytes: &data[72..] };
    let opts = Options {
        string_limit: (data[1] as usize % 256) + 1,
        verbose: data[2] & 1 == 1,
    };
    let fd_path = |fd: i32| Some(format!("/fd/{fd}"));
    let ctx = Context {
        arch,
        mem: &mem,
        opts: &opts,
        fd_path: if data[3] & 1 == 1 {
            Some(&fd_path)
        } else {
            None
        },
    };
    let pending = decode_entry(
        &ctx,
        &Entry {
            nr,
            args,
            sp: args[5],
        },
    );
    let mut p = Printer::new(LineOptions::default());
    let _ = p.entry(1, pending.call(), None);
    let call = decode_exit(&ctx, pending, ret);
    let _ = p.exit(2, &call, None, None);
    let _ = format_call(&call);
});
