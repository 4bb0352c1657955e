//! Go symbol names: the package a name belongs to, and whether a package is
//! part of the runtime.

/// The import path of the package that defines a Go function or symbol
/// name: up to the first dot after the last slash that comes before any
/// type-argument list (`net/http.(*conn).serve` -> `net/http`,
/// `main.Map[example.com/x.T]` -> `main`). `None` for names without a
/// package (C and assembly symbols, linker symbols such as `go:buildid`).
/// A `.abi0` suffix is ignored.
pub fn package_of(name: &str) -> Option<&str> {
    let name = name.strip_suffix(".abi0").unwrap_or(name);
    let head = name.find('[').map_or(name, |i| &name[..i]);
    let base = head.rfind('/').map_or(0, |i| i + 1);
    match head[base..].find('.') {
        Some(0) | None => None,
        Some(i) => Some(&name[..base + i]),
    }
}

/// Packages the runtime is built from, beyond `runtime/internal/...` and
/// `internal/runtime/...`.
const RUNTIME_INTERNALS: &[&str] = &[
    "internal/abi",
    "internal/bytealg",
    "internal/cpu",
    "internal/goarch",
    "internal/goos",
    "internal/goexperiment",
    "internal/chacha8rand",
    "internal/godebugs",
    "internal/profilerecord",
    "internal/stringslite",
    "internal/byteorder",
    "internal/race",
    "internal/asan",
    "internal/msan",
    "internal/coverage/rtcov",
    "internal/trace/tracev2",
    "internal/runtime",
];

/// True for the packages the Go runtime itself is made of: `runtime`,
/// `runtime/internal/...`, `runtime/cgo`, `internal/runtime/...`, and the
/// small internal packages only the runtime imports. Other packages under
/// `runtime/` (`runtime/debug`, `runtime/pprof`, `runtime/trace`) are
/// standard-library packages built on the runtime, not part of it.
pub fn is_runtime_package(pkg: &str) -> bool {
    pkg == "runtime"
        || pkg.starts_with("runtime/internal/")
        || pkg == "runtime/cgo"
        || pkg.starts_with("internal/runtime/")
        || RUNTIME_INTERNALS.contains(&pkg)
}

/// True for packages of Go's standard library: the first path element has
/// no dot (`net/http`, `internal/poll`; not `golang.org/x/sys/unix`), and
/// the program's own `main` is not one.
pub fn is_std_package(pkg: &str) -> bool {
    let first = pkg.split('/').next().unwrap_or(pkg);
    pkg != "main" && !first.is_empty() && !first.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_of_names() {
        for (name, pkg) in [
            ("net/http.(*conn).serve", Some("net/http")),
            ("main.main.func1", Some("main")),
            ("golang.org/x/sys/unix.Write", Some("golang.org/x/sys/unix")),
            ("os.(*File).Write", Some("os")),
            ("internal/poll.(*FD).Write", Some("internal/poll")),
            ("runtime.morestack.abi0", Some("runtime")),
            ("main.Map[go.shape.string]", Some("main")),
            ("main.F[example.com/x.T]", Some("main")),
            (
                "example.com/a/b.(*S[example.com/c.T]).M",
                Some("example.com/a/b"),
            ),
            ("go.etcd.io/bbolt.Open", Some("go.etcd.io/bbolt")),
            ("write", None),
            ("go:buildid", None),
            (".text", None),
        ] {
            assert_eq!(package_of(name), pkg, "{name}");
        }
    }

    #[test]
    fn runtime_and_std() {
        assert!(is_runtime_package("runtime"));
        assert!(is_runtime_package("runtime/internal/atomic"));
        assert!(is_runtime_package("internal/runtime/syscall"));
        assert!(is_runtime_package("internal/abi"));
        assert!(!is_runtime_package("internal/poll"));
        assert!(!is_runtime_package("os"));
        assert!(is_runtime_package("runtime/cgo"));
        assert!(!is_runtime_package("runtime/debug"));
        assert!(!is_runtime_package("runtime/pprof"));
        assert!(is_std_package("internal/poll"));
        assert!(is_std_package("syscall"));
        assert!(!is_std_package("main"));
        assert!(!is_std_package("golang.org/x/sys/unix"));
    }
}
