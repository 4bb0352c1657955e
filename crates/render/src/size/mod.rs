//! `rabbithole size BIN`: where every byte of a binary goes, by kind,
//! section, package and module, as text tables, one JSON document or a
//! self-contained HTML treemap ([`html`]).

pub mod html;
pub mod treemap;

use crate::{format_name, json};
use analysis::size::SizeReport;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Which text tables to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Kinds, modules and the 20 largest packages.
    Summary,
    /// Every package and shared pool.
    Package,
    /// Sections and container structures.
    Section,
    /// Kinds of bytes.
    Kind,
    /// Modules (runtime, std, main module, dependencies).
    Module,
}

/// Writes the report of the file `name` as text tables.
pub fn write_text(w: &mut dyn Write, name: &str, r: &SizeReport, table: Table) -> io::Result<()> {
    w.write_all(text(name, r, table).as_bytes())
}

/// Writes the report of the file `name` as one JSON document.
pub fn write_json(w: &mut dyn Write, name: &str, r: &SizeReport) -> io::Result<()> {
    json::write_pretty(
        w,
        &json::Size {
            schema: json::schema::SIZE,
            file: name,
            report: r,
        },
    )
}

/// A bar of `width` cells for `part` of `total`, in eighths of a cell.
fn bar(part: u64, total: u64, width: usize) -> String {
    if total == 0 {
        return String::new();
    }
    let eighths = (part as u128 * width as u128 * 8 / total as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

/// `part` as a percentage of `total`, one decimal.
pub(crate) fn pct(part: u64, total: u64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / total as f64)
}

/// Rows of (label, bytes, extra) as an aligned table with a total line.
fn write_rows(
    out: &mut String,
    head: &str,
    extra_head: &str,
    rows: &[(String, u64, String)],
    total: u64,
) {
    let wl = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(head.len())
        .max(5);
    let _ = writeln!(
        out,
        "{head:<wl$}  {:>10}  {:>6}  {:<24}  {extra_head}",
        "BYTES", "%", ""
    );
    for (label, bytes, extra) in rows {
        let _ = writeln!(
            out,
            "{label:<wl$}  {bytes:>10}  {:>6}  {:<24}  {extra}",
            pct(*bytes, total),
            bar(*bytes, total, 24)
        );
    }
    let sum: u64 = rows.iter().map(|r| r.1).sum();
    let _ = writeln!(out, "{:<wl$}  {sum:>10}  {:>6}", "total", pct(sum, total));
}

pub(crate) fn kind_rows(r: &SizeReport) -> Vec<(String, u64, String)> {
    let mut rows: Vec<_> = r
        .kinds
        .iter()
        .map(|k| {
            let extra = match k.memory {
                Some(m) => format!("memory only: {m} bytes at run time, none in the file"),
                None => String::new(),
            };
            (k.kind.name().to_string(), k.bytes, extra)
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

fn package_rows(r: &SizeReport, limit: usize) -> Vec<(String, u64, String)> {
    let mut rows: Vec<_> = r
        .packages
        .iter()
        .take(limit)
        .map(|p| {
            let mut extra = format!("{:<10}", p.class.name());
            if p.code > 0 {
                let _ = write!(extra, " code {} ({} functions)", p.code, p.functions);
            }
            (p.package.clone(), p.bytes, extra)
        })
        .collect();
    if r.packages.len() > limit {
        let rest: u64 = r.packages.iter().skip(limit).map(|p| p.bytes).sum();
        rows.push((
            format!("({} more; --by package)", r.packages.len() - limit),
            rest,
            String::new(),
        ));
    }
    rows
}

fn module_rows(r: &SizeReport) -> Vec<(String, u64, String)> {
    r.modules
        .iter()
        .map(|m| {
            let mut extra = format!("{:<10} {} packages", m.class.name(), m.packages);
            if let Some(v) = &m.version {
                let _ = write!(extra, ", {v}");
            }
            if m.code > 0 {
                let _ = write!(extra, ", code {}", m.code);
            }
            (m.module.clone(), m.bytes, extra)
        })
        .collect()
}

fn section_rows(r: &SizeReport) -> Vec<(String, u64, String)> {
    r.sections
        .iter()
        .map(|s| {
            let name = if s.segment.is_empty() {
                s.name.clone()
            } else {
                format!("{},{}", s.segment, s.name)
            };
            let mut extra = format!("{:<15}", s.kind.name());
            if let Some(size) = s.size {
                if size != s.bytes {
                    let _ = write!(extra, " size {size}");
                }
            }
            (name, s.bytes, extra)
        })
        .collect()
}

/// The text report.
fn text(name: &str, r: &SizeReport, table: Table) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name}: {} bytes, {} {}/{}{}; packages from {}",
        r.file_size,
        format_name(r.format),
        r.os,
        r.arch,
        r.go_version
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default(),
        r.attribution
    );
    out.push('\n');
    match table {
        Table::Kind => write_rows(&mut out, "KIND", "", &kind_rows(r), r.file_size),
        Table::Package => write_rows(
            &mut out,
            "PACKAGE",
            "CLASS",
            &package_rows(r, usize::MAX),
            r.file_size,
        ),
        Table::Section => write_rows(&mut out, "SECTION", "KIND", &section_rows(r), r.file_size),
        Table::Module => write_rows(&mut out, "MODULE", "CLASS", &module_rows(r), r.file_size),
        Table::Summary => {
            write_rows(&mut out, "KIND", "", &kind_rows(r), r.file_size);
            out.push('\n');
            write_rows(&mut out, "MODULE", "CLASS", &module_rows(r), r.file_size);
            out.push('\n');
            write_rows(
                &mut out,
                "PACKAGE",
                "CLASS",
                &package_rows(r, 20),
                r.file_size,
            );
        }
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            let _ = writeln!(out, "note: {n}");
        }
    }
    out
}
