//! The one reader of fixed-width integers and varints in byte slices.
//!
//! Every parser in the project (file formats here, kernel records and
//! tracee structs in `tracer` and `syscalls`) reads through these: each
//! read is bounds-checked and says `None` when it would run past the end,
//! so a short or corrupt input can never panic. Callers that want a zero
//! for a short struct (strace prints what it can) write `.unwrap_or(0)`.

/// Byte order of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first (amd64, arm64, every Go structure).
    Little,
    /// Most significant byte first (Mach-O fat headers).
    Big,
}

fn array<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// Little-endian u16 at `off`.
pub fn u16_le(b: &[u8], off: usize) -> Option<u16> {
    array(b, off).map(u16::from_le_bytes)
}

/// Little-endian u32 at `off`.
pub fn u32_le(b: &[u8], off: usize) -> Option<u32> {
    array(b, off).map(u32::from_le_bytes)
}

/// Little-endian u64 at `off`.
pub fn u64_le(b: &[u8], off: usize) -> Option<u64> {
    array(b, off).map(u64::from_le_bytes)
}

/// Little-endian i32 at `off`.
pub fn i32_le(b: &[u8], off: usize) -> Option<i32> {
    array(b, off).map(i32::from_le_bytes)
}

/// Little-endian i64 at `off`.
pub fn i64_le(b: &[u8], off: usize) -> Option<i64> {
    array(b, off).map(i64::from_le_bytes)
}

/// Little-endian u16 at `off`, or 0 when it runs past the end: for a
/// kernel struct a tracer prints as far as it could read it.
pub fn u16_le_or_zero(b: &[u8], off: usize) -> u16 {
    u16_le(b, off).unwrap_or(0)
}

/// Little-endian u32 at `off`, or 0 when it runs past the end.
pub fn u32_le_or_zero(b: &[u8], off: usize) -> u32 {
    u32_le(b, off).unwrap_or(0)
}

/// Little-endian u64 at `off`, or 0 when it runs past the end.
pub fn u64_le_or_zero(b: &[u8], off: usize) -> u64 {
    u64_le(b, off).unwrap_or(0)
}

/// A pointer-sized little-endian word at `off`: 4 or 8 bytes, widened.
pub fn word_le(b: &[u8], off: usize, ptr_size: usize) -> Option<u64> {
    if ptr_size == 4 {
        u32_le(b, off).map(u64::from)
    } else {
        u64_le(b, off)
    }
}

/// An unsigned integer of `width` bytes (2, 4 or 8) at `off` in `endian`
/// order, widened to u64. `None` for other widths.
pub fn uint(b: &[u8], off: usize, width: usize, endian: Endian) -> Option<u64> {
    match (width, endian) {
        (2, Endian::Little) => array(b, off).map(u16::from_le_bytes).map(u64::from),
        (2, Endian::Big) => array(b, off).map(u16::from_be_bytes).map(u64::from),
        (4, Endian::Little) => array(b, off).map(u32::from_le_bytes).map(u64::from),
        (4, Endian::Big) => array(b, off).map(u32::from_be_bytes).map(u64::from),
        (8, Endian::Little) => array(b, off).map(u64::from_le_bytes),
        (8, Endian::Big) => array(b, off).map(u64::from_be_bytes),
        _ => None,
    }
}

/// A uvarint (7 bits a byte, least significant group first) at `*pos`,
/// advancing `*pos` past it. `None` on truncation or when the value does
/// not fit in 64 bits.
pub fn uvarint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// A uvarint of at most 5 bytes that fits in 32 bits, as Go's pc-value
/// tables write them. `None` on truncation or an over-long encoding.
pub fn uvarint32(b: &[u8], pos: &mut usize) -> Option<u32> {
    // Most deltas fit one byte.
    let first = *b.get(*pos)?;
    if first < 0x80 {
        *pos += 1;
        return Some(u32::from(first));
    }
    let mut v: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The NUL-terminated bytes at `off` (without the NUL); `None` when `off`
/// is out of range or no NUL follows.
pub fn cstr_bytes(b: &[u8], off: usize) -> Option<&[u8]> {
    let tail = b.get(off..)?;
    let n = memchr::memchr(0, tail)?;
    Some(&tail[..n])
}

/// The NUL-terminated string at `off`, when it is valid UTF-8.
pub fn cstr(b: &[u8], off: usize) -> Option<&str> {
    std::str::from_utf8(cstr_bytes(b, off)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u32_le(&b, 0), Some(0x0403_0201));
        assert_eq!(u32_le(&b, 5), None);
        assert_eq!(u64_le(&b, 0), Some(0x0807_0605_0403_0201));
        assert_eq!(u64_le(&b, usize::MAX), None);
        assert_eq!(uint(&b, 0, 4, Endian::Big), Some(0x0102_0304));
        assert_eq!(uint(&b, 0, 3, Endian::Big), None);
        assert_eq!(word_le(&b, 4, 4), Some(0x0807_0605));
    }

    #[test]
    fn uvarints() {
        let mut pos = 0;
        assert_eq!(uvarint(&[0xac, 0x02, 0x05], &mut pos), Some(300));
        assert_eq!(pos, 2);
        let mut pos = 0;
        assert_eq!(
            uvarint32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &mut pos),
            None
        );
        let mut pos = 0;
        assert_eq!(uvarint(&[0x80], &mut pos), None);
        let mut pos = 0;
        assert_eq!(
            uvarint32(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &mut pos),
            None
        );
        let mut pos = 0;
        assert_eq!(
            uvarint32(&[0xff, 0xff, 0xff, 0xff, 0x0f], &mut pos),
            Some(u32::MAX)
        );
    }

    #[test]
    fn c_strings() {
        let b = b"go\0x";
        assert_eq!(cstr(b, 0), Some("go"));
        assert_eq!(cstr(b, 3), None);
        assert_eq!(cstr(b, 9), None);
    }
}
