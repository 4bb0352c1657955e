//! `rabbithole inspect BIN`: container, Go build info, linking, cgo and
//! the syscall mechanism of a binary, as text or one JSON document.

use crate::{format_name, json};
use gobin::report::{FileReport, Report};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes the report of the file `name` as text.
pub fn write_text(w: &mut dyn Write, name: &str, report: &FileReport) -> io::Result<()> {
    w.write_all(text(name, report).as_bytes())
}

/// Writes the report of the file `name` as one JSON document: a thin
/// binary's report at the top level, a universal binary's per slice.
pub fn write_json(w: &mut dyn Write, name: &str, report: &FileReport) -> io::Result<()> {
    if report.fat {
        json::write_pretty(
            w,
            &json::InspectFat {
                schema: json::schema::INSPECT,
                file: name,
                file_size: report.file_size,
                format: "macho",
                fat: true,
                slices: &report.slices,
            },
        )
    } else {
        json::write_pretty(
            w,
            &json::Inspect {
                schema: json::schema::INSPECT,
                file: name,
                file_size: report.file_size,
                report: &report.slices[0],
            },
        )
    }
}

fn text(name: &str, r: &FileReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{name}  ({})", human(r.file_size));
    if r.fat {
        let _ = writeln!(o, "  universal Mach-O, {} slices", r.slices.len());
    }
    for s in &r.slices {
        if r.fat {
            let _ = writeln!(o, "-- slice {}", s.arch.name());
        }
        slice_text(&mut o, s);
    }
    o
}

fn line(o: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(o, "  {label:<9} {value}");
}

fn yes_no(b: bool, yes: &str, no: &str) -> String {
    if b { yes } else { no }.to_string()
}

fn slice_text(o: &mut String, r: &Report) {
    let format = format_name(r.format);
    line(
        o,
        "binary",
        format!(
            "{format} {}/{}, entry {:#x}",
            r.os.name(),
            r.arch.name(),
            r.entry
        ),
    );
    match &r.go {
        Some(g) => {
            let mut v = g.version.clone();
            if !g.path.is_empty() {
                v.push_str("  ");
                v.push_str(&g.path);
            }
            line(o, "go", v);
            if let Some(m) = &g.main {
                line(o, "module", module(m));
            }
            for (i, d) in g.deps.iter().enumerate() {
                line(o, if i == 0 { "deps" } else { "" }, module(d));
            }
            if !g.settings.is_empty() {
                let parts: Vec<String> = g
                    .settings
                    .iter()
                    .map(|s| {
                        // Tabs and newlines (Debian's -ldflags has them)
                        // would break the layout; long values are cut.
                        let v = printable(&s.value);
                        let v = if v.chars().count() > 24 {
                            let cut: String = v.chars().take(20).collect();
                            format!("{cut}…")
                        } else {
                            v
                        };
                        format!("{}={v}", printable(&s.key))
                    })
                    .collect();
                for (i, chunk) in wrap(&parts, 80).iter().enumerate() {
                    line(o, if i == 0 { "build" } else { "" }, chunk);
                }
            }
        }
        None if r.truncated.is_some() => line(o, "go", "unknown (no build info: the file is cut)"),
        None => line(o, "go", "not a Go binary (no build info)"),
    }
    let mut link = r.linking.kind.to_string();
    if let Some(i) = &r.linking.interpreter {
        let _ = write!(link, ", interpreter {i}");
    }
    line(o, "linking", link);
    if !r.linking.needed.is_empty() {
        line(o, "needs", r.linking.needed.join(", "));
    }
    line(
        o,
        "flags",
        [
            yes_no(r.pie, "PIE", "not PIE"),
            yes_no(r.stripped, "stripped", "not stripped"),
            yes_no(r.dwarf, "DWARF", "no DWARF"),
            yes_no(r.cgo, "cgo", "no cgo"),
        ]
        .join(", "),
    );
    let m = &r.syscall_mechanism;
    let how = match (m.kind, m.instruction) {
        ("raw", Some(i)) if r.go.is_some() || r.go_functions.is_some() => {
            format!("raw {i} instructions in Go code")
        }
        ("raw", Some(i)) => format!("raw {i} instructions"),
        ("raw+libc", Some(i)) => format!("raw {i} in Go code; cgo C code through libc"),
        ("libc", _) if r.go.is_some() || r.go_functions.is_some() => {
            "through libc (no raw syscalls in Go code)".to_string()
        }
        ("libc", _) => "through libc".to_string(),
        (k, _) => k.to_string(),
    };
    line(o, "syscalls", how);
    for e in &m.evidence {
        line(o, "", format!("- {e}"));
    }
    let mut secs: Vec<_> = r.sections.iter().filter(|s| s.size > 0).collect();
    secs.sort_by_key(|s| std::cmp::Reverse(s.size));
    let top: Vec<String> = secs
        .iter()
        .take(6)
        .map(|s| {
            let name = if s.name.is_empty() {
                "(unnamed)"
            } else {
                &s.name
            };
            let cut = if s.past_end { " (past the end)" } else { "" };
            format!("{name} {}{cut}", human(s.size))
        })
        .collect();
    if !top.is_empty() {
        line(o, "sections", top.join(", "));
    }
    for w in &r.warnings {
        line(o, "warning", w);
    }
}

/// Control characters shown as escapes, so one value stays on one line.
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn module(m: &gobin::buildinfo::Module) -> String {
    let mut s = format!("{} {}", m.path, m.version);
    if let Some(r) = &m.replace {
        let _ = write!(s, " => {} {}", r.path, r.version);
    }
    s
}

fn wrap(parts: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for p in parts {
        match lines.last_mut() {
            Some(l) if l.len() + 1 + p.len() <= width => {
                l.push(' ');
                l.push_str(p);
            }
            _ => lines.push(p.clone()),
        }
    }
    lines
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}
