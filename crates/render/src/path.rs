//! `rabbithole path` as text: the chain from the start function down to
//! the syscall instruction, one block per hop, then the call as the kernel
//! saw it. Colors are plain ANSI sequences, chosen by the caller (a
//! terminal without NO_COLOR).

use model::path::{ArgValue, PathHop, PathReport};
use std::fmt::Write as _;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn abi(&self, abi: &str) -> String {
        let code = match abi {
            "ABIInternal" => "32",
            "ABI0" => "33",
            "wrapper" => "35",
            _ => "36",
        };
        self.wrap(code, abi)
    }
    fn via(&self, via: &str) -> String {
        let code = match via {
            "call" => "34",
            "tail-jump" => "33;1",
            "wrapper" => "35",
            "inlined" => "36",
            _ => "37",
        };
        self.wrap(code, via)
    }
}

/// A value as people read it: small numbers in decimal, addresses in hex.
pub fn value(v: u64) -> String {
    if v < 0x10000 {
        v.to_string()
    } else if v >= 0xffff_ffff_ffff_0000 {
        (v as i64).to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Bytes an argument points at, quoted as a Go-ish string literal;
/// `more` marks a string longer than the bytes read (`"..."...`).
pub fn quoted(b: &[u8], more: bool) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

fn args_block(p: &Paint, out: &mut String, abi: &str, args: &[ArgValue]) {
    let how = if abi == "ABI0" {
        "ABI0: on the stack"
    } else {
        "ABIInternal: in registers"
    };
    let _ = writeln!(out, "      passes ({}):", p.abi(how));
    let nw = args.iter().map(|a| a.name.len()).max().unwrap_or(0);
    let lw = args.iter().map(|a| a.location.len()).max().unwrap_or(0);
    for a in args {
        let s = a
            .string
            .as_ref()
            .map(|s| format!("  {}", p.wrap("32", s)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "        {:<lw$}  {:<nw$} = {}{s}",
            a.location,
            a.name,
            p.bold(&value(a.value))
        );
    }
}

fn hop_block(p: &Paint, out: &mut String, i: usize, h: &PathHop) {
    let mut tags = vec![p.abi(&h.abi)];
    if h.abi != "C" {
        tags.push(if h.asm {
            p.wrap("36", "asm")
        } else {
            "Go".into()
        });
    }
    let arrow = if i == 0 {
        String::new()
    } else {
        format!("{} ", p.via(&h.via))
    };
    let _ = writeln!(
        out,
        "{:>2}  {arrow}{}  [{}]",
        i + 1,
        p.bold(&h.function),
        tags.join(", ")
    );
    let pos = if h.line > 0 {
        format!("{}:{}", h.file, h.line)
    } else {
        h.file.clone()
    };
    let _ = writeln!(out, "      {}", p.dim(&pos));
    if let Some(g) = &h.generated {
        let _ = writeln!(out, "      {}", p.dim(&format!("({g})")));
    }
    if let Some(c) = &h.call {
        let _ = writeln!(out, "      {:#x}  {}", c.pc, p.bold(&c.go));
        let _ = writeln!(out, "      {:>8}  {}", p.dim("gnu"), p.dim(&c.gnu));
    }
    if let Some(abi) = &h.args_abi {
        if !h.args.is_empty() {
            args_block(p, out, abi, &h.args);
        }
    }
    for s in &h.side_calls {
        let seen = if s.observed { "seen" } else { "not seen" };
        let _ = writeln!(
            out,
            "      {} {} (line {}, {}, {seen})",
            p.dim("side call:"),
            s.function,
            s.line,
            s.when
        );
    }
    if let Some(n) = &h.note {
        let _ = writeln!(out, "      {}", p.dim(&format!("({n})")));
    }
    for e in &h.explain {
        let _ = writeln!(
            out,
            "      {} {} {}",
            p.wrap("33", &format!("▸ {}:", e.topic)),
            e.text,
            p.dim(&format!("[{}]", e.link))
        );
    }
}

/// The whole report as text.
pub fn text(r: &PathReport, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let head = if r.syscall.text.is_empty() {
        format!("{} (number {})", r.syscall.name, r.syscall.nr)
    } else {
        r.syscall.text.clone()
    };
    let _ = writeln!(out, "{}", p.bold(&head));
    let g = r
        .goroutine
        .map(|g| format!(", goroutine {g}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!(
            "  {} ({}{}), thread {}{g}, call #{} of its kind",
            r.binary,
            r.go_version.as_deref().unwrap_or("go?"),
            format_args!(", {}", r.target),
            r.tid,
            r.nth
        ))
    );
    let _ = writeln!(out);
    for (i, h) in r.hops.iter().enumerate() {
        hop_block(&p, &mut out, i, h);
        let _ = writeln!(out, "      {}", p.dim("│"));
    }
    let _ = writeln!(out, "{}", p.bold("    ⇒ the kernel (Linux syscall ABI)"));
    if let Some(i) = &r.syscall.instruction {
        let _ = writeln!(
            out,
            "      {:#x}  {}   {}",
            i.pc,
            p.bold(&i.go),
            p.dim(&i.gnu)
        );
    }
    for reg in &r.registers {
        let role = reg.role.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "        {:<3}  {:<18}  {}",
            reg.name,
            value(reg.value),
            role
        );
    }
    let ret = r.syscall.ret.as_deref().unwrap_or("?");
    let _ = writeln!(out, "      returns {}", p.bold(ret));
    if let Some(e) = &r.exit {
        let _ = writeln!(out, "{}", p.dim(&format!("  (the program {e})")));
    }
    for n in &r.notes {
        let _ = writeln!(out, "{}", p.dim(&format!("note: {n}")));
    }
    out
}
