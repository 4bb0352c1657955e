//! What `/proc` says about a traced process: its threads, its thread
//! group, its memory mappings. Read here once for every backend and for
//! the symbolizer; nothing else in the project parses these files.

use std::path::PathBuf;

/// Thread group id of `tid` (the `Tgid:` line of `/proc/TID/status`).
pub fn thread_group_of(tid: i32) -> Option<i32> {
    status_field(tid, "Tgid")?.parse().ok()
}

/// The value of one `Name:` line of `/proc/ID/status`, trimmed.
pub fn status_field(id: i32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{id}/status")).ok()?;
    status.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key == name).then(|| value.trim().to_string())
    })
}

/// The thread ids of process `pid`, sorted (`/proc/PID/task`).
pub fn threads_of(pid: i32) -> std::io::Result<Vec<i32>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            out.push(tid);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Whether a process or thread with this id exists (a zombie counts).
pub fn exists(id: i32) -> bool {
    std::path::Path::new(&format!("/proc/{id}")).exists()
}

/// Whether `pid` is a kernel thread (PF_KTHREAD in the flags, the 9th
/// field of `/proc/PID/stat`): it runs no program and makes no system
/// calls of its own, so there is nothing to trace.
pub fn is_kernel_thread(pid: i32) -> bool {
    const PF_KTHREAD: u64 = 0x0020_0000;
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The name (2nd field) is in parentheses and may hold spaces.
    let Some((_, after_name)) = stat.rsplit_once(')') else {
        return false;
    };
    after_name
        .split_whitespace()
        .nth(6)
        .and_then(|f| f.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

/// The executable `pid` runs (`/proc/PID/exe`).
pub fn executable(pid: i32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Mapped executable.
    pub exec: bool,
    /// Offset in the file.
    pub offset: u64,
    /// Inode of the file (0 for anonymous memory).
    pub inode: u64,
    /// The file, or a pseudo-name such as `[stack]`; empty when anonymous.
    pub path: String,
}

impl Mapping {
    /// Parses one line; `None` when it is not a maps line.
    pub fn parse(line: &str) -> Option<Mapping> {
        let mut it = line.splitn(6, ' ');
        let (start, end) = it.next()?.split_once('-')?;
        let perms = it.next()?;
        let offset = it.next()?;
        let _dev = it.next()?;
        let inode = it.next()?;
        let path = it.next().unwrap_or("").trim_start();
        Some(Mapping {
            start: u64::from_str_radix(start, 16).ok()?,
            end: u64::from_str_radix(end, 16).ok()?,
            exec: perms.as_bytes().get(2) == Some(&b'x'),
            offset: u64::from_str_radix(offset, 16).ok()?,
            inode: inode.parse().ok()?,
            path: path.to_string(),
        })
    }
}

/// The mappings of `pid`, in address order; `None` when the process is
/// gone or its maps cannot be read.
pub fn mappings(pid: i32) -> Option<Vec<Mapping>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    Some(text.lines().filter_map(Mapping::parse).collect())
}

/// The file mapped at `addr` in `pid`, if a file is.
pub fn file_at(pid: i32, addr: u64) -> Option<String> {
    mappings(pid)?
        .into_iter()
        .find(|m| (m.start..m.end).contains(&addr))
        .map(|m| m.path)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_parse() {
        let l = Mapping::parse(
            "555555554000-5555555d5000 r-xp 00001000 08:01 1234                       /usr/bin/x y",
        )
        .unwrap();
        assert_eq!(l.start, 0x5555_5555_4000);
        assert_eq!(l.end, 0x5555_555d_5000);
        assert!(l.exec);
        assert_eq!(l.offset, 0x1000);
        assert_eq!(l.inode, 1234);
        assert_eq!(l.path, "/usr/bin/x y");
        let anon = Mapping::parse("7ffd0000-7ffd1000 rw-p 00000000 00:00 0 ").unwrap();
        assert!(!anon.exec);
        assert_eq!(anon.path, "");
        assert!(Mapping::parse("garbage").is_none());
    }

    #[test]
    fn this_process_maps_its_own_code() {
        let me = std::process::id() as i32;
        let here = this_process_maps_its_own_code as fn() as usize as u64;
        let exe = executable(me).unwrap();
        assert_eq!(file_at(me, here), Some(exe.display().to_string()));
        assert_eq!(thread_group_of(me), Some(me));
        assert!(threads_of(me).unwrap().contains(&me));
    }
}
