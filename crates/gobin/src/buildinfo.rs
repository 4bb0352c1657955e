//! Go build info (`go version -m`): both encodings.
//!
//! The linker leaves a 32-byte header with the magic `\xff Go buildinf:` in
//! its own section (`.go.buildinfo`, `__go_buildinfo`). Since Go 1.18 the
//! two strings (Go version, module info) follow it inline; Go 1.13-1.17
//! instead store two pointers to Go string headers, which in a PIE are
//! relocated by the loader, so they are read through the relocation table.
//! Before 1.13 there is no header; the `runtime.buildVersion` symbol still
//! gives the version when the binary has a symbol table.

use crate::bytes::{self, Endian};
use crate::container::{Binary, Segment};
use crate::Error;
use serde::Serialize;

/// Magic at the start of the build info header.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const FLAG_BIG_ENDIAN: u8 = 1;
const FLAG_INLINE: u8 = 2;
/// How far into a region the header is searched for (Go's own reader uses
/// the same bound: the blob sits at the start of its section).
const SEARCH_LIMIT: usize = 64 * 1024;
/// Upper bound on a string read through the pointer form, so a corrupt
/// length cannot make us slice gigabytes.
const MAX_STRING: u64 = 16 << 20;
const SENTINEL_START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];
const SENTINEL_END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];

/// Where the build info came from; tells a reader which Go era built it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Go 1.18+: strings inline after the header.
    Inline,
    /// Go 1.13-1.17: pointers to string headers.
    Pointer,
    /// No header; version read from the `runtime.buildVersion` symbol.
    Symbol,
}

/// A module line (`mod`, `dep`, or a `=>` replacement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version (`(devel)` for the main module of a local build).
    pub version: String,
    /// `h1:` checksum; empty when there is none (local or replaced modules).
    pub sum: String,
    /// The module that replaced this one (`=>` line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<Box<Module>>,
}

/// A `build` line: a flag or environment setting of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Key (`-buildmode`, `CGO_ENABLED`, `GOARCH`, `vcs.revision`...).
    pub key: String,
    /// Value, unquoted.
    pub value: String,
}

/// Everything `go version -m` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    /// Toolchain version (`go1.27.3`).
    pub version: String,
    /// Main package path; empty when the module info is absent.
    pub path: String,
    /// Main module.
    pub main: Option<Module>,
    /// Dependencies in the order the linker recorded them.
    pub deps: Vec<Module>,
    /// Build settings in recorded order.
    pub settings: Vec<Setting>,
    /// Which encoding the binary used.
    pub encoding: Encoding,
    /// Lines of the module info that did not parse (kept, not fatal).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unparsed: Vec<String>,
}

impl BuildInfo {
    /// Value of a build setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }
}

/// Reads the build info. `Ok(None)`: no build info at all (not a Go
/// binary, or a pre-1.13 stripped one); `Err`: a header was found but its
/// contents are broken.
pub fn read(bin: &Binary<'_>) -> Result<Option<BuildInfo>, Error> {
    let Some((addr, blob)) = find_header(bin) else {
        return Ok(symbol_fallback(bin));
    };
    let ptr_size = blob[14];
    let flags = blob[15];
    let (version, modinfo, encoding) = if flags & FLAG_INLINE != 0 {
        let rest = &blob[HEADER_LEN..];
        let (version, rest) = read_varint_string(rest)
            .ok_or_else(|| Error::Go("build info: Go version string is truncated".into()))?;
        let (modinfo, _) = read_varint_string(rest)
            .ok_or_else(|| Error::Go("build info: module info string is truncated".into()))?;
        (version, modinfo, Encoding::Inline)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(Error::Go(format!(
                "build info: pointer size {ptr_size} is neither 4 nor 8"
            )));
        }
        let big = flags & FLAG_BIG_ENDIAN != 0;
        let p = PtrReader {
            bin,
            size: ptr_size,
            big,
        };
        let vers_ptr = p
            .read(addr + 16)
            .ok_or_else(|| Error::Go("build info: version pointer unreadable".into()))?;
        let mod_ptr = p
            .read(addr + 16 + u64::from(ptr_size))
            .ok_or_else(|| Error::Go("build info: module info pointer unreadable".into()))?;
        let version = p
            .string(vers_ptr)
            .ok_or_else(|| Error::Go("build info: version string unreadable".into()))?;
        // A binary built outside module mode has a null modinfo string.
        let modinfo = p.string(mod_ptr).unwrap_or(&[]);
        (version, modinfo, Encoding::Pointer)
    };
    let version = String::from_utf8_lossy(version).into_owned();
    if !version.starts_with("go") && !version.starts_with("devel") {
        return Err(Error::Go(format!(
            "build info: version {:?} does not look like a Go version",
            truncate(&version, 40)
        )));
    }
    let mut info = parse_modinfo(&String::from_utf8_lossy(strip_sentinels(modinfo)));
    info.version = version;
    info.encoding = encoding;
    Ok(Some(info))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Finds the 32-byte header: in the build info section, else (section
/// headers stripped) in the first writable segment, at 16-byte aligned
/// addresses. Returns its virtual address and the bytes from it on.
fn find_header<'a>(bin: &Binary<'a>) -> Option<(u64, &'a [u8])> {
    let section = bin
        .sections()
        .iter()
        .find(|s| s.name == ".go.buildinfo" || s.name == "__go_buildinfo");
    if let Some(s) = section {
        if let Some(found) = bin
            .section_data(s)
            .and_then(|d| search(s.addr, d))
            .or_else(|| bin.read_va_tail(s.addr).and_then(|d| search(s.addr, d)))
        {
            return Some(found);
        }
    }
    let seg: &Segment = bin.segments().iter().find(|s| s.writable)?;
    let data = bin.read_va_tail(seg.addr)?;
    search(seg.addr, data)
}

