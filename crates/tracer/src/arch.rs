//! Which instruction set a stop was made in. One name for the concept in
//! the whole project: [`model::Arch`], re-exported as `tracer::Arch`. The
//! kernel reports it per syscall stop as an `AUDIT_ARCH_*` value, so one
//! tracer binary can decode foreign-arch calls (a 64-bit process may make
//! an i386 call with `int 0x80`, shown as `Arch::Other("386")`).

pub use model::Arch;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;

/// The i386 calls a 64-bit x86 process can make.
pub const I386: Arch = Arch::Other("386");

/// The architecture rabbithole itself was built for.
pub fn native_arch() -> Arch {
    if cfg!(target_arch = "aarch64") {
        Arch::Arm64
    } else {
        Arch::Amd64
    }
}

/// Maps the kernel's `AUDIT_ARCH_*` value.
pub(crate) fn from_audit(value: u32) -> Arch {
    match value {
        AUDIT_ARCH_X86_64 => Arch::Amd64,
        AUDIT_ARCH_AARCH64 => Arch::Arm64,
        AUDIT_ARCH_I386 => I386,
        _ => Arch::Other("unknown"),
    }
}

/// The `AUDIT_ARCH_*` value of the native architecture (seccomp filters
/// check it first).
pub(crate) fn native_audit() -> u32 {
    match native_arch() {
        Arch::Arm64 => AUDIT_ARCH_AARCH64,
        _ => AUDIT_ARCH_X86_64,
    }
}
