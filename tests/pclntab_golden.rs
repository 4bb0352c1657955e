//! The pclntab reader against the reference tools' goldens
//! (tests/fixtures/golden): `go tool nm -n -size` for the function set,
//! `go tool addr2line` for file:line, `llvm-symbolizer --inlining` (from
//! DWARF) for inline chains, and stripped twins against their unstripped
//! builds.

use gobin::pclntab::Abi;
use gobin::GoBinary;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Fixture names from the manifest (first column).
fn manifest() -> Vec<String> {
    let text = std::fs::read_to_string(fixtures().join("bin/MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// Fixtures that have a given golden kind.
fn with_golden(kind: &str) -> Vec<String> {
    let list: Vec<String> = manifest()
        .into_iter()
        .filter(|n| golden_path(n, kind).exists())
        .collect();
    assert!(!list.is_empty(), "no fixture has a .{kind} golden");
    list
}

fn golden_path(name: &str, kind: &str) -> PathBuf {
    fixtures().join(format!("golden/{name}.{kind}"))
}

fn golden(name: &str, kind: &str) -> String {
    let path = golden_path(name, kind);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if kind.ends_with(".gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gunzip golden");
        s
    } else {
        String::from_utf8(raw).expect("golden is UTF-8")
    }
}

fn binary(name: &str) -> Vec<u8> {
    let path = fixtures().join("bin").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pcs(name: &str) -> Vec<u64> {
    golden(name, "pcs.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| u64::from_str_radix(l.trim().trim_start_matches("0x"), 16).expect("pc"))
        .collect()
}

/// Names as both tools print them modulo two spellings the linker changes
/// between the pclntab and the symbol table: `[...]` for array lengths in
/// generated eq functions (Go 1.19) and `·` for `.` (Go 1.23-1.24).
fn normalize(name: &str) -> String {
    let name = name.replace('·', ".");
    let mut out = String::with_capacity(name.len());
    let mut rest = name.as_str();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let close = rest.find(']').unwrap_or(0);
        let inner = &rest[..close];
        if close > 0 && (inner == "..." || inner.bytes().all(|b| b.is_ascii_digit())) {
            out.push_str("...");
            rest = &rest[close..];
        }
    }
    out.push_str(rest);
    out
}

/// `PKG(.text)`, `PKG(.text.unlikely)`: a host object's section symbol,
/// which nm lists for an internally linked cgo binary; not a function.
fn is_host_section(name: &str) -> bool {
    name.contains("(.text")
}

fn is_marker(name: &str) -> bool {
    matches!(
        name,
        "go:buildid" | "go.buildid" | "go:textfipsstart" | "go:textfipsend"
    )
}

fn report(what: &str, name: &str, bad: &[String], checked: usize) {
    assert!(checked > 0, "{name}: nothing compared for {what}");
    assert!(
        bad.is_empty(),
        "{name}: {} of {checked} {what} differ, first ones:\n{}",
        bad.len(),
        bad.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Text symbols of `go tool nm -n -size` that are functions: those between
/// runtime.text and runtime.etext (the markers themselves are not
/// functions; C code of cgo binaries lies outside). `.abi0` twins fold
/// into the pclntab's single name; Mach-O local symbols keep a `_`.
#[test]
fn function_set_matches_go_tool_nm() {
    for name in with_golden("nm.txt") {
        let data = binary(&name);
        let go = GoBinary::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let macho = name.contains("darwin");
        let mut text = None;
        let mut etext = None;
        let mut syms = Vec::new();
        for line in golden(&name, "nm.txt").lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 || !matches!(f[2], "T" | "t") {
                continue;
            }
            let addr = u64::from_str_radix(f[0], 16).expect("nm address");
            let size: u64 = f[1].parse().expect("nm size");
            let sym = f[3..].join(" ");
            match sym.as_str() {
                "runtime.text" => text = Some(addr),
                "runtime.etext" => etext = Some(addr),
                _ => syms.push((addr, size, sym)),
            }
        }
        let (text, etext) = (text.expect("runtime.text"), etext.expect("runtime.etext"));
        let got: BTreeSet<(u64, String)> = go
            .pclntab
            .funcs()
            .map(|f| (f.entry(), normalize(f.name())))
            .collect();
        let mut abi0 = BTreeSet::new();
        let want: BTreeSet<(u64, String)> = syms
            .iter()
            .filter(|(a, _, s)| (text..etext).contains(a) && !is_host_section(s))
            .map(|(a, _, s)| {
                // go tool nm strips Mach-O's `_` from some symbols only
                // (`_gogo` stays); Go names may themselves start with `_`.
                let s = match s.strip_prefix('_') {
                    Some(t) if macho && !got.contains(&(*a, normalize(s))) => t,
                    _ => s,
                };
                if let Some(plain) = s.strip_suffix(".abi0") {
                    abi0.insert(*a);
                    (*a, normalize(plain))
                } else {
                    (*a, normalize(s))
                }
            })
            .collect();
        let mut bad: Vec<String> = want
            .difference(&got)
            .map(|(a, s)| format!("missing {a:#x} {s}"))
            .collect();
        bad.extend(
            got.difference(&want)
                .map(|(a, s)| format!("extra {a:#x} {s}")),
        );
        // Ends: a function covers its symbol's bytes and stops before the
        // next symbol.
        let sizes: std::collections::BTreeMap<u64, u64> = syms
            .iter()
            .filter(|(_, _, s)| !is_host_section(s))
            .map(|(a, z, _)| (*a, *z))
            .collect();
        for f in go.pclntab.funcs() {
            let next = sizes.range(f.entry() + 1..).next().map(|(a, _)| *a);
            // Mach-O has no symbol sizes; go tool nm makes them up.
            if let Some(&size) = sizes.get(&f.entry()).filter(|_| !macho) {
                if f.end() < f.entry() + size || next.is_some_and(|n| f.end() > n) {
                    bad.push(format!("{} end {:#x} vs size {size}", f.name(), f.end()));
                }
            }
            // Every `.abi0` symbol is ABI0 code or the ABI0 entry of a
            // wrapper, and this binary has a symbol table to say so.
            if abi0.contains(&f.entry()) {
                let (abi, _) = go.abi(&f);
                if abi == Abi::Internal {
                    bad.push(format!("{} is .abi0 in nm but ABIInternal", f.name()));
                }
            }
        }
        report("functions", &name, &bad, want.len());
    }
}

/// `go tool addr2line` prints the physical function and the line table's
/// file:line (no inline expansion); `?` / `?:0` when no function holds pc.
#[test]
fn file_line_matches_go_tool_addr2line() {
    for name in with_golden("addr2line.txt.gz") {
        let data = binary(&name);
        let go = GoBinary::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = golden(&name, "addr2line.txt.gz");
        let want: Vec<&str> = want.lines().collect();
        let pcs = pcs(&name);
        assert_eq!(want.len(), 2 * pcs.len(), "{name}: golden shape");
        let mut bad = Vec::new();
        let mut markers = BTreeSet::new();
        for (i, &pc) in pcs.iter().enumerate() {
            let (wname, wpos) = (want[2 * i], want[2 * i + 1]);
            let got = match go.pclntab.func_at(pc) {
                // Linker markers in text (the Mach-O build ID string,
                // go:textfipsstart/end) have a _func record but no line
                // table (offset 0); go tool addr2line decodes whatever
                // pctab holds at offset 0 for them.
                Some(f) if is_marker(f.name()) && !f.has_line_table() => {
                    markers.insert(f.entry());
                    continue;
                }
                Some(f) => {
                    let (file, line) = f.file_line(pc).unwrap_or(("?", 0));
                    (f.name().to_string(), format!("{file}:{line}"))
                }
                None => ("?".to_string(), "?:0".to_string()),
            };
            if got.0 != wname || got.1 != wpos {
                bad.push(format!(
                    "{pc:#x}: want {wname} {wpos}, got {} {}",
                    got.0, got.1
                ));
            }
        }
        assert!(markers.len() <= 3, "{name}: {markers:?} have no tables");
        report("addresses", &name, &bad, pcs.len());
    }
}

/// One llvm-symbolizer answer: (function, file, line) innermost first.
fn llvm_blocks(text: &str) -> Vec<Vec<(String, String, u32)>> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let lines: Vec<&str> = b.lines().collect();
            lines
                .chunks(2)
                .map(|c| {
                    let func = c[0].to_string();
                    let loc = c.get(1).copied().unwrap_or("??:0:0");
                    let mut parts = loc.rsplitn(3, ':');
                    let _col = parts.next();
                    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
                    let file = parts.next().unwrap_or("??");
                    let file = file.trim_start_matches("./").to_string();
                    (func, file, line)
                })
                .collect()
        })
        .collect()
}

/// Inline chains equal llvm-symbolizer's from DWARF: same functions, files
/// and lines, innermost first. DWARF names assembly `NAME.abi0`; the
/// pclntab has no suffix. PCs DWARF cannot place (`??`) are skipped, but
/// most must be compared.
#[test]
fn inline_chains_match_llvm_symbolizer() {
    for name in with_golden("llvm-symbolizer.txt.gz") {
        let data = binary(&name);
        let go = GoBinary::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let blocks = llvm_blocks(&golden(&name, "llvm-symbolizer.txt.gz"));
        let pcs = pcs(&name);
        assert_eq!(blocks.len(), pcs.len(), "{name}: golden shape");
        let mut bad = Vec::new();
        let (mut checked, mut inlined, mut gaps, mut names_only) = (0, 0, 0, 0);
        let go_tool: Vec<String> = if golden_path(&name, "addr2line.txt.gz").exists() {
            let text = golden(&name, "addr2line.txt.gz");
            text.lines()
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        } else {
            Vec::new()
        };
        let mut dwarf_disagrees = 0;
        let mut outside = 0;
        let first = go.pclntab.funcs().next().map_or(0, |f| f.entry());
        let last = go.pclntab.funcs().last().map_or(0, |f| f.end());
        for (i, (&pc, want)) in pcs.iter().zip(&blocks).enumerate() {
            // runtime.text/etext mark text's bounds and are no
            // functions (on Mach-O runtime.text aliases go:buildid).
            if want
                .iter()
                .any(|(f, _, _)| f == "??" || f == "runtime.etext" || f == "runtime.text")
            {
                continue;
            }
            // C code of cgo binaries: no Go function, and no pclntab entry.
            // (Past the 1-byte end of a trailing marker, llvm goes by the
            // Mach-O symbol, whose size go tool nm makes up.)
            if go.pclntab.func_at(pc).is_none() && (pc < first || pc >= last) {
                outside += usize::from(!is_marker(&want[0].0));
                continue;
            }
            checked += 1;
            let got: Vec<(String, String, u32)> = go
                .pclntab
                .frames_at(pc)
                .into_iter()
                .map(|f| (normalize(&f.function), f.file, f.line))
                .collect();
            inlined += usize::from(got.len() > 1);
            // Without DWARF line info (go1.19 darwin) llvm-symbolizer
            // falls back to the symbol table: the physical name only.
            // Linker markers have no line table; DWARF files them under
            // the pseudo-file go.go, line 0.
            let marker = go
                .pclntab
                .func_at(pc)
                .is_some_and(|f| is_marker(f.name()) && !f.has_line_table());
            // DWARF's "no position" is ?? or the pseudo-file go.go, line 0
            // (seen at wrapper entries).
            let no_position = want
                .iter()
                .all(|(_, file, line)| file == "??" || (file == "go.go" && *line == 0));
            if marker || no_position {
                names_only += 1;
                let physical = got.last().map(|g| g.0.clone()).unwrap_or_default();
                let wname = normalize(want[0].0.strip_suffix(".abi0").unwrap_or(&want[0].0));
                if physical != wname {
                    bad.push(format!("{pc:#x}: want {wname}, got {physical}"));
                }
                continue;
            }
            let want: Vec<(String, String, u32)> = want
                .iter()
                .map(|(f, file, l)| {
                    let f = f.strip_suffix(".abi0").unwrap_or(f);
                    (normalize(f), file.clone(), *l)
                })
                .collect();
            // Go's DWARF has no inlined-subroutine entries inside
            // autogenerated wrappers: it shows the wrapper at the
            // innermost line, where the pclntab also names the callee.
            let wrapper_gap = want.len() == 1
                && got.len() > 1
                && got.last().is_some_and(|g| g.1 == "<autogenerated>")
                && (&got[got.len() - 1].0, &got[0].1, got[0].2)
                    == (&want[0].0, &want[0].1, want[0].2);
            // Where DWARF's line program and the pclntab disagree (rare,
            // seen in go1.21 runtime code), go tool addr2line reads the
            // pclntab as we do: agreeing with it is right.
            let tool_agrees = want.len() == 1
                && got.len() == 1
                && go_tool
                    .get(i)
                    .is_some_and(|w| *w == format!("{}:{}", got[0].1, got[0].2));
            if wrapper_gap {
                gaps += 1;
            } else if tool_agrees && got != want {
                dwarf_disagrees += 1;
            } else if got != want {
                bad.push(format!("{pc:#x}: want {want:?}\n      got  {got:?}"));
            }
        }
        assert!(
            checked * 10 >= (pcs.len() - outside) * 9,
            "{name}: only {checked} of {} pcs comparable",
            pcs.len()
        );
        assert!(inlined > 0, "{name}: no inlined frame among the samples");
        assert!(
            outside == 0 || name.starts_with("cgo"),
            "{name}: pcs outside Go text"
        );
        assert!(
            gaps * 20 <= checked,
            "{name}: {gaps} wrapper gaps of {checked}"
        );
        assert!(
            dwarf_disagrees * 200 <= checked,
            "{name}: DWARF and pclntab lines differ at {dwarf_disagrees} of {checked}"
        );
        // Darwin fixtures have no DWARF line info llvm-symbolizer reads;
        // elsewhere only a few functions (inits, wrappers) lack it.
        if !name.contains("darwin") {
            assert!(
                (checked - names_only) * 10 >= (pcs.len() - outside) * 9,
                "{name}: only {} of {} pcs have DWARF lines",
                checked - names_only,
                pcs.len()
            );
        }
        report("inline chains", &name, &bad, checked);
    }
}

/// `-ldflags=-s -w` removes the symbol table and DWARF, not the pclntab:
/// the twin must give the same functions, positions and inline chains.
#[test]
fn stripped_twins_agree_with_unstripped() {
    let names: Vec<String> = manifest()
        .into_iter()
        .filter(|n| n.ends_with("-stripped"))
        .collect();
    assert!(!names.is_empty());
    for stripped in names {
        let full = stripped.trim_end_matches("-stripped").to_string();
        let (sd, fd) = (binary(&stripped), binary(&full));
        let s = GoBinary::parse(&sd).unwrap_or_else(|e| panic!("{stripped}: {e}"));
        let f = GoBinary::parse(&fd).unwrap_or_else(|e| panic!("{full}: {e}"));
        let row = |g: &GoBinary<'_>, func: gobin::pclntab::Func<'_>| {
            let (abi, _) = g.abi(&func);
            // The symbol table can only refine a non-wrapper's class.
            let abi = if abi == Abi::Wrapper {
                "wrapper"
            } else {
                "code"
            };
            format!(
                "{:#x} {:#x} {} {:?} {:?} {} {} {abi}",
                func.entry(),
                func.end(),
                func.name(),
                func.entry_position(),
                func.frame_size(),
                func.func_id(),
                func.is_asm()
            )
        };
        let a: Vec<String> = s.pclntab.funcs().map(|x| row(&s, x)).collect();
        let b: Vec<String> = f.pclntab.funcs().map(|x| row(&f, x)).collect();
        let mut bad: Vec<String> = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| format!("stripped {x}\n   full {y}"))
            .collect();
        if a.len() != b.len() {
            bad.push(format!("{} functions vs {}", a.len(), b.len()));
        }
        let sample = if golden_path(&full, "pcs.txt").exists() {
            pcs(&full)
        } else {
            f.pclntab
                .funcs()
                .map(|x| x.entry() + x.size() / 2)
                .collect()
        };
        for &pc in &sample {
            if s.pclntab.frames_at(pc) != f.pclntab.frames_at(pc) {
                bad.push(format!("frames differ at {pc:#x}"));
            }
        }
        report(
            "functions and frames",
            &stripped,
            &bad,
            b.len() + sample.len(),
        );
    }
}
