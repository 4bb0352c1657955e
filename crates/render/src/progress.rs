//! Progress on stderr for long static work, drawn by `indicatif` and only
//! when stderr is a terminal: redirected output, logs and `--json` runs
//! never see it, and the line is erased before the answer is printed.
//!
//! Two kinds: a [`Progress`] bar where the work is counted (disassembling
//! N functions), and a [`Busy`] spinner where it is not (an analysis runs
//! to its end in one call). The spinner waits a second before it draws:
//! most runs end sooner, and a line that flashes and vanishes says nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Counts work done out of a known total on one self-erasing line.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` items (`what` names the work), or `None` when
    /// stderr is not a terminal.
    pub fn on_stderr(what: &'static str, total: usize) -> Option<Progress> {
        std::io::stderr()
            .is_terminal()
            .then(|| Progress::to(ProgressDrawTarget::stderr(), what, total))
    }

    fn to(target: ProgressDrawTarget, what: &'static str, total: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} functions, {eta} left")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what);
        Progress { bar }
    }

    /// Shows `done` items of the total.
    pub fn update(&mut self, done: usize) {
        self.bar.set_position(done as u64);
    }

    /// Erases the line.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner for uncounted work, drawn from its own thread once the work
/// has lasted a second; dropping it erases the line (and waits until it
/// is erased, so the answer printed next starts on a clean line).
pub struct Busy {
    done: Option<mpsc::Sender<()>>,
    drawer: Option<JoinHandle<()>>,
}

/// How long work goes unannounced.
const BUSY_AFTER: Duration = Duration::from_secs(1);

impl Busy {
    /// A spinner saying `what` when stderr is a terminal and `wanted`
    /// (false for `--json`); `None` otherwise.
    pub fn on_stderr(what: String, wanted: bool) -> Option<Busy> {
        (wanted && std::io::stderr().is_terminal())
            .then(|| Busy::start(what, BUSY_AFTER, ProgressDrawTarget::stderr))
    }

    fn start(
        what: String,
        after: Duration,
        target: impl FnOnce() -> ProgressDrawTarget + Send + 'static,
    ) -> Busy {
        let (done, wait) = mpsc::channel::<()>();
        let drawer = std::thread::spawn(move || {
            // Dropping the sender ends the wait at once, drawn or not.
            if wait.recv_timeout(after) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            let spinner = ProgressBar::with_draw_target(None, target());
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("a valid template"),
            );
            spinner.set_message(what);
            spinner.enable_steady_tick(Duration::from_millis(100));
            let _ = wait.recv();
            spinner.finish_and_clear();
        });
        Busy {
            done: Some(done),
            drawer: Some(drawer),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::TermLike;
    use std::io;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl Screen {
        fn put(&self, s: &str) -> io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn text(&self) -> String {
            self.0.lock().unwrap().clone()
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.put(s)?;
            self.put("\n")
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.put(s)
        }
        fn clear_line(&self) -> io::Result<()> {
            self.put("<clear>")
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn target(screen: &Screen) -> impl FnOnce() -> ProgressDrawTarget + Send + 'static {
        let screen = screen.clone();
        move || ProgressDrawTarget::term_like(Box::new(screen))
    }

    #[test]
    fn long_work_shows_the_spinner_then_erases_it() {
        let screen = Screen::default();
        let busy = Busy::start("measuring".into(), Duration::ZERO, target(&screen));
        std::thread::sleep(Duration::from_millis(300));
        drop(busy);
        let text = screen.text();
        assert!(text.contains("measuring"), "{text:?}");
        assert!(text.ends_with("<clear>"), "{text:?}");
    }

    #[test]
    fn quick_work_draws_nothing_and_does_not_wait() {
        let screen = Screen::default();
        let start = Instant::now();
        drop(Busy::start(
            "measuring".into(),
            Duration::from_secs(30),
            target(&screen),
        ));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(screen.text(), "");
    }

    #[test]
    fn the_bar_counts_functions() {
        let screen = Screen::default();
        let mut p = Progress::to(target(&screen)(), "disassembling", 4000);
        p.update(2000);
        let text = screen.text();
        assert!(
            text.contains("disassembling") && text.contains("2000/4000 functions"),
            "{text:?}"
        );
        p.finish();
        assert!(screen.text().ends_with("<clear>"));
    }
}
