//! cgo's C functions are C, not Go: internal linking gives them pclntab
//! entries without a source file, and `funcs` labels them `C` (evidence
//! `no-go-source`) where it used to say `ABIInternal`/`compiled`; the Go
//! functions and linker symbols around them keep their classes.

mod crafted;

use std::ffi::OsStr;

#[test]
fn c_functions_of_an_internally_linked_cgo_binary_are_c() {
    let bin = crafted::fixture_path("cgo_hello_internal-go1.27-linux-amd64");
    let out = crafted::run(&[OsStr::new("funcs"), bin.as_os_str(), OsStr::new("--json")]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let funcs = v["functions"].as_array().unwrap();
    let class = |name: &str| {
        let f = funcs
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        (
            f["abi"].as_str().unwrap().to_string(),
            f["abi_evidence"].as_str().unwrap().to_string(),
        )
    };
    for c in [
        "fatalf",
        "x_cgo_init",
        "crosscall1",
        "_cgo_ab53f4911a95_Cfunc_hello_from_c",
    ] {
        assert_eq!(class(c), ("C".into(), "no-go-source".into()), "{c}");
    }
    assert_eq!(class("main.main").0, "ABIInternal");
    assert_eq!(class("main._Cfunc_hello_from_c").0, "ABI0");
    assert_ne!(class("go:textfipsstart").0, "C");
    let c = funcs.iter().filter(|f| f["abi"] == "C").count();
    assert!((20..40).contains(&c), "{c} C functions");
    // The externally linked twin has no C in its pclntab.
    let ext = crafted::fixture_path("cgo_hello-go1.27-linux-amd64");
    let out = crafted::run(&[OsStr::new("funcs"), ext.as_os_str()]);
    assert!(!String::from_utf8(out.stdout).unwrap().contains(" C "));
}
