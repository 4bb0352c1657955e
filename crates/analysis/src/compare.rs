//! Two binaries side by side: one row per fact (container, Go version,
//! linking, stripping, syscall mechanism, the static path to `write`) and
//! the size difference by kind, module and package, largest movers first.
//!
//! The facts come from `gobin::report` (what `inspect` prints), the path
//! from [`crate::Analysis`], the sizes from [`crate::size`]; nothing is
//! recomputed here.

use crate::size::{self, PackageRow, SizeReport};
use crate::{Analysis, Path, SiteKind};
use gobin::report::Report;
use gobin::{Error, GoBinary};
use serde::Serialize;
use std::collections::BTreeMap;

/// One compared fact.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What is compared (`format`, `size: code`, `package: runtime`).
    pub fact: String,
    /// Value for the first binary.
    pub a: String,
    /// Value for the second binary.
    pub b: String,
    /// For byte counts: b - a.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<i64>,
    /// For a package's bytes: what the difference is made of, by kind,
    /// largest first (`symbols -83401, pclntab -6788`): stripping moves
    /// symbol tables and DWARF, not code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub made_of: Vec<(String, i64)>,
}

/// The comparison of two binaries.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Facts, then sizes by kind, module and package (each group largest
    /// movers first).
    pub rows: Vec<Row>,
    /// Where the size difference comes from, in one sentence.
    pub summary: String,
    /// The first binary's size report.
    pub a_size: SizeReport,
    /// The second binary's size report.
    pub b_size: SizeReport,
}

/// Everything compared about one binary.
struct Side {
    report: Report,
    size: SizeReport,
    write_path: String,
}

fn side(data: &[u8]) -> Result<Side, Error> {
    let size = size::measure(data)?;
    let file = gobin::report::inspect(data)?;
    let report = file
        .slices
        .into_iter()
        .next()
        .ok_or_else(|| Error::Format("no slices".into()))?;
    let write_path = match GoBinary::parse(data) {
        Ok(go) => path_to_write(&go).unwrap_or_else(|| "not found".into()),
        Err(e) => format!("no Go function table ({e})"),
    };
    Ok(Side {
        report,
        size,
        write_path,
    })
}

