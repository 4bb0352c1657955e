//! Reading tracee memory without knowing how: the tracer implements
//! [`Memory`] over `process_vm_readv`, tests over [`FakeMemory`].

use std::collections::BTreeMap;

/// Read access to a stopped tracee's address space.
pub trait Memory {
    /// Copies bytes at `addr` into `buf`; returns how many were read, which
    /// may be fewer than asked (the rest unmapped) or zero.
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize;
}

/// Memory with nothing mapped: every read fails. For decoding when the
/// thread is gone.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMemory;

impl Memory for NoMemory {
    fn read(&self, _addr: u64, _buf: &mut [u8]) -> usize {
        0
    }
}

/// A sparse address space of byte regions, for tests and fuzzing.
#[derive(Clone, Debug, Default)]
pub struct FakeMemory {
    regions: BTreeMap<u64, Vec<u8>>,
}

impl FakeMemory {
    /// An empty address space.
    pub fn new() -> FakeMemory {
        FakeMemory::default()
    }

    /// Maps `bytes` at `addr` (replacing a region that starts there).
    pub fn map(&mut self, addr: u64, bytes: impl Into<Vec<u8>>) -> &mut FakeMemory {
        self.regions.insert(addr, bytes.into());
        self
    }

    /// Maps a NUL-terminated copy of `s` at `addr`.
    pub fn map_cstr(&mut self, addr: u64, s: &str) -> &mut FakeMemory {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.map(addr, v)
    }
}

impl Memory for FakeMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let Some(at) = addr.checked_add(done as u64) else {
                break;
            };
            let Some((&start, bytes)) = self.regions.range(..=at).next_back() else {
                break;
            };
            let Some(off) = usize::try_from(at - start)
                .ok()
                .filter(|&o| o < bytes.len())
            else {
                break;
            };
            let n = (bytes.len() - off).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&bytes[off..off + n]);
            done += n;
        }
        done
    }
}

/// Reads exactly `N` bytes or nothing.
pub(crate) fn read_array<const N: usize>(mem: &dyn Memory, addr: u64) -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    (addr != 0 && mem.read(addr, &mut buf) == N).then_some(buf)
}

/// Fills `buf` from `addr`, all of it or failing.
pub(crate) fn read_exact(mem: &dyn Memory, addr: u64, buf: &mut [u8]) -> bool {
    addr != 0 && mem.read(addr, buf) == buf.len()
}

/// Reads exactly `len` bytes or nothing.
pub(crate) fn read_vec(mem: &dyn Memory, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    (addr != 0 && mem.read(addr, &mut buf) == len).then_some(buf)
}

pub(crate) fn read_u32(mem: &dyn Memory, addr: u64) -> Option<u32> {
    read_array::<4>(mem, addr).map(u32::from_le_bytes)
}

pub(crate) fn read_u64(mem: &dyn Memory, addr: u64) -> Option<u64> {
    read_array::<8>(mem, addr).map(u64::from_le_bytes)
}

/// Reads a NUL-terminated string of at most `limit` bytes. Returns the
/// bytes and whether the string went on past `limit`; `None` when not even
/// the first byte is readable. Reads in chunks so a string that ends just
/// before an unmapped page is still found.
#[cfg(test)]
pub(crate) fn read_cstr(mem: &dyn Memory, addr: u64, limit: usize) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let truncated = read_cstr_into(mem, addr, limit, &mut out)?;
    Some((out, truncated))
}