fn search(addr: u64, data: &[u8]) -> Option<(u64, &[u8])> {
    let skip = usize::try_from(addr.wrapping_neg() & 15).ok()?;
    let limit = data.len().min(SEARCH_LIMIT);
    let mut off = skip;
    while off.checked_add(HEADER_LEN)? <= limit {
        let rest = &data[off..];
        if rest.starts_with(MAGIC) {
            return Some((addr.checked_add(off as u64)?, rest));
        }
        off += 16;
    }
    None
}

/// A uvarint length then that many bytes.
fn read_varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0usize;
    let len = bytes::uvarint(data, &mut i)?;
    let len = usize::try_from(len).ok()?;
    let end = i.checked_add(len)?;
    Some((data.get(i..end)?, data.get(end..)?))
}

struct PtrReader<'b, 'a> {
    bin: &'b Binary<'a>,
    size: u8,
    big: bool,
}

impl<'a> PtrReader<'_, 'a> {
    /// A pointer as the running program would see it at link-time base:
    /// PIE relocations applied.
    fn read(&self, addr: u64) -> Option<u64> {
        if self.size == 8 && !self.big {
            return self.bin.read_ptr(addr);
        }
        let b = self.bin.read_va(addr, u64::from(self.size))?;
        let endian = if self.big {
            Endian::Big
        } else {
            Endian::Little
        };
        bytes::uint(b, 0, usize::from(self.size), endian)
    }

    /// A Go string header `{data, len}` at `addr`.
    fn string(&self, addr: u64) -> Option<&'a [u8]> {
        if addr == 0 {
            return None;
        }
        let data = self.read(addr)?;
        let len = self.read(addr.checked_add(u64::from(self.size))?)?;
        if len == 0 {
            return Some(&[]);
        }
        if len > MAX_STRING {
            return None;
        }
        self.bin.read_va(data, len)
    }
}

/// Pre-1.13 binaries: `runtime.buildVersion` is a string header.
fn symbol_fallback(bin: &Binary<'_>) -> Option<BuildInfo> {
    let sym = bin.symbol("runtime.buildVersion")?;
    let p = PtrReader {
        bin,
        size: 8,
        big: false,
    };
    let v = p.string(sym.addr)?;
    let version = String::from_utf8_lossy(v).into_owned();
    if !version.starts_with("go") {
        return None;
    }
    Some(BuildInfo {
        version,
        path: String::new(),
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
        encoding: Encoding::Symbol,
        unparsed: Vec::new(),
    })
}

fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        let body = &m[16..m.len() - 16];
        // Go strips by position; the sentinels are checked here only so
        // that a string that merely ends in a newline is left alone.
        if m[..16] == SENTINEL_START || m[m.len() - 16..] == SENTINEL_END {
            return body;
        }
    }
    m
}

/// Parses the module-info text (`path`, `mod`, `dep`, `=>`, `build` lines).
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo {
        version: String::new(),
        path: String::new(),
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
        encoding: Encoding::Inline,
        unparsed: Vec::new(),
    };
    // Which module the next `=>` line replaces: none, main, or the last dep.
    #[derive(PartialEq)]
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for line in text.split('\n') {
        if line.is_empty() {
            continue;
        }
        let (word, rest) = line.split_once('\t').unwrap_or((line, ""));
        match word {
            "path" => {
                info.path = rest.to_string();
                last = Last::None;
            }
            "mod" | "dep" => match parse_module(rest) {
                Some(m) => {
                    if word == "mod" {
                        info.main = Some(m);
                        last = Last::Main;
                    } else {
                        info.deps.push(m);
                        last = Last::Dep;
                    }
                }
                None => {
                    info.unparsed.push(line.to_string());
                    last = Last::None;
                }
            },
            "=>" => {
                let target = match last {
                    Last::Main => info.main.as_mut(),
                    Last::Dep => info.deps.last_mut(),
                    Last::None => None,
                };
                match (target, parse_module(rest)) {
                    (Some(t), Some(r)) if t.replace.is_none() => t.replace = Some(Box::new(r)),
                    _ => info.unparsed.push(line.to_string()),
                }
                last = Last::None;
            }
            "build" => {
                match parse_setting(rest) {
                    Some(s) => info.settings.push(s),
                    None => info.unparsed.push(line.to_string()),
                }
                last = Last::None;
            }
            // `go` lines appear in newer text forms; the version comes from
            // the header string instead.
            "go" => {}
            _ => info.unparsed.push(line.to_string()),
        }
    }
    info
}