/// The last element of an import path, so `golang.org/x/sys/unix.Write`
/// reads `unix.Write`.
fn short(name: &str) -> &str {
    let head = name.find('[').map_or(name, |i| &name[..i]);
    match head.rfind('/') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The shortest static path from `main.main` to the `write` system call
/// (Linux: a SYSCALL/SVC whose number resolves to write; darwin and cgo:
/// the call into libc's `write`), as a short chain of function names.
pub fn path_to_write(go: &GoBinary<'_>) -> Option<String> {
    let an = Analysis::new(go, None);
    let from = an.function("main.main")?;
    let nr = an.syscall_number("write");
    let mut best: Option<Path> = None;
    for s in an.sites.iter().filter(|s| s.depth.is_some()) {
        let paths = match s.kind {
            SiteKind::Libc if s.name.as_deref() == Some("write") => {
                an.paths_to(from, s.addr, 1, None)
            }
            SiteKind::Syscall | SiteKind::Svc if nr.is_some() => an.paths_to(from, s.addr, 1, nr),
            _ => continue,
        };
        for p in paths {
            if best.as_ref().is_none_or(|b| p.hops.len() < b.hops.len()) {
                best = Some(p);
            }
        }
    }
    let p = best?;
    let mut names: Vec<&str> = Vec::new();
    for h in &p.hops {
        let n = short(&h.function);
        if names.last() != Some(&n) {
            names.push(n);
        }
    }
    let end = match p.kind {
        SiteKind::Syscall => "SYSCALL".to_string(),
        SiteKind::Svc => "SVC".to_string(),
        SiteKind::Libc => format!(
            "libc {}",
            p.library
                .as_deref()
                .map(|l| l.rsplit('/').next().unwrap_or(l))
                .unwrap_or("")
        ),
    };
    // The libc import is the last hop already; say where it goes instead.
    if p.kind == SiteKind::Libc && names.last() == Some(&"write") {
        names.pop();
        names.push("write");
    }
    Some(format!(
        "{} ({} hops) → {end}",
        names.join(" → "),
        p.hops.len()
    ))
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn fact(rows: &mut Vec<Row>, fact: &str, a: String, b: String) {
    rows.push(Row {
        fact: fact.into(),
        a,
        b,
        diff: None,
        made_of: Vec::new(),
    });
}

fn bytes_row(fact: String, a: u64, b: u64) -> Row {
    Row {
        fact,
        a: a.to_string(),
        b: b.to_string(),
        diff: Some(b as i64 - a as i64),
        made_of: Vec::new(),
    }
}

/// Rows for a keyed byte table, largest |diff| first, unchanged rows left
/// out.
fn movers(prefix: &str, a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> Vec<Row> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .map(|k| {
            bytes_row(
                format!("{prefix}{k}"),
                a.get(k).copied().unwrap_or(0),
                b.get(k).copied().unwrap_or(0),
            )
        })
        .filter(|r| r.diff != Some(0))
        .collect();
    rows.sort_by(|x, y| {
        let (dx, dy) = (x.diff.unwrap_or(0).abs(), y.diff.unwrap_or(0).abs());
        dy.cmp(&dx).then(x.fact.cmp(&y.fact))
    });
    rows
}

/// A package's byte difference by kind, largest first, unchanged kinds
/// left out.
fn kind_diffs(a: Option<&PackageRow>, b: Option<&PackageRow>) -> Vec<(String, i64)> {
    let kinds = |p: Option<&PackageRow>| p.map(|p| p.kinds.clone()).unwrap_or_default();
    let (ka, kb) = (kinds(a), kinds(b));
    let names: std::collections::BTreeSet<&&str> = ka.keys().chain(kb.keys()).collect();
    let mut out: Vec<(String, i64)> = names
        .into_iter()
        .map(|k| {
            let get = |m: &BTreeMap<&str, u64>| m.get(*k).copied().unwrap_or(0) as i64;
            (k.to_string(), get(&kb) - get(&ka))
        })
        .filter(|(_, d)| *d != 0)
        .collect();
    out.sort_by(|x, y| y.1.abs().cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
    out
}

fn linking(r: &Report) -> String {
    if r.linking.needed.is_empty() {
        return r.linking.kind.to_string();
    }
    let libs: Vec<&str> = r
        .linking
        .needed
        .iter()
        .map(|l| l.rsplit('/').next().unwrap_or(l))
        .collect();
    format!("{} ({})", r.linking.kind, libs.join(", "))
}

fn mechanism(r: &Report) -> String {
    let m = &r.syscall_mechanism;
    match m.instruction {
        Some(i) => format!("{} ({i})", m.kind),
        None => m.kind.to_string(),
    }
}

/// Compares two binaries' bytes.
pub fn compare(a: &[u8], b: &[u8]) -> Result<Comparison, Error> {
    let a = side(a)?;
    let b = side(b)?;
    let (ra, rb) = (&a.report, &b.report);
    let mut rows = Vec::new();
    fact(
        &mut rows,
        "format",
        format!("{:?}", ra.format).to_lowercase(),
        format!("{:?}", rb.format).to_lowercase(),
    );
    fact(
        &mut rows,
        "arch",
        ra.arch.name().into(),
        rb.arch.name().into(),
    );
    fact(&mut rows, "os", ra.os.name().into(), rb.os.name().into());
    let ver = |r: &Report, s: &SizeReport| {
        r.go.as_ref()
            .map(|g| g.version.clone())
            .or_else(|| s.go_version.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    fact(&mut rows, "go version", ver(ra, &a.size), ver(rb, &b.size));
    fact(&mut rows, "linking", linking(ra), linking(rb));
    fact(&mut rows, "pie", yes_no(ra.pie), yes_no(rb.pie));
    fact(&mut rows, "cgo", yes_no(ra.cgo), yes_no(rb.cgo));
    fact(
        &mut rows,
        "stripped",
        yes_no(ra.stripped),
        yes_no(rb.stripped),
    );
    fact(&mut rows, "dwarf", yes_no(ra.dwarf), yes_no(rb.dwarf));
    fact(&mut rows, "syscall mechanism", mechanism(ra), mechanism(rb));
    fact(
        &mut rows,
        "path to write",
        a.write_path.clone(),
        b.write_path.clone(),
    );
    rows.push(bytes_row(
        "size: total".into(),
        a.size.file_size,
        b.size.file_size,
    ));
    let kinds = |s: &SizeReport| -> BTreeMap<String, u64> {
        s.kinds
            .iter()
            .map(|k| (k.kind.name().to_string(), k.bytes))
            .collect()
    };
    let bss = |s: &SizeReport| s.kinds.iter().find_map(|k| k.memory).unwrap_or(0);
    let kind_rows = movers("size: ", &kinds(&a.size), &kinds(&b.size));
    let summary = summarize(&a.size, &b.size, &kind_rows);
    rows.extend(kind_rows);
    let bss_row = bytes_row(
        "memory: bss (not in the file)".into(),
        bss(&a.size),
        bss(&b.size),
    );
    if bss_row.diff != Some(0) {
        rows.push(bss_row);
    }
    let modules = |s: &SizeReport| -> BTreeMap<String, u64> {
        s.modules
            .iter()
            .map(|m| (m.module.clone(), m.bytes))
            .collect()
    };
    rows.extend(movers("module: ", &modules(&a.size), &modules(&b.size)));
    let packages = |s: &SizeReport| -> BTreeMap<String, u64> {
        s.packages
            .iter()
            .map(|p| (p.package.clone(), p.bytes))
            .collect()
    };
    let from = rows.len();
    rows.extend(movers("package: ", &packages(&a.size), &packages(&b.size)));
    for row in &mut rows[from..] {
        let name = &row.fact["package: ".len()..];
        row.made_of = kind_diffs(a.size.package(name), b.size.package(name));
    }
    Ok(Comparison {
        rows,
        summary,
        a_size: a.size,
        b_size: b.size,
    })
}

/// "B is N bytes larger (+x%): +code, +dynamic linking, -dwarf ..."
fn summarize(a: &SizeReport, b: &SizeReport, kind_rows: &[Row]) -> String {
    let d = b.file_size as i64 - a.file_size as i64;
    let mut s = match d {
        0 => "same size".to_string(),
        _ => format!(
            "B is {} bytes {} ({:+.1}%)",
            d.abs(),
            if d > 0 { "larger" } else { "smaller" },
            d as f64 * 100.0 / a.file_size.max(1) as f64
        ),
    };
    let parts: Vec<String> = kind_rows
        .iter()
        .take(6)
        .map(|r| {
            format!(
                "{} {:+}",
                r.fact.trim_start_matches("size: "),
                r.diff.unwrap_or(0)
            )
        })
        .collect();
    if !parts.is_empty() {
        s.push_str(": ");
        s.push_str(&parts.join(", "));
    }
    s
}
