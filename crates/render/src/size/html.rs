//! `rabbithole size --html FILE`: one self-contained page (no script
//! from the network) with modules as groups and packages inside them,
//! laid out here by [`squarify`] so the page needs nothing to draw.

use super::treemap::{squarify, Rect};
use super::{kind_rows, pct};
use crate::escape::escape;
use crate::format_name;
use analysis::size::{self, Class, SizeReport};
use std::fmt::Write as _;

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
pub fn page(name: &str, r: &SizeReport) -> String {
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
            escape(&m.module),
            m.bytes,
            pct(m.bytes, r.file_size),
            escape(&format!("{} {}", m.module, pct(m.bytes, r.file_size))),
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
                escape(&p.package)
            } else {
                String::new()
            };
            let _ = writeln!(
                body,
                r#"<div class="tm-rect" data-package="{}" data-bytes="{}" style="left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px;background:{}" title="{}">{}</div>"#,
                escape(&p.package),
                p.bytes,
                rc.x,
                rc.y,
                rc.w,
                rc.h,
                class_color(p.class),
                escape(&tip),
                label
            );
        }
    }
    let mut kinds = String::new();
    for (k, n, extra) in kind_rows(r) {
        let _ = writeln!(
            kinds,
            "<tr><td>{}</td><td class=n>{n}</td><td class=n>{}</td><td><span class=bar style=\"width:{:.0}px\"></span> {}</td></tr>",
            escape(&k),
            pct(n, r.file_size),
            n as f64 / total * 300.0,
            escape(&extra)
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
        title = escape(name),
        size = r.file_size,
        fmt = format_name(r.format),
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
