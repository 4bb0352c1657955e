//! `rabbithole path --html FILE`: one self-contained page (inline CSS and
//! SVG, no script, no network) with the chain as a diagram, one box per
//! hop colored by ABI, edges labeled by how the hop was reached, and a
//! `<details>` per hop with its registers and disassembly.

pub use crate::escape::escape;
use crate::path::value;
use model::path::{PathHop, PathReport};
use std::fmt::Write as _;

fn abi_color(abi: &str) -> &'static str {
    match abi {
        "ABIInternal" => "#2e7d32",
        "ABI0" => "#e65100",
        "wrapper" => "#8e24aa",
        _ => "#00838f",
    }
}

const BOX_W: u32 = 640;
const BOX_H: u32 = 54;
const STEP: u32 = 84;

fn diagram(r: &PathReport, out: &mut String) {
    let n = r.hops.len() as u32 + 1;
    let h = 20 + n * STEP;
    let _ = writeln!(
        out,
        r#"<svg id="chain" xmlns="http://www.w3.org/2000/svg" width="{}" height="{h}" viewBox="0 0 {} {h}" role="img" aria-label="call chain">"#,
        BOX_W + 200,
        BOX_W + 200
    );
    let _ = writeln!(
        out,
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##
    );
    for (i, hop) in r.hops.iter().enumerate() {
        let y = 10 + i as u32 * STEP;
        let color = abi_color(&hop.abi);
        if i > 0 {
            let y0 = y - (STEP - BOX_H);
            let _ = writeln!(
                out,
                r##"<line class="edge" x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#555" stroke-width="2" marker-end="url(#arrow)"/><text class="edge-label" x="{tx}" y="{ty}" font-size="13" fill="#333">{via}</text>"##,
                x = 20 + BOX_W / 2,
                y1 = y - 2,
                tx = 30 + BOX_W / 2,
                ty = y0 + (STEP - BOX_H) / 2 + 4,
                via = escape(&hop.via)
            );
        }
        let _ = writeln!(
            out,
            r##"<a href="#hop-{i}"><g class="hop" data-function="{f}" data-abi="{abi}"><rect x="20" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{color}" fill-opacity="0.12" stroke="{color}" stroke-width="2"/><text x="34" y="{t1}" font-size="15" font-weight="bold" fill="#111">{f}</text><text x="34" y="{t2}" font-size="12" fill="#444">{pos}</text><text x="{ax}" y="{t1}" font-size="12" text-anchor="end" fill="{color}">{abi}{asm}</text></g></a>"##,
            f = escape(&hop.function),
            abi = escape(&hop.abi),
            t1 = y + 22,
            t2 = y + 42,
            ax = 10 + BOX_W,
            pos = escape(&format!("{}:{}", hop.file, hop.line)),
            asm = if hop.asm { " · asm" } else { "" },
        );
    }
    let y = 10 + r.hops.len() as u32 * STEP;
    if !r.hops.is_empty() {
        let _ = writeln!(
            out,
            r##"<line class="edge" x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#555" stroke-width="2" marker-end="url(#arrow)"/><text class="edge-label" x="{tx}" y="{ty}" font-size="13" fill="#333">SYSCALL</text>"##,
            x = 20 + BOX_W / 2,
            y0 = y - (STEP - BOX_H),
            y1 = y - 2,
            tx = 30 + BOX_W / 2,
            ty = y - (STEP - BOX_H) / 2 + 4,
        );
    }
    let _ = writeln!(
        out,
        r##"<g class="kernel"><rect x="20" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#263238"/><text x="34" y="{t1}" font-size="15" font-weight="bold" fill="#fff">Linux kernel: {call}</text><text x="34" y="{t2}" font-size="12" fill="#cfd8dc">rax=nr, rdi, rsi, rdx, r10, r8, r9</text></g>"##,
        t1 = y + 22,
        t2 = y + 42,
        call = escape(&r.syscall.text)
    );
    out.push_str("</svg>\n");
}

