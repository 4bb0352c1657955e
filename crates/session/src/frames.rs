//! Which stack frames belong to the program and which only carry a call
//! down to the kernel, from the package a function is in
//! (`gobin::runtime::names`).

use gobin::runtime::names::{is_runtime_package, package_of};

/// The package of a frame's function, `""` for names without one (C and
/// assembly symbols).
pub(crate) fn package(function: &str) -> &str {
    package_of(function).unwrap_or("")
}

/// Packages that only carry a call down to the kernel: `trace`'s
/// attribution (`--by`, `--no-runtime`) skips them to find the program's
/// own code.
pub(crate) fn is_plumbing(function: &str) -> bool {
    let pkg = package(function);
    pkg.is_empty()
        || is_runtime_package(pkg)
        || pkg == "syscall"
        || pkg.starts_with("internal/")
        || pkg.starts_with("golang.org/x/sys/")
        || pkg.starts_with("vendor/golang.org/x/sys/")
}

/// Frames `path` never starts a chain in: the runtime, the internal
/// packages, `sync` (which the runtime parks goroutines through) and the
/// linker's type functions.
pub(crate) fn is_runtime_frame(function: &str) -> bool {
    if function.starts_with("type:") {
        return true;
    }
    let pkg = package(function);
    is_runtime_package(pkg) || pkg.starts_with("internal/") || pkg == "sync"
}

/// Where a goroutine's chain starts in its stack, outermost frame first:
/// `main.main`, else the first frame outside the runtime; with
/// `runtime_goroutine`, a goroutine of the runtime itself starts at the
/// function it was started in (past `goexit` and the thread start-up).
pub(crate) fn chain_start(outer_first: &[&model::Frame], runtime_goroutine: bool) -> Option<usize> {
    outer_first
        .iter()
        .position(|f| f.function == "main.main")
        .or_else(|| {
            outer_first
                .iter()
                .position(|f| !is_runtime_frame(&f.function))
        })
        .or_else(|| {
            runtime_goroutine
                .then(|| {
                    outer_first.iter().position(|f| {
                        !matches!(
                            f.function.as_str(),
                            "runtime.goexit"
                                | "runtime.mstart"
                                | "runtime.mstart0"
                                | "runtime.mstart1"
                                | "runtime.rt0_go"
                        )
                    })
                })
                .flatten()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plumbing_and_runtime_frames() {
        assert!(is_plumbing("internal/runtime/syscall/linux.Syscall6"));
        assert!(is_plumbing("syscall.Syscall"));
        assert!(is_plumbing("runtime.goexit"));
        assert!(is_plumbing("golang.org/x/sys/unix.Write"));
        assert!(is_plumbing("write"));
        assert!(!is_plumbing("os.(*File).Write"));
        assert!(!is_plumbing("main.main"));
        assert!(!is_plumbing("main.F[example.com/x.T]"));
        assert!(is_runtime_frame("runtime.goexit"));
        assert!(is_runtime_frame("sync.(*WaitGroup).Wait"));
        assert!(is_runtime_frame("type:.eq.main.T"));
        assert!(!is_runtime_frame("sync/atomic.AddInt64"));
        assert!(!is_runtime_frame("main.main.func1"));
        assert_eq!(package("main.F[example.com/x.T]"), "main");
    }
}
