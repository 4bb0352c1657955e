//! Opening the trace's output files without writing through a planted
//! symbolic link. rabbithole runs as root, often in shared directories
//! such as /tmp, where anyone can make `trace.txt -> /etc/shadow` in
//! advance. The rule, close to the kernel's `protected_symlinks`:
//! - `-o FILE` follows FILE when it is a symbolic link owned by the user
//!   running rabbithole (one they made themselves) and refuses a link
//!   owned by anyone else;
//! - `-ff` files (`FILE.TID`, names anyone can predict) never follow a
//!   symbolic link.

use nix::fcntl::OFlag;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Creates or truncates `path` for writing, not following a symbolic
/// link at `path` itself.
pub(crate) fn create_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(path)
}

/// Creates or truncates `-o FILE`: a symbolic link at `path` is followed
/// only when the user running rabbithole owns it.
pub(crate) fn create_output(path: &Path) -> io::Result<File> {
    match create_nofollow(path) {
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            let link = std::fs::symlink_metadata(path)?;
            let me = nix::unistd::geteuid().as_raw();
            if !link.file_type().is_symlink() || link.uid() != me {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "it is a symbolic link owned by uid {}, not by uid {me}: not followed",
                        link.uid()
                    ),
                ));
            }
            File::create(path)
        }
        r => r,
    }
}
