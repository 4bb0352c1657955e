//! The Debian package: `scripts/deb.sh` packages the test build, the
//! package unpacks into a scratch root, and what it installed runs there:
//! the binary, its man pages (through `man -l`) and its completions.

mod install_support;

use install_support::{bash, scratch, text, BIN};
use std::path::Path;
use std::process::Command;

#[test]
fn the_deb_installs_and_runs_from_a_scratch_root() {
    let dir = scratch("deb");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/deb.sh");
    let out = Command::new(&script)
        .arg(BIN)
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let deb = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).exists(), "{deb}");

    let field = |name: &str| {
        let out = Command::new("dpkg-deb")
            .args(["-f", &deb, name])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(field("Package"), "rabbithole");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));
    assert!(field("Depends").contains("libc6"), "{}", field("Depends"));

    let root = dir.join("root");
    let out = Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let out = Command::new(root.join("usr/bin/rabbithole"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(
        version.starts_with(&format!(
            "rabbithole {}\ncommit: ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );

    let man1 = root.join("usr/share/man/man1");
    for page in [
        "rabbithole",
        "rabbithole-trace",
        "rabbithole-syscalls",
        "rabbithole-man",
    ] {
        let path = man1.join(format!("{page}.1.gz"));
        let out = Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANROFFOPT", "-ww")
            .env("MANPAGER", "cat")
            .output()
            .expect("man (apt-get install man-db)");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{page}: {}",
            text(&out)
        );
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains("EXAMPLES") && shown.contains("EXIT STATUS"),
            "{page}: {shown}"
        );
    }
    let pages = std::fs::read_dir(&man1).unwrap().count();
    assert_eq!(pages, 12, "rabbithole(1) and one page per subcommand");

    let share = root.join("usr/share");
    for file in [
        "bash-completion/completions/rabbithole",
        "zsh/vendor-completions/_rabbithole",
        "fish/vendor_completions.d/rabbithole.fish",
        "doc/rabbithole/copyright",
    ] {
        assert!(share.join(file).metadata().unwrap().len() > 0, "{file}");
    }
    let out = bash(
        "source usr/share/bash-completion/completions/rabbithole && complete -p rabbithole",
        &root,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
}
