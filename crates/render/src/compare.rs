//! `rabbithole compare A B`: two binaries side by side, one row per fact,
//! and where their size difference comes from.

use crate::json;
use analysis::compare::{Comparison, Row};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes the comparison of the files `a` and `b` as a table, listing at
/// most `packages` package rows.
pub fn write_text(
    w: &mut dyn Write,
    a: &str,
    b: &str,
    c: &Comparison,
    packages: usize,
) -> io::Result<()> {
    w.write_all(text(a, b, c, packages).as_bytes())
}

/// Writes the comparison of the files `a` and `b` as one JSON document.
pub fn write_json(w: &mut dyn Write, a: &str, b: &str, c: &Comparison) -> io::Result<()> {
    json::write_pretty(
        w,
        &json::Compare {
            schema: json::schema::COMPARE,
            a,
            b,
            comparison: c,
        },
    )
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// The text table: facts, then sizes; package rows limited to `packages`.
fn text(na: &str, nb: &str, c: &Comparison, packages: usize) -> String {
    let mut shown: Vec<&Row> = Vec::new();
    let mut npkg = 0;
    let mut hidden = 0;
    for r in &c.rows {
        if r.fact.starts_with("package: ") {
            npkg += 1;
            if npkg > packages {
                hidden += 1;
                continue;
            }
        }
        shown.push(r);
    }
    let (ha, hb) = (
        format!("A: {}", file_name(na)),
        format!("B: {}", file_name(nb)),
    );
    let wf = shown
        .iter()
        .map(|r| r.fact.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let wa = shown
        .iter()
        .filter(|r| r.fact != "path to write")
        .map(|r| r.a.chars().count())
        .max()
        .unwrap_or(0)
        .max(ha.chars().count());
    let mut out = String::new();
    let _ = writeln!(out, "{:<wf$}  {ha:<wa$}  {hb}", "FACT");
    let mut group = "";
    for r in shown {
        let g = r.fact.split(": ").next().unwrap_or("");
        let g = if r.diff.is_some() { g } else { "" };
        if g != group {
            out.push('\n');
            group = g;
        }
        if r.fact == "path to write" {
            let _ = writeln!(out, "{:<wf$}  A: {}", r.fact, r.a);
            let _ = writeln!(out, "{:<wf$}  B: {}", "", r.b);
            continue;
        }
        match r.diff {
            Some(d) => {
                let _ = write!(out, "{:<wf$}  {:<wa$}  {:<12} {d:+}", r.fact, r.a, r.b);
                // What the difference is made of, when it is not one kind.
                if r.made_of.len() > 1 {
                    let parts: Vec<String> = r
                        .made_of
                        .iter()
                        .take(3)
                        .map(|(k, d)| format!("{k} {d:+}"))
                        .collect();
                    let more = if r.made_of.len() > 3 { ", ..." } else { "" };
                    let _ = write!(out, "  ({}{more})", parts.join(", "));
                } else if let Some((k, _)) = r.made_of.first() {
                    let _ = write!(out, "  (all {k})");
                }
                let _ = writeln!(out);
            }
            None => {
                let mark = if r.a == r.b { "" } else { "  *" };
                let _ = writeln!(out, "{:<wf$}  {:<wa$}  {}{mark}", r.fact, r.a, r.b);
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} more packages changed; --json lists them all)"
        );
    }
    let _ = writeln!(out, "\n{}", c.summary);
    out
}
