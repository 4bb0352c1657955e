//! `syscalls` on a cgo binary: a call into libc is a syscall site only
//! when the libc function wraps a syscall; `--all-imports` adds the rest;
//! the table's columns line up whatever the names' lengths.

mod crafted;

use std::ffi::OsStr;

fn table(extra: &[&str]) -> String {
    let bin = crafted::fixture_path("cgo_hello-go1.27-linux-amd64");
    let mut args = vec![OsStr::new("syscalls"), bin.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let out = crafted::run(&args);
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

fn libc_names(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("libc"))
        .map(|l| l.split_whitespace().nth(4).unwrap().to_string())
        .collect()
}

#[test]
fn only_libc_wrappers_of_syscalls_are_sites() {
    let text = table(&[]);
    let names = libc_names(&text);
    for want in [
        "write",
        "mmap",
        "munmap",
        "sigaction",
        "setuid",
        "pthread_sigmask",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing:\n{text}");
    }
    for not in [
        "malloc",
        "free",
        "pthread_mutex_lock",
        "strerror",
        "__errno_location",
        "abort",
    ] {
        assert!(!names.iter().any(|n| n == not), "{not} listed:\n{text}");
    }
    let all = libc_names(&table(&["--all-imports"]));
    assert!(all.iter().any(|n| n == "malloc"));
    assert!(
        all.len() > names.len() + 40,
        "{} vs {}",
        all.len(),
        names.len()
    );
}

#[test]
fn columns_line_up_with_long_library_names() {
    let text = table(&["--all-imports"]);
    let header = text.lines().next().unwrap();
    let col = header.find("PATHS FROM").unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(text.contains("pthread_attr_setdetachstate (libc.so.6)"));
    for row in &rows {
        // The last column starts where its header does: after two spaces.
        assert_eq!(&row[col - 2..col], "  ", "{row}");
        assert_ne!(row.as_bytes()[col], b' ', "{row}");
    }
}
