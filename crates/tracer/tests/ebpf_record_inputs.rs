//! Inputs the `ebpf_record` fuzz target found crashing the ring-buffer
//! record parser, kept so the fix stays fixed.

use tracer::{Registers, Thread};

/// A record whose SP lies just under the top of the address space with a
/// frame record at its very end: the stack image's end wrapped past zero
/// and the frame was copied out of bounds when SP was read.
#[test]
fn frame_record_at_top_of_address_space() {
    let rec = include_bytes!("fuzz_inputs/ebpf_record-frame-at-top.bin");
    let thread = tracer::ebpf::parse_syscall_record(rec).expect("a well-formed header");
    let Ok(Registers::X86_64(regs)) = thread.registers() else {
        panic!("eBPF records are x86-64");
    };
    let mut buf = [0u8; 64];
    let got = thread
        .read_memory(regs.rsp, &mut buf)
        .expect("SP is in the stack image");
    assert!(got >= 8, "at least the word at SP reads, got {got}");
}
