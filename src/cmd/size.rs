//! `rabbithole size BIN`: where every byte of a binary goes, by kind,
//! section, package and module, as text, JSON or a self-contained HTML
//! treemap.

use analysis::size::{self, Class, SizeReport};
use anyhow::anyhow;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `size`.
#[derive(clap::Args)]
pub struct Args {
    /// The binary to measure (never executed)
    pub binary: PathBuf,
    /// One full table instead of the summary: package, section or kind
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained treemap page to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// The table `--by` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Go packages and shared pools
    Package,
    /// Sections and container structures
    Section,
    /// Kinds of bytes
    Kind,
    /// Modules (runtime, std, main module, dependencies)
    Module,
}

#[derive(Serialize)]
struct Json<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a SizeReport,
}

/// Measures the file at `path`; errors name the file.
pub fn measure_file(path: &std::path::Path) -> anyhow::Result<SizeReport> {
    let name = path.display().to_string();
    let file = gobin::MappedFile::open(path).map_err(|e| anyhow!("{name}: {e}"))?;
    size::measure(file.bytes()).map_err(|e| anyhow!("{name}: {e}"))
}

/// Runs `size`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let name = args.binary.display().to_string();
    let report = measure_file(&args.binary)?;
    if let Some(path) = &args.html {
        let page = html_page(&name, &report);
        std::fs::write(path, page).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(
            &mut w,
            &Json {
                file: &name,
                report: &report,
            },
        )?;
        writeln!(w)?;
    } else {
        w.write_all(text(&name, &report, args.by).as_bytes())?;
    }
    w.flush()?;
    Ok(0)
}

