//! The Go stack `trace -k` prints under a syscall line: a ` [goroutine N]`
//! suffix on the line itself, then one ` > ` line per frame.

use model::Frame;
use std::fmt::Write as _;

/// How an unwound stack ended, as far as printing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackEnd {
    /// The whole stack was walked.
    Complete,
    /// The walk stopped at its depth limit.
    Depth,
    /// The walk could not continue.
    Lost,
}

/// A captured stack as the tracer hands it over.
#[derive(Debug, Clone, Copy)]
pub struct GoStack<'a> {
    /// Frames, innermost first.
    pub frames: &'a [Frame],
    /// Who ran the call: `goroutine 7`, `g0 (goroutine 7)`, `no g`.
    pub goroutine: &'a str,
    /// The goroutine id, when known.
    pub goid: Option<u64>,
    /// How the walk ended.
    pub end: StackEnd,
}

/// The text `-k` adds to a finished line: the ` [goroutine N]` suffix with
/// the newline that ends the line, and the frame lines (at most `depth`),
/// returned apart so a caller can splice the suffix in before the newline.
pub fn decoration(stack: &GoStack<'_>, depth: usize) -> (String, String) {
    let suffix = format!(" [{}]\n", stack.goroutine);
    let mut text = String::new();
    for f in stack.frames.iter().take(depth) {
        text.push_str(" > ");
        text.push_str(&f.function);
        if f.inlined {
            text.push_str(" (inlined)");
        }
        if f.line != 0 {
            let _ = write!(text, " {}:{}", f.file, f.line);
        } else if !f.file.is_empty() {
            let _ = write!(text, " {}", f.file);
        }
        if !f.inlined {
            let _ = write!(text, " [{:#x}]", f.pc);
        }
        text.push('\n');
    }
    if stack.frames.len() > depth || stack.end == StackEnd::Depth {
        text.push_str(" > ...\n");
    } else if stack.end == StackEnd::Lost {
        text.push_str(" > (unwinding stopped)\n");
    }
    (suffix, text)
}
