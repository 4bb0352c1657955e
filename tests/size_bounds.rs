//! `size` reads what the binary needs and no more: a Go binary at the
//! start of a 4 GB sparse file is measured at once, the rest counted as
//! data after the binary without being read (it would page in 4 GB).

mod crafted;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_binary_at_the_start_of_a_4_gb_file_is_measured_without_reading_the_rest() {
    let fixture = crafted::fixture("syscall_minimal-go1.27-linux-amd64");
    let path = crafted::write("size_bounds", "sparse", &fixture);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(4 << 30).unwrap();
    drop(file);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["size", "--json"])
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Reading 4 GB of holes takes tens of seconds and GBs of page cache;
    // the binary's own 2 MB take milliseconds.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            let _ = child.wait();
            std::fs::remove_file(&path).unwrap();
            panic!("size read past the binary (still running after 10 s)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let after = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "(after the end of the binary)")
        .expect("the rest of the file named");
    assert_eq!(
        after["bytes"].as_u64().unwrap(),
        (4u64 << 30) - fixture.len() as u64
    );
}