fn parse_module(rest: &str) -> Option<Module> {
    let mut f = rest.split('\t');
    let path = f.next().filter(|p| !p.is_empty())?.to_string();
    let version = f.next().unwrap_or("").to_string();
    let sum = f.next().unwrap_or("").to_string();
    if f.next().is_some() {
        return None;
    }
    Some(Module {
        path,
        version,
        sum,
        replace: None,
    })
}

/// `key=value`, either side possibly in Go quoted-string syntax.
fn parse_setting(rest: &str) -> Option<Setting> {
    let (key, after) = if rest.starts_with('"') {
        let (k, used) = unquote_prefix(rest)?;
        (k, rest.get(used..)?.strip_prefix('=')?)
    } else {
        let eq = rest.find('=')?;
        let k = &rest[..eq];
        if k.is_empty() || k.contains(|c: char| " \t\r\n\"`".contains(c)) {
            return None;
        }
        (k.to_string(), &rest[eq + 1..])
    };
    let value = if after.starts_with('"') {
        let (v, used) = unquote_prefix(after)?;
        if used != after.len() {
            return None;
        }
        v
    } else {
        after.to_string()
    };
    Some(Setting { key, value })
}

/// Decodes a leading Go double-quoted string; returns it and the bytes used.
fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let e = *b.get(i + 1)?;
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'\\' | b'"' | b'\'' => out.push(e),
                    b'x' => {
                        let h = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
                        out.push(u8::from_str_radix(h, 16).ok()?);
                        i += 2;
                    }
                    b'0'..=b'7' => {
                        let o = std::str::from_utf8(b.get(i - 1..i + 2)?).ok()?;
                        out.push(u8::from_str_radix(o, 8).ok()?);
                        i += 2;
                    }
                    b'u' | b'U' => {
                        let n = if e == b'u' { 4 } else { 8 };
                        let h = std::str::from_utf8(b.get(i..i + n)?).ok()?;
                        let ch = char::from_u32(u32::from_str_radix(h, 16).ok()?)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        i += n;
                    }
                    _ => return None,
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_with_quotes() {
        let s = parse_setting(r#"-ldflags="-s -w -X main.v=1""#).unwrap();
        assert_eq!(s.key, "-ldflags");
        assert_eq!(s.value, "-s -w -X main.v=1");
        let s = parse_setting(r#""a=b"=c"#).unwrap();
        assert_eq!(s.key, "a=b");
        assert_eq!(s.value, "c");
        let s = parse_setting("CGO_CFLAGS=").unwrap();
        assert_eq!(s.value, "");
        let s = parse_setting(r#"x="\u00e9\x41\101\t""#).unwrap();
        assert_eq!(s.value, "éAA\t");
        assert!(parse_setting("novalue").is_none());
        assert!(parse_setting(r#""unterminated=1"#).is_none());
    }

    #[test]
    fn modinfo_replacements_and_sums() {
        let text = "path\tex.com/a\nmod\tex.com/a\t(devel)\t\n\
                    dep\tgolang.org/x/sys\tv0.3.0\n=>\t/src/sys\t(devel)\t\n\n\
                    dep\tgithub.com/b/c\tv1.2.3\th1:abc=\n\
                    build\t-compiler=gc\nbuild\tGOOS=linux\n";
        let i = parse_modinfo(text);
        assert_eq!(i.path, "ex.com/a");
        assert_eq!(i.main.as_ref().unwrap().version, "(devel)");
        assert_eq!(i.deps.len(), 2);
        let r = i.deps[0].replace.as_ref().unwrap();
        assert_eq!(r.path, "/src/sys");
        assert_eq!(i.deps[1].sum, "h1:abc=");
        assert!(i.deps[1].replace.is_none());
        assert_eq!(i.setting("GOOS"), Some("linux"));
        assert!(i.unparsed.is_empty());
    }

    #[test]
    fn stray_replacement_is_kept_as_unparsed() {
        let i = parse_modinfo("=>\tx\tv1\t\nbogus line\n");
        assert_eq!(i.unparsed.len(), 2);
    }

    #[test]
    fn varint_strings() {
        let mut d = vec![0x83, 0x01];
        d.extend(std::iter::repeat_n(b'x', 131));
        d.push(0);
        let (s, rest) = read_varint_string(&d).unwrap();
        assert_eq!(s.len(), 131);
        assert_eq!(rest, &[0]);
        assert!(read_varint_string(&[0x05, b'a']).is_none());
        assert!(read_varint_string(&[0xff; 20]).is_none());
    }

    #[test]
    fn sentinels_removed_only_when_framed() {
        let mut m = SENTINEL_START.to_vec();
        m.extend_from_slice(b"path\tx\n");
        m.extend_from_slice(&SENTINEL_END);
        assert_eq!(strip_sentinels(&m), b"path\tx\n");
        assert_eq!(strip_sentinels(b"path\tx\n"), b"path\tx\n");
    }
}
