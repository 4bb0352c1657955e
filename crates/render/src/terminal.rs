//! The one escaping step for text that reaches a terminal. Names, file
//! paths and module strings come from binaries nobody vetted: a module
//! path holding `\x1b[2J` would clear the screen of whoever inspects it.
//! Every control character is shown the way strace shows one in a
//! syscall argument (`\33`), so the bytes stay readable and visible.
//!
//! - [`escape`]: one value (a name, a path) with every control escaped,
//!   newline and tab included, so it stays on its line.
//! - [`Guard`]: a writer that escapes whatever a text printer writes,
//!   except the newlines and tabs of the layout itself. The static
//!   commands write their text through it; JSON goes around it (serde
//!   already writes controls as `\u001b`, and an octal escape there would
//!   break the document).

use std::borrow::Cow;
use std::io::{self, Write};

/// `s` with every control character (C0, DEL, and the C1 range that some
/// terminals obey in UTF-8 as well) written as backslash and octal bytes.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:o}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that escapes control bytes on their way to `W`, keeping `\n`
/// and `\t` (the printers' own layout) and valid UTF-8 text as is.
pub struct Guard<W: Write> {
    inner: W,
    /// A 0xC2 lead byte ended the last write: the next byte decides
    /// whether the pair is a C1 control.
    pending_c2: bool,
}

impl<W: Write> Guard<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Guard {
            inner,
            pending_c2: false,
        }
    }

    /// The wrapped writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

/// True for a byte that is a control on its own (C0 but newline and tab,
/// and DEL).
fn is_c0(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f
}

fn octal(w: &mut impl Write, b: u8) -> io::Result<()> {
    write!(w, "\\{b:o}")
}

impl<W: Write> Write for Guard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        if self.pending_c2 {
            let Some((&b, tail)) = rest.split_first() else {
                return Ok(0);
            };
            self.pending_c2 = false;
            if (0x80..0xa0).contains(&b) {
                octal(&mut self.inner, 0xc2)?;
                octal(&mut self.inner, b)?;
            } else {
                self.inner.write_all(&[0xc2, b])?;
            }
            rest = tail;
        }
        while !rest.is_empty() {
            // Most text is plain: copy each run of safe bytes at once.
            let run = rest
                .iter()
                .position(|&b| is_c0(b) || b == 0xc2)
                .unwrap_or(rest.len());
            self.inner.write_all(&rest[..run])?;
            rest = &rest[run..];
            let Some((&b, tail)) = rest.split_first() else {
                break;
            };
            if b != 0xc2 {
                octal(&mut self.inner, b)?;
                rest = tail;
                continue;
            }
            match tail.first() {
                None => {
                    self.pending_c2 = true;
                    rest = tail;
                }
                Some(&n) if (0x80..0xa0).contains(&n) => {
                    octal(&mut self.inner, 0xc2)?;
                    octal(&mut self.inner, n)?;
                    rest = &tail[1..];
                }
                Some(&n) => {
                    self.inner.write_all(&[0xc2, n])?;
                    rest = &tail[1..];
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending_c2 {
            // A lone lead byte at the end is not a control: keep it.
            self.pending_c2 = false;
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{escape, Guard};
    use std::io::Write;

    fn guarded(chunks: &[&[u8]]) -> Vec<u8> {
        let mut g = Guard::new(Vec::new());
        for c in chunks {
            g.write_all(c).unwrap();
        }
        g.flush().unwrap();
        g.inner
    }

    #[test]
    fn escape_shows_every_control_in_octal() {
        assert_eq!(
            escape("m\x1b[2J\x1b]0;TITLE\x07"),
            "m\\33[2J\\33]0;TITLE\\7"
        );
        assert_eq!(escape("a\nb\tc\u{9b}d"), "a\\12b\\11c\\302\\233d");
        assert!(matches!(escape("plain/é"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn guard_keeps_layout_and_utf8_but_not_controls() {
        assert_eq!(
            guarded(&[b"main\x1b[2J\tx\n", "é".as_bytes(), b"\x7f"]),
            b"main\\33[2J\tx\n\xc3\xa9\\177"
        );
    }

    #[test]
    fn guard_sees_a_c1_control_split_across_writes() {
        assert_eq!(guarded(&[b"a\xc2", b"\x9bb"]), b"a\\302\\233b");
        assert_eq!(guarded(&[b"a\xc2", b"\xa9b"]), "a©b".as_bytes());
        assert_eq!(guarded(&[b"a\xc2"]), b"a\xc2");
    }
}
