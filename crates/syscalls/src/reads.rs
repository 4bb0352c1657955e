//! What each decoder reads behind its pointer arguments, declared next to
//! the decoder in its topic's table (`decode/fs.rs`, `decode/net.rs`, ...)
//! and looked up here with [`reads`].
//!
//! Under ptrace a decoder reads tracee memory whenever it likes; under
//! eBPF the kernel side must copy those bytes while the call runs, because
//! by the time user space sees the event the memory may have changed. The
//! eBPF backend's capture plan (`tracer::ebpf::capture`) is derived from
//! these declarations, so adding a decoder means declaring its reads in
//! the same table row, and `tracer/tests/captures.rs` runs every decoder
//! against the derived plan to catch a declaration that falls short. A
//! pointer not declared decodes as the bare address under eBPF, like an
//! unreadable pointer under ptrace.

/// How many bytes a decoder reads from one argument's pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A NUL-terminated path, up to 4096 bytes (strace shows paths whole).
    Path,
    /// A NUL-terminated string shown up to `-s`.
    CStr,
    /// `-s` bytes at most, and no more than the length in `len`.
    Data(Len),
    /// `len` times `scale` bytes (dirents, epoll events, sockaddrs with
    /// their length).
    Sized(Len, u8),
    /// Exactly this many bytes (a struct).
    Fixed(u32),
    /// A value-result length (`socklen_t *`): four bytes read at entry
    /// (the room offered) and at exit (the length used), shown as
    /// `[112 => 16]`.
    ValueResult,
    /// An `argv`-style array: the pointers and the strings they point to.
    Argv,
}

/// Where a length comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// Argument register `i`.
    Arg(u8),
    /// The return value (bytes the kernel produced).
    Ret,
}

/// One declared read: the argument register holding the pointer, and how
/// much is read there.
pub type Read = (u8, Kind);

/// `struct stat` on 64-bit Linux.
pub const STAT: u32 = 144;
/// The largest socket address decoded (`struct sockaddr_storage`).
pub const SOCKADDR: u32 = 128;
/// `struct timespec`.
pub const TIMESPEC: u32 = 16;

/// The reads the decoder of `name` (strace's name) makes; empty when the
/// decoder reads nothing behind pointers or there is no decoder.
pub fn reads(name: &str) -> &'static [Read] {
    crate::decode::decoder_for(name).map_or(&[], |(_, reads)| reads)
}
