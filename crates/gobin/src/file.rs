//! Read-only memory maps of binaries on disk.

use std::path::Path;

/// A file's bytes, memory-mapped read-only (empty files are not mapped).
///
/// The map comes from `filebuffer`, whose `open` is a safe function: the
/// one hazard of a read-only private map, another process truncating the
/// file meanwhile (SIGBUS), is accepted by every binary-inspection tool
/// that maps its input. Reading 75 MB binaries into memory instead would
/// break the memory figures in BENCHMARKS.md.
pub struct MappedFile {
    map: Option<filebuffer::FileBuffer>,
}

impl MappedFile {
    /// Opens and maps `path`. Errors are short phrases meant to follow the
    /// file name: "no such file", "is a directory", "permission denied".
    pub fn open(path: &Path) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
        if meta.is_dir() {
            return Err("is a directory".into());
        }
        if !meta.is_file() {
            return Err("not a regular file".into());
        }
        if meta.len() == 0 {
            return Ok(MappedFile { map: None });
        }
        let map = filebuffer::FileBuffer::open(path).map_err(|e| io_message(&e))?;
        Ok(MappedFile { map: Some(map) })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
