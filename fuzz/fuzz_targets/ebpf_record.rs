//! The eBPF backend's ring-buffer syscall record parser on arbitrary
//! bytes: the thread it builds must answer every read (registers, memory
//! at SP and around the frame records, captures) without panicking or
//! allocating more than the stack-image cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracer::Thread;

fuzz_target!(|data: &[u8]| {
    let Some(thread) = tracer::ebpf::parse_syscall_record(data) else {
        return;
    };
    let _ = (thread.tid(), thread.pid(), thread.stack_key());
    let Ok(tracer::Registers::X86_64(regs)) = thread.registers() else {
        return;
    };
    // Read where the unwinder reads: SP (which builds the stack image),
    // the frame pointer chain, g, and addresses the record itself names.
    let mut buf = [0u8; 64];
    let mut probes = vec![regs.rsp, regs.rbp, regs.r14, regs.fs_base.wrapping_sub(8)];
    probes.extend(
        data.chunks_exact(8)
            .skip(20)
            .take(32)
            .map(|w| u64::from_le_bytes(w.try_into().expect("chunks of 8"))),
    );
    for addr in probes {
        let _ = thread.read_memory(addr, &mut buf);
        let _ = thread.read_u64(addr);
    }
});
