//! Native (non-Go or cgo-linked) files as a stack symbolizer needs them:
//! the shared libraries a process maps (libc, the dynamic loader) and the
//! program itself. Text symbols with one name per address, loadable
//! segments, and the `runtime.tlsg` symbol a cgo Go binary keeps.

use crate::Error;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SymbolKind};

/// A defined text symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSym {
    /// Link-time address.
    pub addr: u64,
    /// Size in bytes (0 when the table does not say).
    pub size: u64,
    /// The symbol's name.
    pub name: String,
}

/// A loadable segment: link-time address and where its bytes are in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Link-time virtual address.
    pub addr: u64,
    /// File offset of its first byte.
    pub file_offset: u64,
    /// Bytes of it stored in the file.
    pub file_size: u64,
}

/// What a symbolizer reads from a native file.
#[derive(Debug, Clone, Default)]
pub struct NativeFile {
    /// Text symbols sorted by address, one per address.
    pub syms: Vec<TextSym>,
    /// Loadable segments.
    pub segments: Vec<Segment>,
    /// Link-time value of `runtime.tlsg`, when the symbol table has it.
    pub tlsg: Option<u64>,
    /// The file has Go sections (`.gopclntab`, `.go.buildinfo`): parse it
    /// as a Go binary too.
    pub looks_go: bool,
}

impl NativeFile {
    /// Reads the symbol tables (static and dynamic) and segments of an ELF
    /// or Mach-O file.
    pub fn parse(bytes: &[u8]) -> Result<NativeFile, Error> {
        let file = object::File::parse(bytes).map_err(|e| Error::Format(e.to_string()))?;
        let mut syms = Vec::new();
        let mut tlsg = None;
        for sym in file.symbols().chain(file.dynamic_symbols()) {
            let Ok(name) = sym.name() else { continue };
            if name == "runtime.tlsg" {
                tlsg = Some(sym.address());
            }
            if sym.kind() != SymbolKind::Text || !sym.is_definition() || sym.address() == 0 {
                continue;
            }
            syms.push(TextSym {
                addr: sym.address(),
                size: sym.size(),
                name: name.to_string(),
            });
        }
        // One name per address: the plainest (fewest leading underscores,
        // then shortest), e.g. `write` over `__write` and `__libc_write`.
        syms.sort_by(|a, b| {
            a.addr.cmp(&b.addr).then_with(|| {
                let rank = |s: &TextSym| {
                    (
                        s.name.len() - s.name.trim_start_matches('_').len(),
                        s.name.len(),
                    )
                };
                rank(a).cmp(&rank(b))
            })
        });
        syms.dedup_by_key(|s| s.addr);
        let looks_go = file.sections().any(|s| {
            s.name().is_ok_and(|n| {
                n.contains("gopclntab") || n == ".go.buildinfo" || n == "__gopclntab"
            })
        });
        let segments = file
            .segments()
            .map(|s| {
                let (file_offset, file_size) = s.file_range();
                Segment {
                    addr: s.address(),
                    file_offset,
                    file_size,
                }
            })
            .collect();
        Ok(NativeFile {
            syms,
            segments,
            tlsg,
            looks_go,
        })
    }

    /// The symbol covering or preceding `addr`.
    pub fn symbol_before(&self, addr: u64) -> Option<&TextSym> {
        let i = self.syms.partition_point(|s| s.addr <= addr);
        i.checked_sub(1).and_then(|i| self.syms.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgo_fixture_has_libc_imports_and_go_sections() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/bin/cgo_hello-go1.27-linux-amd64"
        );
        let bytes = std::fs::read(path).unwrap();
        let f = NativeFile::parse(&bytes).unwrap();
        assert!(f.looks_go);
        assert!(f.syms.windows(2).all(|w| w[0].addr < w[1].addr));
        assert!(f.syms.iter().any(|s| s.name == "main.main"));
        assert!(!f.segments.is_empty());
        let main = f.syms.iter().find(|s| s.name == "main.main").unwrap();
        assert_eq!(f.symbol_before(main.addr + 1).unwrap().name, "main.main");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(NativeFile::parse(b"not an object file").is_err());
    }
}
