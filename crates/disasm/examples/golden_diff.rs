//! Development aid: decode a fixture and compare the instruction column with
//! a `go tool objdump` golden, by address. `cargo run -p disasm --example
//! golden_diff -- BIN GOLDEN.gz [N]`.
use disasm::{Arch, Syntax};
use gobin::symtab::ObjFile;
use std::collections::HashMap;
use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).unwrap();
    let mut gz = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&args[2]).unwrap())
        .read_to_string(&mut gz)
        .unwrap();
    let n: usize = args.get(3).map_or(40, |s| s.parse().unwrap());
    let obj = ObjFile::parse(&data).unwrap();
    let arch = Arch::from_model(obj.arch).unwrap_or(Arch::Amd64);
    let mut want: HashMap<u64, (String, String)> = HashMap::new();
    for line in gz.lines() {
        if !line.starts_with("  ") {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').filter(|c| !c.is_empty()).collect();
        if cells.len() < 4 {
            continue;
        }
        let addr = u64::from_str_radix(cells[1].trim_start_matches("0x"), 16).unwrap();
        want.insert(addr, (cells[2].to_string(), cells[3].to_string()));
    }
    let mut total = 0;
    let mut bad = 0;
    let mut cats: HashMap<String, (usize, String)> = HashMap::new();
    let mut addrs: Vec<_> = want.keys().copied().collect();
    addrs.sort();
    for a in addrs {
        let (hex, text) = &want[&a];
        let off = (a - obj.text_addr) as usize;
        let inst = disasm::decode(arch, &obj.text[off..], a);
        let got = inst.to_string(Syntax::Go, &obj.symtab);
        total += 1;
        if &got != text {
            bad += 1;
            let key = text.split(' ').next().unwrap_or("").to_string();
            let e = cats.entry(key).or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = format!("{a:#x} {hex}\n    want {text}\n    got  {got}");
            }
        }
    }
    let mut v: Vec<_> = cats.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1 .0));
    for (k, (c, ex)) in v.iter().take(n) {
        println!("{c:6} {k}: {ex}");
    }
    println!(
        "total {total} mismatches {bad} ({:.3}% ok)",
        100.0 * (total - bad) as f64 / total as f64
    );
}
