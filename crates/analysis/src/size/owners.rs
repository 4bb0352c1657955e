//! Who owns bytes: the package a symbol or function name belongs to, or a
//! named pool for what no package owns (string literals, type descriptors,
//! linker symbols), and the class and module of each package.

use super::report::Class;
use gobin::buildinfo::BuildInfo;
use gobin::runtime::names;

/// Name prefixes of symbols no package owns, and the pool each goes to.
/// Go 1.21 renamed `go.`/`type.` to `go:`/`type:`; both spellings occur.
const POOLS: &[(&str, &str)] = &[
    ("type:.eq.", "(type equality functions)"),
    ("type..eq.", "(type equality functions)"),
    ("type:.hash.", "(type hash functions)"),
    ("type..hash.", "(type hash functions)"),
    ("typerel.", "(type descriptors)"),
    ("type:", "(type descriptors)"),
    ("type.", "(type descriptors)"),
    ("go:string.", "(string literals)"),
    ("go.string.", "(string literals)"),
    ("go:func.", "(funcdata, shared)"),
    ("go.func.", "(funcdata, shared)"),
    ("go:itab.", "(itabs)"),
    ("go.itab.", "(itabs)"),
    ("go:itablink.", "(itabs)"),
    ("go.itablink.", "(itabs)"),
    ("runtime.gcbits.", "(GC bitmaps)"),
    ("gclocals·", "(funcdata, shared)"),
    ("go:", "(linker)"),
    ("$f64.", "(constants)"),
    ("$f32.", "(constants)"),
    ("$i64.", "(constants)"),
    ("$i32.", "(constants)"),
];

/// The package (or pool) a symbol or function name belongs to: the Go
/// package by [`names::package_of`], else a named pool such as
/// `(string literals)` for what no package owns.
pub fn package_of(name: &str) -> &str {
    let name = name.strip_suffix(".abi0").unwrap_or(name);
    if let Some(&(_, pool)) = POOLS.iter().find(|(prefix, _)| name.starts_with(prefix)) {
        return pool;
    }
    // Before Go 1.21 linker symbols start `go.` (go.buildid); so do import
    // paths like go.etcd.io/bbolt, whose first element holds a dot.
    if let Some(rest) = name.strip_prefix("go.") {
        let first = rest.split('/').next().unwrap_or(rest);
        if !rest.contains('/') || !first.contains('.') {
            return "(linker)";
        }
    }
    names::package_of(name).unwrap_or("(no package: C or assembly)")
}

/// Class and module of a package, from build info.
pub(super) fn classify_package(pkg: &str, info: Option<&BuildInfo>) -> (Class, Option<String>) {
    if pkg.starts_with('(') {
        return (Class::Other, None);
    }
    let under =
        |p: &str, m: &str| p == m || (p.starts_with(m) && p.as_bytes().get(m.len()) == Some(&b'/'));
    if let Some(info) = info {
        let main_path = info
            .main
            .as_ref()
            .map(|m| m.path.as_str())
            .unwrap_or(&info.path);
        if pkg == "main" || (!main_path.is_empty() && under(pkg, main_path)) {
            return (Class::Main, Some(main_path.to_string()));
        }
        let dep = info
            .deps
            .iter()
            .filter(|d| under(pkg, &d.path))
            .max_by_key(|d| d.path.len());
        if let Some(d) = dep {
            return (Class::Dependency, Some(d.path.clone()));
        }
    } else if pkg == "main" {
        return (Class::Main, None);
    }
    if names::is_std_package(pkg) {
        let class = if names::is_runtime_package(pkg) {
            Class::Runtime
        } else {
            Class::Std
        };
        return (class, Some("std".into()));
    }
    (Class::Dependency, Some(guess_module(pkg)))
}

/// A module path for a package build info does not list (GOPATH or
/// vendored builds): the repository root on the big hosts, else the first
/// two path elements. Marked with `~` as a guess.
fn guess_module(pkg: &str) -> String {
    let parts: Vec<&str> = pkg.split('/').collect();
    let n = match parts[0] {
        "github.com" | "gitlab.com" | "bitbucket.org" | "golang.org" | "git.sr.ht" => 3,
        _ => 2,
    };
    format!("~{}", parts[..n.min(parts.len())].join("/"))
}

/// Zero-size symbols that stand for a whole pool (`go:string.*`).
pub(super) fn is_container(name: &str) -> bool {
    name.ends_with('*') || name.contains(".*")
}

/// Section boundary markers (`runtime.text`, `runtime.erodata`).
pub(super) fn is_marker(name: &str) -> bool {
    matches!(
        name,
        "runtime.text"
            | "runtime.etext"
            | "runtime.rodata"
            | "runtime.erodata"
            | "runtime.types"
            | "runtime.etypes"
            | "runtime.noptrdata"
            | "runtime.enoptrdata"
            | "runtime.data"
            | "runtime.edata"
            | "runtime.bss"
            | "runtime.ebss"
            | "runtime.noptrbss"
            | "runtime.enoptrbss"
            | "runtime.end"
            | "runtime.pclntab"
            | "runtime.epclntab"
            | "runtime.symtab"
            | "runtime.esymtab"
            | "runtime.egcdata"
            | "runtime.egcbss"
    ) || is_container(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for (name, pkg) in [
            ("main.main", "main"),
            ("golang.org/x/sys/unix.Write", "golang.org/x/sys/unix"),
            ("internal/abi.(*Type).DescriptorSize", "internal/abi"),
            ("runtime.morestack.abi0", "runtime"),
            ("slices.Sort[go.shape.[]uint8,go.shape.uint8]", "slices"),
            (
                "vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Start",
                "vendor/golang.org/x/net/dns/dnsmessage",
            ),
            ("type:.eq.[8]interface {}", "(type equality functions)"),
            ("go:string.*", "(string literals)"),
            ("x_cgo_init", "(no package: C or assembly)"),
            ("$f64.3ff0000000000000", "(constants)"),
            ("go.etcd.io/bbolt.(*DB).Open", "go.etcd.io/bbolt"),
            ("go.buildid", "(linker)"),
            ("go.string.\"a/b.c\"", "(string literals)"),
            ("go.shape.int", "(linker)"),
            (
                "internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.struct {}]).All",
                "internal/sync",
            ),
        ] {
            assert_eq!(package_of(name), pkg, "{name}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(classify_package("runtime", None).0, Class::Runtime);
        assert_eq!(
            classify_package("internal/runtime/maps", None).0,
            Class::Runtime
        );
        assert_eq!(classify_package("syscall", None).0, Class::Std);
        assert_eq!(
            classify_package("vendor/golang.org/x/net/idna", None).0,
            Class::Std
        );
        assert_eq!(
            classify_package("golang.org/x/sys/unix", None).0,
            Class::Dependency
        );
        assert_eq!(classify_package("main", None).0, Class::Main);
        assert_eq!(
            classify_package("github.com/aws/aws-sdk-go/service/s3", None),
            (Class::Dependency, Some("~github.com/aws/aws-sdk-go".into()))
        );
        assert_eq!(
            classify_package("go.etcd.io/bbolt", None).1.as_deref(),
            Some("~go.etcd.io/bbolt")
        );
        assert_eq!(classify_package("(DWARF)", None).0, Class::Other);
    }
}