fn hop_details(i: usize, h: &PathHop, out: &mut String) {
    let _ = writeln!(
        out,
        r#"<details class="hop-details" id="hop-{i}"><summary><b>{}. {}</b> <span class="abi" style="color:{}">{}</span> {} <code>{}:{}</code></summary>"#,
        i + 1,
        escape(&h.function),
        abi_color(&h.abi),
        escape(&h.abi),
        escape(&h.via),
        escape(&h.file),
        h.line
    );
    if let Some(g) = &h.generated {
        let _ = writeln!(out, "<p class=note>{}</p>", escape(g));
    }
    if let Some(c) = &h.call {
        let _ = writeln!(
            out,
            "<p>call at <code>{:#x}</code>: <code>{}</code> &nbsp; GNU: <code>{}</code></p>",
            c.pc,
            escape(&c.go),
            escape(&c.gnu),
        );
    }
    if !h.args.is_empty() {
        let _ = writeln!(
            out,
            "<table class=args><tr><th>location</th><th>name</th><th>value</th><th></th></tr>"
        );
        for a in &h.args {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&a.location),
                escape(&a.name),
                escape(&value(a.value)),
                escape(a.string.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>\n");
    }
    if !h.registers.is_empty() {
        out.push_str("<p>registers at the call:</p><pre class=regs>");
        for (k, r) in h.registers.iter().enumerate() {
            let _ = write!(out, "{:<4} {:#018x}", escape(&r.name), r.value);
            out.push_str(if k % 3 == 2 { "\n" } else { "   " });
        }
        out.push_str("</pre>\n");
    }
    for s in &h.side_calls {
        let _ = writeln!(
            out,
            "<p class=note>side call: {} (line {}, {})</p>",
            escape(&s.function),
            s.line,
            escape(&s.when)
        );
    }
    if !h.disassembly.is_empty() {
        out.push_str("<pre class=disasm>");
        for l in &h.disassembly {
            out.push_str(&escape(l));
            out.push('\n');
        }
        out.push_str("</pre>\n");
    }
    for e in &h.explain {
        let _ = writeln!(
            out,
            "<p class=explain><b>{}</b>: {} <small>{}</small></p>",
            escape(&e.topic),
            escape(&e.text),
            escape(&e.link)
        );
    }
    out.push_str("</details>\n");
}

/// The page.
pub fn path_page(r: &PathReport) -> String {
    let mut out = String::new();
    let title = format!("rabbithole path: {}", r.syscall.text);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{}</title>",
        escape(&title)
    );
    out.push_str(
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#111}code,pre{font-family:ui-monospace,monospace}\
pre{background:#f5f5f5;padding:.6em;overflow-x:auto}details{margin:.4em 0;border-left:3px solid #ccc;padding-left:.8em}\
table.args td,table.args th{padding:0 .8em 0 0;text-align:left}.note{color:#555}.explain{background:#fff8e1;padding:.4em}</style>\n",
    );
    out.push_str("</head><body>\n");
    let _ = writeln!(out, "<h1><code>{}</code></h1>", escape(&r.syscall.text));
    let _ = writeln!(
        out,
        "<p>{} ({}, {}), thread {}{}</p>",
        escape(&r.binary),
        escape(r.go_version.as_deref().unwrap_or("go?")),
        escape(&r.target),
        r.tid,
        r.goroutine
            .map(|g| format!(", goroutine {g}"))
            .unwrap_or_default()
    );
    diagram(r, &mut out);
    out.push_str("<h2>Hops</h2>\n");
    for (i, h) in r.hops.iter().enumerate() {
        hop_details(i, h, &mut out);
    }
    out.push_str("<h2>At the syscall</h2>\n<pre class=regs>");
    for reg in &r.registers {
        let _ = writeln!(
            out,
            "{:<4} {:#018x}  {}",
            escape(&reg.name),
            reg.value,
            escape(reg.role.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(
        out,
        "</pre>\n<p>result: <code>{}</code></p>",
        escape(r.syscall.ret.as_deref().unwrap_or("?"))
    );
    for n in &r.notes {
        let _ = writeln!(out, "<p class=note>{}</p>", escape(n));
    }
    out.push_str("</body></html>\n");
    out
}