/// [`read_cstr`] into `out` (emptied first), so a caller can reuse a
/// buffer; returns whether the string was cut at `limit`.
pub(crate) fn read_cstr_into(
    mem: &dyn Memory,
    addr: u64,
    limit: usize,
    out: &mut Vec<u8>,
) -> Option<bool> {
    out.clear();
    if addr == 0 {
        return None;
    }
    let mut chunk = [0u8; 256];
    loop {
        let at = addr.checked_add(out.len() as u64)?;
        // Stay within one page per read so a mapped prefix is not lost.
        let to_page_end = 4096 - (at % 4096) as usize;
        let want = chunk.len().min(to_page_end);
        let got = mem.read(at, &mut chunk[..want]);
        if got == 0 {
            return (!out.is_empty()).then_some(false);
        }
        // Up to the NUL, at most what `limit` still allows; a byte past
        // the limit (not a NUL) means the string was cut.
        let got = &chunk[..got];
        let end = got.iter().position(|&b| b == 0);
        let room = limit - out.len();
        let take = end.unwrap_or(got.len()).min(room);
        out.extend_from_slice(&got[..take]);
        if take < end.unwrap_or(got.len()) {
            return Some(true);
        }
        if end.is_some() {
            return Some(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_memory_reads_across_regions_and_stops_at_holes() {
        let mut m = FakeMemory::new();
        m.map(0x1000, b"abcd".to_vec()).map(0x1004, b"ef".to_vec());
        let mut buf = [0u8; 8];
        assert_eq!(m.read(0x1001, &mut buf), 5);
        assert_eq!(&buf[..5], b"bcdef");
        assert_eq!(m.read(0x2000, &mut buf), 0);
    }

    /// The byte-at-a-time loop `read_cstr_into` replaced, as a reference.
    fn cstr_reference(mem: &dyn Memory, addr: u64, limit: usize) -> Option<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 256];
        loop {
            let at = addr.checked_add(out.len() as u64)?;
            let want = chunk.len().min(4096 - (at % 4096) as usize);
            let got = mem.read(at, &mut chunk[..want]);
            if got == 0 {
                return (!out.is_empty()).then_some((out, false));
            }
            for &b in &chunk[..got] {
                if b == 0 {
                    return Some((out, false));
                }
                if out.len() == limit {
                    return Some((out, true));
                }
                out.push(b);
            }
        }
    }

    #[test]
    fn cstr_matches_byte_at_a_time_reading() {
        // Strings of every length around chunk and page ends, with and
        // without a NUL, read with limits around their length.
        for start in [0x1000u64, 0x10f0, 0x1ff0, 0x1ffe, 0x20fe] {
            for len in [0usize, 1, 2, 15, 16, 17, 255, 256, 257, 300] {
                for nul in [false, true] {
                    let mut bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    if nul {
                        bytes.push(0);
                        bytes.push(b'z');
                    }
                    let mut m = FakeMemory::new();
                    m.map(start, bytes);
                    for limit in [0, 1, len.saturating_sub(1), len, len + 1, 4096] {
                        let mut out = vec![b'x'; 3];
                        let got = read_cstr_into(&m, start, limit, &mut out).map(|t| (out, t));
                        assert_eq!(
                            got,
                            cstr_reference(&m, start, limit),
                            "start {start:#x} len {len} nul {nul} limit {limit}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn cstr_limits_and_truncation() {
        let mut m = FakeMemory::new();
        m.map_cstr(0x1000, "hello");
        assert_eq!(read_cstr(&m, 0x1000, 32), Some((b"hello".to_vec(), false)));
        assert_eq!(read_cstr(&m, 0x1000, 3), Some((b"hel".to_vec(), true)));
        assert_eq!(read_cstr(&m, 0x1000, 5), Some((b"hello".to_vec(), false)));
        assert_eq!(read_cstr(&m, 0x9000, 5), None);
        assert_eq!(read_cstr(&m, 0x1000, 0), Some((Vec::new(), true)));
        m.map(0x2ffc, b"abcd".to_vec())
            .map(0x3000, b"ef\0".to_vec());
        assert_eq!(read_cstr(&m, 0x2ffc, 32), Some((b"abcdef".to_vec(), false)));
        assert_eq!(read_cstr(&m, 0x2ffc, 6), Some((b"abcdef".to_vec(), false)));
        assert_eq!(read_cstr(&m, 0x2ffc, 5), Some((b"abcde".to_vec(), true)));
        assert_eq!(read_cstr(&m, 0x2ffc, 4), Some((b"abcd".to_vec(), true)));
        m.map(0x5ffe, b"xy".to_vec());
        assert_eq!(read_cstr(&m, 0x5ffe, 32), Some((b"xy".to_vec(), false)));
        assert_eq!(read_cstr(&m, 0x5ffe, 2), Some((b"xy".to_vec(), false)));
    }
}
