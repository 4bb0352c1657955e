//! strace's syscall classes and `-e trace=` expressions.

use std::collections::BTreeSet;

use model::Arch;

use crate::table::table;

/// A trace class, as `-e trace=%NAME` selects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// `%file`: takes a file name.
    File,
    /// `%desc`: takes or returns a file descriptor.
    Desc,
    /// `%network` / `%net`: sockets.
    Network,
    /// `%process`: process lifecycle (fork, exec, exit, wait).
    Process,
    /// `%signal`: signals.
    Signal,
    /// `%memory`: address-space mapping.
    Memory,
    /// `%ipc`: SysV IPC.
    Ipc,
    /// `%creds`: user/group ids and capabilities.
    Creds,
    /// `%clock`: reading or setting clocks.
    Clock,
    /// `%pure`: no arguments, always succeeds (getpid...).
    Pure,
    /// `%stat`: stat-by-path variants.
    Stat,
    /// `%lstat`: lstat variants.
    Lstat,
    /// `%fstat`: stat-by-fd variants.
    Fstat,
    /// `%%stat`: every stat variant.
    AnyStat,
    /// `%statfs`.
    Statfs,
    /// `%fstatfs`.
    Fstatfs,
    /// `%%statfs`: every statfs variant.
    AnyStatfs,
}

impl Class {
    /// Parses the name after `%` in `-e trace=%NAME` (strace's spellings,
    /// including `%net` for `%network` and `%%stat`).
    pub fn parse(name: &str) -> Option<Class> {
        let name = name.strip_prefix('%').unwrap_or(name);
        Some(match name {
            "file" => Class::File,
            "desc" => Class::Desc,
            "network" | "net" => Class::Network,
            "process" => Class::Process,
            "signal" => Class::Signal,
            "memory" => Class::Memory,
            "ipc" => Class::Ipc,
            "creds" => Class::Creds,
            "clock" => Class::Clock,
            "pure" => Class::Pure,
            "stat" => Class::Stat,
            "lstat" => Class::Lstat,
            "fstat" => Class::Fstat,
            "%stat" => Class::AnyStat,
            "statfs" => Class::Statfs,
            "fstatfs" => Class::Fstatfs,
            "%statfs" => Class::AnyStatfs,
            _ => return None,
        })
    }

    pub(crate) fn from_table_name(name: &str) -> Option<Class> {
        if name == "-" {
            None
        } else {
            Class::parse(name)
        }
    }
}

/// Why a `-e trace=` expression was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceSetError {
    /// A name that is neither a syscall on the architecture nor a class.
    #[error("invalid system call '{0}'")]
    Unknown(String),
    /// The architecture has no syscall table.
    #[error("no syscall table for architecture {0}")]
    Arch(&'static str),
}

/// Resolves a `-e trace=` value (`open,read`, `%file`, `!%net`, `all`,
/// `none`) to the syscall numbers it selects on `arch`, like strace: a
/// leading `!` negates the whole list; `?name` ignores unknown names.
/// Numbers are returned sorted, ready for a seccomp filter.
pub fn parse_trace_set(arch: Arch, expr: &str) -> Result<BTreeSet<u64>, TraceSetError> {
    let t = table(arch).ok_or(TraceSetError::Arch(arch.name()))?;
    let expr = expr.strip_prefix("trace=").unwrap_or(expr);
    let (negate, list) = match expr.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, expr),
    };
    let mut set = BTreeSet::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (optional, item) = match item.strip_prefix('?') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        match item {
            "all" => set.extend(t.iter().map(|s| s.nr)),
            "none" => {}
            _ if item.starts_with('%') => match Class::parse(item) {
                Some(class) => set.extend(t.in_class(class).map(|s| s.nr)),
                None if optional => {}
                None => return Err(TraceSetError::Unknown(item.to_string())),
            },
            _ => match t.by_name(item) {
                Some(s) => {
                    set.insert(s.nr);
                }
                None => match item.parse::<u64>() {
                    Ok(nr) => {
                        set.insert(nr);
                    }
                    Err(_) if optional => {}
                    Err(_) => return Err(TraceSetError::Unknown(item.to_string())),
                },
            },
        }
    }
    if negate {
        let all: BTreeSet<u64> = t.iter().map(|s| s.nr).collect();
        set = all.difference(&set).copied().collect();
    }
    Ok(set)
}
