//! Go source lines for `--source`, read from disk when the files are
//! there (as built, or under `$GOROOT/src` for the standard library).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

/// Source lines read from disk, cached per file.
pub struct SourceCache {
    goroot: Option<PathBuf>,
    files: RefCell<HashMap<String, Option<Vec<String>>>>,
}

impl SourceCache {
    /// A cache that also looks under `goroot`/src.
    pub fn new(goroot: Option<PathBuf>) -> Self {
        SourceCache {
            goroot,
            files: RefCell::default(),
        }
    }

    /// The line of `file` as the listing shows it above its instructions.
    pub fn line(&self, file: &str, line: i64) -> Option<String> {
        if file.is_empty() || line <= 0 {
            return None;
        }
        let mut files = self.files.borrow_mut();
        let lines = files.entry(file.to_string()).or_insert_with(|| {
            let mut candidates = vec![PathBuf::from(file)];
            if let Some(root) = &self.goroot {
                candidates.push(root.join("src").join(file));
            }
            candidates
                .iter()
                .find_map(|p| std::fs::read_to_string(p).ok())
                .map(|s| s.lines().map(str::to_string).collect())
        });
        let text = lines.as_ref()?.get(usize::try_from(line - 1).ok()?)?;
        Some(format!(
            "  {}:{line}\t{}",
            disasm::listing::base_name(file),
            text.trim_end()
        ))
    }
}
