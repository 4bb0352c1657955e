//! Which tracing backends this build and this machine can use, each with
//! the reason, for `rabbithole --version`. The eBPF answer is the backend's
//! own check ([`crate::ebpf::available`]), so `--version` and `trace
//! --backend auto` never disagree.

/// `Ok(what makes it work)` or `Err(why not)`.
pub type Support = Result<String, String>;

/// Whether ptrace works for rabbithole here: built for Linux, and what
/// Yama's `kernel.yama.ptrace_scope` allows this process.
pub fn ptrace() -> Support {
    if !cfg!(target_os = "linux") {
        return Err("the ptrace backend is built for Linux only".into());
    }
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u8>().ok());
    ptrace_under(scope, || has_capability(CAP_SYS_PTRACE))
}

/// The ptrace answer under Yama's `scope` (`None`: no Yama), asking
/// `privileged` for CAP_SYS_PTRACE only where the scope needs it.
fn ptrace_under(scope: Option<u8>, privileged: impl Fn() -> bool) -> Support {
    match scope {
        None => Ok("no Yama restrictions".into()),
        Some(0) => Ok("kernel.yama.ptrace_scope=0".into()),
        Some(1) => Ok(
            "kernel.yama.ptrace_scope=1: programs it starts; -p needs root or CAP_SYS_PTRACE"
                .into(),
        ),
        Some(2) if privileged() => Ok("kernel.yama.ptrace_scope=2, CAP_SYS_PTRACE".into()),
        Some(2) => {
            Err("kernel.yama.ptrace_scope=2 allows ptrace only to root or CAP_SYS_PTRACE".into())
        }
        Some(_) => Err("kernel.yama.ptrace_scope=3 disables ptrace until the next boot".into()),
    }
}

/// Whether the eBPF backend works here, in [`crate::ebpf::available`]'s
/// words.
pub fn ebpf() -> Support {
    crate::ebpf::available().map(|()| "BTF, BPF ring buffer, bpf() permitted".into())
}

const CAP_SYS_PTRACE: u32 = 19;

/// Whether this process has `cap` in its effective set.
fn has_capability(cap: u32) -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| capability_in(&status, cap))
}

/// Whether `cap` is in the `CapEff` hex mask of a `/proc/PID/status` text.
fn capability_in(status: &str, cap: u32) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << cap) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yama_scopes() {
        assert!(ptrace_under(None, || false).is_ok());
        assert!(ptrace_under(Some(1), || false)
            .unwrap()
            .contains("-p needs"));
        assert!(ptrace_under(Some(2), || true).is_ok());
        assert!(ptrace_under(Some(2), || false)
            .unwrap_err()
            .contains("CAP_SYS_PTRACE"));
        assert!(ptrace_under(Some(3), || true).is_err());
    }

    #[test]
    fn capability_from_the_effective_mask() {
        let status = "Name:\tx\nCapPrm:\t0000000000000000\nCapEff:\t0000000000080000\n";
        assert!(capability_in(status, CAP_SYS_PTRACE));
        assert!(!capability_in(status, 21));
        assert!(!capability_in("Name:\tx\n", CAP_SYS_PTRACE));
    }
}