/// A bar of `width` cells for `part` of `total`, in eighths of a cell.
pub fn bar(part: u64, total: u64, width: usize) -> String {
    if total == 0 {
        return String::new();
    }
    let eighths = (part as u128 * width as u128 * 8 / total as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

fn pct(part: u64, total: u64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / total as f64)
}

/// Rows of (label, bytes, extra) as an aligned table with a total line.
fn table(
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

fn kind_rows(r: &SizeReport) -> Vec<(String, u64, String)> {
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
pub fn text(name: &str, r: &SizeReport, by: Option<By>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name}: {} bytes, {} {}/{}{}; packages from {}",
        r.file_size,
        match r.format {
            model::Format::Elf => "ELF",
            model::Format::Macho => "Mach-O",
        },
        r.os,
        r.arch,
        r.go_version
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default(),
        r.attribution
    );
    out.push('\n');
    match by {
        Some(By::Kind) => table(&mut out, "KIND", "", &kind_rows(r), r.file_size),
        Some(By::Package) => table(
            &mut out,
            "PACKAGE",
            "CLASS",
            &package_rows(r, usize::MAX),
            r.file_size,
        ),
        Some(By::Section) => table(&mut out, "SECTION", "KIND", &section_rows(r), r.file_size),
        Some(By::Module) => table(&mut out, "MODULE", "CLASS", &module_rows(r), r.file_size),
        None => {
            table(&mut out, "KIND", "", &kind_rows(r), r.file_size);
            out.push('\n');
            table(&mut out, "MODULE", "CLASS", &module_rows(r), r.file_size);
            out.push('\n');
            table(
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

// ---------------------------------------------------------------------
// HTML treemap

/// A rectangle of the treemap, in page pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Squarified treemap layout: one rectangle per value (sorted largest
/// first by the caller), filling `area` with aspect ratios near 1.
pub fn squarify(values: &[f64], area: Rect) -> Vec<Rect> {
    let total: f64 = values.iter().sum();
    let mut out = vec![
        Rect {
            x: area.x,
            y: area.y,
            w: 0.0,
            h: 0.0
        };
        values.len()
    ];
    if total <= 0.0 || area.w <= 0.0 || area.h <= 0.0 {
        return out;
    }
    let scale = area.w * area.h / total;
    let v: Vec<f64> = values.iter().map(|x| x * scale).collect();
    let mut r = area;
    let mut i = 0;
    let worst = |row: &[f64], side: f64| -> f64 {
        let sum: f64 = row.iter().sum();
        let max = row.iter().cloned().fold(0.0, f64::max);
        let min = row.iter().cloned().fold(f64::INFINITY, f64::min);
        if sum <= 0.0 || min <= 0.0 {
            return f64::INFINITY;
        }
        let s2 = side * side;
        (s2 * max / (sum * sum)).max(sum * sum / (s2 * min))
    };
    while i < v.len() {
        let side = r.w.min(r.h);
        let mut j = i + 1;
        while j < v.len() && worst(&v[i..=j], side) <= worst(&v[i..j], side) {
            j += 1;
        }
        let row = &v[i..j];
        let sum: f64 = row.iter().sum();
        if r.w >= r.h {
            let cw = if r.h > 0.0 { sum / r.h } else { 0.0 };
            let mut y = r.y;
            for (k, val) in row.iter().enumerate() {
                let h = if cw > 0.0 { val / cw } else { 0.0 };
                out[i + k] = Rect {
                    x: r.x,
                    y,
                    w: cw,
                    h,
                };
                y += h;
            }
            r.x += cw;
            r.w -= cw;
        } else {
            let rh = if r.w > 0.0 { sum / r.w } else { 0.0 };
            let mut x = r.x;
            for (k, val) in row.iter().enumerate() {
                let w = if rh > 0.0 { val / rh } else { 0.0 };
                out[i + k] = Rect {
                    x,
                    y: r.y,
                    w,
                    h: rh,
                };
                x += w;
            }
            r.y += rh;
            r.h -= rh;
        }
        i = j;
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn class_color(c: Class) -> &'static str {
    match c {
        Class::Runtime => "#e8a87c",
        Class::Std => "#85c1e9",
        Class::Main => "#82e0aa",
        Class::Dependency => "#f7dc6f",
        Class::Other => "#c8c8c8",
    }
}

/// The treemap page: modules as groups, packages and pools inside them,
/// laid out here so the page needs no script and no network.
pub fn html_page(name: &str, r: &SizeReport) -> String {
    const W: f64 = 1200.0;
    const H: f64 = 720.0;
    const HEAD: f64 = 18.0;
    let total = r.file_size.max(1) as f64;
    let mut groups: Vec<(&size::ModuleRow, Vec<&size::PackageRow>)> = r
        .modules
        .iter()
        .map(|m| {
            let pk = r
                .packages
                .iter()
                .filter(|p| {
                    let key = match p.class {
                        Class::Runtime => "runtime",
                        Class::Other => "other",
                        _ => p.module.as_deref().unwrap_or("(unknown module)"),
                    };
                    key == m.module && p.bytes > 0
                })
                .collect();
            (m, pk)
        })
        .filter(|(m, _)| m.bytes > 0)
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.0.bytes));
    let outer = squarify(
        &groups.iter().map(|g| g.0.bytes as f64).collect::<Vec<_>>(),
        Rect {
            x: 0.0,
            y: 0.0,
            w: W,
            h: H,
        },
    );
    let mut body = String::new();
    for ((m, pkgs), g) in groups.iter().zip(&outer) {
        let _ = writeln!(
            body,
            r#"<div class="tm-group" style="left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px" title="{} — {} bytes ({})"><span class="tm-glabel">{}</span></div>"#,
            g.x,
            g.y,
            g.w,
            g.h,
            esc(&m.module),
            m.bytes,
            pct(m.bytes, r.file_size),
            esc(&format!("{} {}", m.module, pct(m.bytes, r.file_size))),
        );
        let head = if g.h > 3.0 * HEAD { HEAD } else { 0.0 };
        let inner = Rect {
            x: g.x + 1.0,
            y: g.y + head,
            w: (g.w - 2.0).max(0.0),
            h: (g.h - head - 1.0).max(0.0),
        };
        let rects = squarify(
            &pkgs.iter().map(|p| p.bytes as f64).collect::<Vec<_>>(),
            inner,
        );
        for (p, rc) in pkgs.iter().zip(rects) {
            let mut tip = format!(
                "{} — {} bytes ({} of the file)",
                p.package,
                p.bytes,
                pct(p.bytes, r.file_size)
            );
            for (k, n) in &p.kinds {
                let _ = write!(tip, "\n  {k}: {n}");
            }
            let label = if rc.w > 40.0 && rc.h > 14.0 {
                esc(&p.package)
            } else {
                String::new()
            };
            let _ = writeln!(
                body,
                r#"<div class="tm-rect" data-package="{}" data-bytes="{}" style="left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px;background:{}" title="{}">{}</div>"#,
                esc(&p.package),
                p.bytes,
                rc.x,
                rc.y,
                rc.w,
                rc.h,
                class_color(p.class),
                esc(&tip),
                label
            );
        }
    }
    let mut kinds = String::new();
    for (k, n, extra) in kind_rows(r) {
        let _ = writeln!(
            kinds,
            "<tr><td>{}</td><td class=n>{n}</td><td class=n>{}</td><td><span class=bar style=\"width:{:.0}px\"></span> {}</td></tr>",
            esc(&k),
            pct(n, r.file_size),
            n as f64 / total * 300.0,
            esc(&extra)
        );
    }
    let legend: String = [
        Class::Runtime,
        Class::Std,
        Class::Main,
        Class::Dependency,
        Class::Other,
    ]
    .iter()
    .map(|&c| {
        format!(
            "<span class=key style=\"background:{}\">{}</span>",
            class_color(c),
            c.name()
        )
    })
    .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>size: {title}</title>
<style>
body{{font:13px system-ui,sans-serif;margin:16px;color:#222}}
#treemap{{position:relative;width:{W}px;height:{H}px;border:1px solid #555;overflow:hidden}}
.tm-group{{position:absolute;box-sizing:border-box;border:1px solid #333;background:#f4f4f4}}
.tm-glabel{{font-weight:bold;font-size:12px;padding:1px 3px;white-space:nowrap;overflow:hidden;display:block}}
.tm-rect{{position:absolute;box-sizing:border-box;border:1px solid #fff;font-size:11px;overflow:hidden;white-space:nowrap;padding:1px 2px}}
.tm-rect:hover{{outline:2px solid #000;z-index:1}}
table{{border-collapse:collapse;margin-top:12px}} td,th{{padding:2px 8px;text-align:left}} td.n{{text-align:right;font-variant-numeric:tabular-nums}}
.bar{{display:inline-block;height:10px;background:#5d6d7e}} .key{{padding:1px 6px;margin-right:6px}}
</style></head><body>
<h1>{title}</h1>
<p>{size} bytes, {fmt} {os}/{arch}{ver}; packages from {attr}. Hover a rectangle for its bytes by kind. {legend}</p>
<div id="treemap">
{body}</div>
<table><tr><th>kind</th><th>bytes</th><th>%</th><th></th></tr>
{kinds}</table>
<script>
// Records what the browser laid out, so a headless run can check it.
(function () {{
  var t = document.getElementById("treemap"), box = t.getBoundingClientRect();
  var n = 0, area = 0;
  document.querySelectorAll(".tm-rect").forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.left >= box.left - 1 && r.right <= box.right + 1) {{
      n++;
      area += r.width * r.height;
    }}
  }});
  t.setAttribute("data-rendered-rects", n);
  t.setAttribute("data-rendered-area", Math.round(area));
}})();
</script>
</body></html>
"#,
        title = esc(name),
        size = r.file_size,
        fmt = match r.format {
            model::Format::Elf => "ELF",
            model::Format::Macho => "Mach-O",
        },
        os = r.os,
        arch = r.arch,
        ver = r
            .go_version
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default(),
        attr = r.attribution,
    )
}
