//! Read-only memory maps of binaries on disk.

use std::path::Path;

/// A file's bytes, memory-mapped read-only (empty files are not mapped).
pub struct MappedFile {
    map: Option<memmap2::Mmap>,
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
        let file = std::fs::File::open(path).map_err(|e| io_message(&e))?;
        if meta.len() == 0 {
            return Ok(MappedFile { map: None });
        }
        // SAFETY: the map is private and read-only; the only hazard is another
        // process truncating the file while it is mapped (SIGBUS), accepted by
        // every binary-inspection tool that maps its input. Reading 50 MB
        // binaries into memory instead would break the memory target.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().map_copy_read_only(&file) }
            .map_err(|e| io_message(&e))?;
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
