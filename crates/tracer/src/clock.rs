//! The local time zone offset, for `-t`/`-tt` timestamps (strace prints
//! local wall-clock time); the C library knows the zone rules, so ask it.

/// Seconds east of UTC for the current local time, 0 if unknown.
pub fn utc_offset_secs() -> i64 {
    // SAFETY: time(NULL) takes no pointer; localtime_r writes one tm into a
    // live local and reads the zone database (tzset is implied).
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            0
        } else {
            tm.tm_gmtoff
        }
    }
}

/// CLOCK_MONOTONIC now: the clock `bpf_ktime_get_ns` reads, so times taken
/// in the kernel and here compare directly.
pub fn monotonic() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into a live local.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if r != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
