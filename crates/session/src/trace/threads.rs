//! Per-thread state between a syscall's entry and its exit, in maps keyed
//! by thread id.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use syscalls::Pending;

/// Maps keyed by thread id, looked up twice per syscall: SipHash's
/// resistance to chosen keys buys nothing for kernel-assigned ids, a
/// multiply-rotate hash is several times cheaper.
pub(crate) type TidMap<V> = HashMap<i32, V, std::hash::BuildHasherDefault<TidHasher>>;

/// The multiply-rotate hash of [`TidMap`].
#[derive(Default, Clone, Copy)]
pub(crate) struct TidHasher(u64);

impl TidHasher {
    fn mix(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for TidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.mix(u64::from(b));
        }
    }

    fn write_i32(&mut self, v: i32) {
        self.mix(u64::from(v as u32));
    }
}

/// A thread's call in progress. A thread keeps its slot from call to
/// call, so decoding reuses its buffers and moves nothing; `active` says
/// whether a call is in progress.
pub(crate) struct InCall {
    pub(crate) pending: Pending,
    /// CLOCK_MONOTONIC at entry, for -T and -c.
    pub(crate) started: Option<Duration>,
    pub(crate) at: Option<SystemTime>,
    pub(crate) active: bool,
}

impl InCall {
    pub(crate) fn idle() -> InCall {
        InCall {
            pending: Pending::default(),
            started: None,
            at: None,
            active: false,
        }
    }
}
