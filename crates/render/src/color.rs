//! One color policy for every command: `--color auto|always|never`, where
//! `auto` means a terminal, `NO_COLOR` unset (and the other conventions
//! `anstream` honours: `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`).
//!
//! The CLI calls [`ColorChoice::set_global`] once, from the flag; printers
//! ask [`stdout_colored`] (or [`stderr_colored`]) whether the stream they
//! write gets color, and paint through a [`Paint`]. Styles are `anstyle`
//! values, so no escape sequence is written by hand.

pub use anstyle::{AnsiColor, Style};

/// When output is colored: the value of `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Color a terminal unless `NO_COLOR` (or `CLICOLOR=0`) says not to.
    #[default]
    Auto,
    /// Color even a pipe or a file.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    /// The names `--color` accepts, in the order `--help` lists them.
    pub const NAMES: [&'static str; 3] = ["auto", "always", "never"];

    /// The choice named `name` (one of [`ColorChoice::NAMES`]).
    pub fn from_name(name: &str) -> Option<ColorChoice> {
        match name {
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            _ => None,
        }
    }

    /// Makes this the choice of the whole process. A global rather than a
    /// field of every config: clap's own help and errors follow it too.
    pub fn set_global(self) {
        let choice = match self {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::AlwaysAnsi,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// Whether text written to stdout gets color under the global choice.
pub fn stdout_colored() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Whether text written to stderr gets color under the global choice.
pub fn stderr_colored() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Paints text with a style when color is on, and leaves it plain when off.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// A painter that colors when `on` (usually [`stdout_colored`]).
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }

    /// `text` in `style`, followed by a reset; `text` alone when off.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_only_when_on() {
        let bold = Style::new().bold();
        assert_eq!(Paint::new(false).paint(bold, "x"), "x");
        assert_eq!(Paint::new(true).paint(bold, "x"), "\x1b[1mx\x1b[0m");
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        assert_eq!(Paint::new(true).paint(green, "x"), "\x1b[32mx\x1b[0m");
    }

    #[test]
    fn the_flag_overrides_the_terminal_check() {
        for name in ColorChoice::NAMES {
            assert!(ColorChoice::from_name(name).is_some(), "{name}");
        }
        ColorChoice::Always.set_global();
        assert!(stdout_colored());
        ColorChoice::Never.set_global();
        assert!(!stdout_colored() && !stderr_colored());
        ColorChoice::Auto.set_global();
    }
}
