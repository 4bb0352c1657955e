//! Number formatting straight into a `String`, for the listing's hot path:
//! `write!` goes through `core::fmt` (padding logic, dynamic dispatch) for
//! every address and operand, which dominated whole-binary listings.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `v` as lower-case hex with a `0x` prefix (as `{:#x}`).
pub(crate) fn hex(out: &mut String, v: u64) {
    out.push_str("0x");
    hex_digits(out, v);
}

/// Appends `v` as lower-case hex without a prefix (as `{:x}`).
pub(crate) fn hex_digits(out: &mut String, v: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = DIGITS[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends `-0x…` for negative `v`, else `0x…` (Go's signed hex).
pub(crate) fn hex_signed(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    hex(out, v.unsigned_abs());
}

/// Appends `v` in decimal (as `{}`).
pub(crate) fn dec(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends each byte as two lower-case hex digits.
pub(crate) fn hex_bytes(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(buf.len() / 2) {
        for (k, b) in chunk.iter().enumerate() {
            buf[2 * k] = DIGITS[usize::from(b >> 4)];
            buf[2 * k + 1] = DIGITS[usize::from(b & 15)];
        }
        push_ascii(out, &buf[..2 * chunk.len()]);
    }
}

/// Appends `v` as exactly eight lower-case hex digits (as `{:08x}`).
pub(crate) fn hex_word(out: &mut String, v: u32) {
    let mut buf = [0u8; 8];
    for (k, b) in buf.iter_mut().enumerate() {
        *b = DIGITS[((v >> (28 - 4 * k)) & 15) as usize];
    }
    push_ascii(out, &buf);
}

/// Appends ASCII digits (bytes below 0x80 are chars of the same value).
fn push_ascii(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_core_fmt() {
        for v in [0u64, 1, 9, 10, 15, 16, 255, 0x401000, u64::MAX, 1 << 63] {
            let mut s = String::new();
            hex(&mut s, v);
            assert_eq!(s, format!("{v:#x}"));
            let mut s = String::new();
            hex_digits(&mut s, v);
            assert_eq!(s, format!("{v:x}"));
            let i = v as i64;
            let mut s = String::new();
            dec(&mut s, i);
            assert_eq!(s, format!("{i}"));
            let mut s = String::new();
            hex_signed(&mut s, i);
            let want = if i < 0 {
                format!("-{:#x}", i.unsigned_abs())
            } else {
                format!("{i:#x}")
            };
            assert_eq!(s, want);
            let mut s = String::new();
            hex_word(&mut s, v as u32);
            assert_eq!(s, format!("{:08x}", v as u32));
        }
        let bytes: Vec<u8> = (0..=255).collect();
        let mut s = String::new();
        hex_bytes(&mut s, &bytes);
        let want: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s, want);
    }
}
