//! Go source lines for `--source`, read from disk when the files are
//! there (as built, or under `$GOROOT/src` for the standard library).
//!
//! The file names come from the binary's pclntab, which anyone can write:
//! a crafted binary could name `/etc/shadow`, `/dev/zero` or a FIFO, and
//! rabbithole often runs as root. So only names of Go sources (`.go`, `.s`)
//! are opened, only regular files are read (a device, FIFO or socket never
//! is), and no more than [`MAX_SOURCE`] bytes; every file passed over for
//! one of these reasons is reported, a missing one is not (the usual case
//! for a binary built elsewhere).

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest source file read (the standard library's largest are a few
/// hundred KB; generated tables stay well under this).
pub const MAX_SOURCE: u64 = 16 << 20;

/// Source lines read from disk, cached per file; shared by the threads of
/// a listing.
pub struct SourceCache {
    goroot: Option<PathBuf>,
    files: Mutex<HashMap<String, Option<Arc<Vec<String>>>>>,
    skipped: Mutex<BTreeMap<String, String>>,
}

impl SourceCache {
    /// A cache that also looks under `goroot`/src.
    pub fn new(goroot: Option<PathBuf>) -> Self {
        SourceCache {
            goroot,
            files: Mutex::default(),
            skipped: Mutex::default(),
        }
    }

    /// The line of `file` as the listing shows it above its instructions.
    pub fn line(&self, file: &str, line: i64) -> Option<String> {
        if file.is_empty() || line <= 0 {
            return None;
        }
        let lines = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            files
                .entry(file.to_string())
                .or_insert_with(|| self.load(file))
                .clone()
        };
        let text = lines.as_ref()?.get(usize::try_from(line - 1).ok()?)?;
        Some(format!(
            "  {}:{line}\t{}",
            disasm::listing::base_name(file),
            text.trim_end()
        ))
    }

    /// Files passed over and why, one sentence each, sorted by path.
    pub fn skipped(&self) -> Vec<String> {
        let skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        skipped
            .iter()
            .map(|(path, why)| format!("source {path} skipped: {why}"))
            .collect()
    }

    fn load(&self, file: &str) -> Option<Arc<Vec<String>>> {
        if !(file.ends_with(".go") || file.ends_with(".s")) {
            self.skip(file, "not the name of a Go source file".into());
            return None;
        }
        let mut candidates = vec![PathBuf::from(file)];
        if let Some(root) = &self.goroot {
            candidates.push(root.join("src").join(file));
        }
        for path in &candidates {
            match read_source(path) {
                Ok(Some(text)) => {
                    return Some(Arc::new(text.lines().map(str::to_string).collect()))
                }
                Ok(None) => {}
                Err(why) => {
                    self.skip(&path.display().to_string(), why);
                    return None;
                }
            }
        }
        None
    }

    fn skip(&self, path: &str, why: String) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        skipped.insert(path.to_string(), why);
    }
}

/// The text of `path` when it is a regular file of at most [`MAX_SOURCE`]
/// bytes; `Ok(None)` when there is nothing there, `Err` saying why a file
/// that is there was not read.
fn read_source(path: &Path) -> Result<Option<String>, String> {
    // `metadata` follows symbolic links: what counts is what would be read.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", file_kind(&meta)));
    }
    if meta.len() > MAX_SOURCE {
        return Err(format!(
            "{} bytes, more than the {MAX_SOURCE} read",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // Checked again on the open file: the path may have been swapped.
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", file_kind(&meta)));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SOURCE {
        return Err(format!("more than the {MAX_SOURCE} bytes read"));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::SourceCache;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rh-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn reads_a_go_file_and_names_what_it_passes_over() {
        let go = scratch("main.go");
        std::fs::write(&go, "package main\n\nfunc main() {}\n").unwrap();
        let cache = SourceCache::new(None);
        let go = go.to_str().unwrap();
        assert_eq!(
            cache.line(go, 3).as_deref(),
            Some("  main.go:3\tfunc main() {}")
        );
        assert_eq!(cache.line("/etc/shadow", 1), None);
        assert_eq!(cache.line("/nonexistent/x.go", 1), None);
        let zero = scratch("zero.go");
        let _ = std::fs::remove_file(&zero);
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert_eq!(cache.line(zero.to_str().unwrap(), 1), None);
        let fifo = scratch("fifo.go");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo");
        // Opening a FIFO with no writer would block: a hang fails the test.
        assert_eq!(cache.line(fifo.to_str().unwrap(), 1), None);
        let big = scratch("big.go");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(super::MAX_SOURCE + 1)
            .unwrap();
        assert_eq!(cache.line(big.to_str().unwrap(), 1), None);
        let dir = zero.parent().unwrap().display().to_string();
        assert_eq!(
            cache.skipped(),
            [
                "source /etc/shadow skipped: not the name of a Go source file".to_string(),
                format!("source {dir}/big.go skipped: 16777217 bytes, more than the 16777216 read"),
                format!("source {dir}/fifo.go skipped: not a regular file (a FIFO)"),
                format!("source {dir}/zero.go skipped: not a regular file (a device)"),
            ]
        );
    }
}
