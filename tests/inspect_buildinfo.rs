//! The pre-1.18 (pointer) build info encoding, which no committed fixture
//! uses (no Go older than 1.19 installs here): a Go 1.27 PIE fixture is
//! rewritten the way Go 1.13-1.17 laid the header out - flags without the
//! inline bit, then pointers to the `runtime.buildVersion` and
//! `runtime.modinfo` string headers. In a PIE those headers' data pointers
//! are only in the relocation table, so the read must apply relocations.

use gobin::buildinfo::{self, Encoding};
use gobin::Binary;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bin")
            .join(name),
    )
    .unwrap()
}

/// Rewrites the header into the pointer form; returns the patched file.
fn to_pointer_form(data: &[u8], ptr_flags: u8) -> Vec<u8> {
    let bin = Binary::parse(data).unwrap();
    let sec = bin.section(".go.buildinfo").unwrap();
    let off = sec.file_offset.unwrap() as usize;
    let vers = bin.symbol("runtime.buildVersion").unwrap().addr;
    let modinfo = bin.symbol("runtime.modinfo").unwrap().addr;
    let mut out = data.to_vec();
    assert_eq!(&out[off..off + 14], buildinfo::MAGIC);
    out[off + 15] = ptr_flags;
    out[off + 16..off + 24].copy_from_slice(&vers.to_le_bytes());
    out[off + 24..off + 32].copy_from_slice(&modinfo.to_le_bytes());
    // Garbage where the inline strings were: the pointer form must not
    // look at them.
    out[off + 32..off + 48].fill(0xee);
    out
}

#[test]
fn pointer_form_through_pie_relocations() {
    for name in [
        "syscall_minimal-go1.27-linux-amd64-pie",
        "syscall_minimal-go1.24-linux-amd64-pie",
    ] {
        let data = fixture(name);
        let inline = buildinfo::read(&Binary::parse(&data).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(inline.encoding, Encoding::Inline);

        let mut patched = to_pointer_form(&data, 0);
        // Go's internal linker also writes the link-time value into the
        // file; external linkers may leave 0 there, with the value only in
        // the RELA addend. Zero both string headers' data words to read the
        // way a loader would.
        let orig = Binary::parse(&data).unwrap();
        for sym in ["runtime.buildVersion", "runtime.modinfo"] {
            let addr = orig.symbol(sym).unwrap().addr;
            let target = orig.symbol(&format!("{sym}.str")).unwrap().addr;
            assert!(
                orig.relocations_to(target).contains(&addr),
                "{name}: {sym} data pointer is not relocated"
            );
            let off = orig
                .segments()
                .iter()
                .find(|s| addr >= s.addr && addr < s.addr + s.file_size)
                .map(|s| (s.file_offset + addr - s.addr) as usize)
                .unwrap();
            patched[off..off + 8].fill(0);
        }
        let bin = Binary::parse(&patched).unwrap();
        let vers = bin.symbol("runtime.buildVersion").unwrap().addr;
        assert_eq!(bin.read_va(vers, 8).unwrap(), &[0u8; 8]);
        assert_eq!(
            bin.read_ptr(vers),
            Some(bin.symbol("runtime.buildVersion.str").unwrap().addr)
        );

        let ptr = buildinfo::read(&bin).unwrap().unwrap();
        assert_eq!(ptr.encoding, Encoding::Pointer);
        assert_eq!(ptr.version, inline.version, "{name}");
        assert_eq!(ptr.path, inline.path);
        assert_eq!(ptr.main, inline.main);
        assert_eq!(ptr.deps, inline.deps);
        assert_eq!(ptr.settings, inline.settings);
        assert!(ptr.version.starts_with("go1."));
        assert!(!ptr.deps.is_empty());
    }
}

#[test]
fn pointer_form_rejects_bad_pointer_size_and_dangling_pointers() {
    let data = fixture("syscall_minimal-go1.27-linux-amd64-pie");
    let mut patched = to_pointer_form(&data, 0);
    let bin = Binary::parse(&data).unwrap();
    let off = bin.section(".go.buildinfo").unwrap().file_offset.unwrap() as usize;
    patched[off + 14] = 3;
    let err = buildinfo::read(&Binary::parse(&patched).unwrap()).unwrap_err();
    assert!(err.to_string().contains("pointer size 3"), "{err}");

    let mut patched = to_pointer_form(&data, 0);
    patched[off + 16..off + 24].copy_from_slice(&0xdead_beef_0000u64.to_le_bytes());
    let err = buildinfo::read(&Binary::parse(&patched).unwrap()).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
}

#[test]
fn modinfo_with_quoted_settings_round_trips() {
    // What the linker writes for -ldflags with spaces and a tag list.
    let text = "path\tex.com/p\nmod\tex.com/p\tv1.2.3\th1:Zm9v\n\
                dep\tgithub.com/a/b\tv0.1.0\th1:YmFy\n\
                build\t-ldflags=\"-s -w -X main.v=1.0\"\nbuild\t-tags=netgo,osusergo\n\
                build\tvcs.modified=true\n";
    let i = buildinfo::parse_modinfo(text);
    assert_eq!(i.main.as_ref().unwrap().sum, "h1:Zm9v");
    assert_eq!(i.setting("-ldflags"), Some("-s -w -X main.v=1.0"));
    assert_eq!(i.setting("-tags"), Some("netgo,osusergo"));
    assert!(i.unparsed.is_empty());
}
