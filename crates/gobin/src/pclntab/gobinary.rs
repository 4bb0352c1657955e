//! [`GoBinary`]: a container plus its Go symbol table, the starting point
//! for every command that names functions.

use super::locate::{self, Source};
use super::{Abi, AbiEvidence, Context, Func, Image, Layout, Pclntab};
use crate::bytes;
use crate::container::Binary;
use crate::moduledata::Moduledata;
use crate::version::GoVersion;
use crate::Error;

/// A Go executable: the container and its pclntab, located and decoded.
pub struct GoBinary<'data> {
    /// The container.
    pub bin: Binary<'data>,
    /// The function table.
    pub pclntab: Pclntab<'data>,
    /// Exact version from build info, else the lower bound the pclntab
    /// magic gives (see [`GoVersion::is_lower_bound`]).
    pub version: Option<GoVersion>,
    /// The module data, when found (it is for every fixture toolchain).
    pub moduledata: Option<Moduledata>,
    /// How the table was found.
    pub pclntab_source: Source,
    /// Things that went wrong but left a usable result.
    pub warnings: Vec<String>,
}

impl<'data> GoBinary<'data> {
    /// Parses the container and locates and checks the pclntab.
    pub fn parse(data: &'data [u8]) -> Result<Self, Error> {
        let bin = Binary::parse(data)?;
        GoBinary::from_binary(bin)
    }

    /// Like [`Self::parse`], for an already parsed container. In a
    /// truncated file, an error or warning says so first: what is missing
    /// was cut, not left out.
    pub fn from_binary(bin: Binary<'data>) -> Result<Self, Error> {
        let truncation = bin.truncation.clone();
        match (GoBinary::read(bin), truncation) {
            (Ok(mut gb), Some(t)) => {
                gb.warnings.insert(0, gb.bin.truncation_warning(&t));
                Ok(gb)
            }
            (Err(e), Some(t)) => Err(Error::Go(format!("{t}: {e}"))),
            (result, None) => result,
        }
    }

    fn read(bin: Binary<'data>) -> Result<Self, Error> {
        let found = locate::find(&bin)
            .ok_or_else(|| Error::Go("no Go pclntab found (not a Go binary?)".into()))?;
        let magic = bytes::u32_le(found.data, 0).unwrap_or(0);
        let layout = Layout::from_magic(magic)
            .ok_or_else(|| Error::Go(format!("pclntab: unknown magic {magic:#010x}")))?;
        let ptr = found.data.get(7).copied().unwrap_or(8);
        let nfunc = bytes::word_le(found.data, 8, usize::from(ptr)).unwrap_or(0);
        let version = exact_version(&bin).or_else(|| GoVersion::from_pclntab_magic(magic));
        let mut warnings = Vec::new();
        let moduledata = if ptr == 8 {
            Moduledata::locate(&bin, layout, version, found.addr, nfunc)
        } else {
            None
        };
        let mut image = Image::default();
        for seg in bin.segments() {
            if let Some(bytes) = bin.read_va(seg.addr, seg.file_size) {
                image.add(seg.addr, bytes);
            }
        }
        let text_start = match &moduledata {
            Some(md) => Some(md.text),
            None => text_fallback(&bin, layout, found.data, &mut warnings),
        };
        let gofunc = moduledata.as_ref().and_then(|md| md.gofunc).or_else(|| {
            ["go:func.*", "go.func.*"]
                .iter()
                .find_map(|n| bin.symbol(n))
                .map(|s| s.addr)
        });
        if gofunc.is_none() && layout >= Layout::V118 {
            warnings.push("moduledata not found: inlined frames are not available".into());
        }
        let ctx = Context {
            text_start,
            text_sects: moduledata
                .as_ref()
                .map(|m| m.text_sects.clone())
                .unwrap_or_default(),
            gofunc,
            version: version.filter(|v| !v.is_lower_bound()),
            image,
        };
        let pclntab = Pclntab::parse(found.data, found.addr, ctx)?;
        warnings.extend(pclntab.warnings().iter().cloned());
        Ok(GoBinary {
            bin,
            pclntab,
            version,
            moduledata,
            pclntab_source: found.source,
            warnings,
        })
    }

    /// ABI class with its evidence, using the symbol table when there is
    /// one: a `NAME.abi0` symbol at the entry is the strongest evidence.
    pub fn abi(&self, f: &Func<'_>) -> (Abi, AbiEvidence) {
        let syms = self.bin.symbols();
        let first = syms.partition_point(|s| s.addr < f.entry());
        let abi0 = syms[first..]
            .iter()
            .take_while(|s| s.addr == f.entry())
            .any(|s| s.text && s.name.strip_suffix(".abi0") == Some(f.name()));
        match f.abi_evidence() {
            (Abi::Wrapper, _) if abi0 => (Abi::Wrapper, AbiEvidence::Abi0WrapperSymbol),
            _ if abi0 => (Abi::Abi0, AbiEvidence::Abi0Symbol),
            other => other,
        }
    }
}

/// The exact version from build info, when the binary has it.
fn exact_version(bin: &Binary<'_>) -> Option<GoVersion> {
    let info = crate::buildinfo::read(bin).ok()??;
    GoVersion::parse(&info.version)
}

/// Text base without moduledata: the `runtime.text` symbol, the header's
/// word (1.18-1.25), or the start of the first executable section.
fn text_fallback(
    bin: &Binary<'_>,
    layout: Layout,
    table: &[u8],
    warnings: &mut Vec<String>,
) -> Option<u64> {
    if layout < Layout::V118 {
        return None;
    }
    if let Some(s) = bin.symbol("runtime.text") {
        return Some(s.addr);
    }
    let ptr = usize::from(table.get(7).copied().unwrap_or(8));
    if let Some(t) = bytes::word_le(table, 8 + 2 * ptr, ptr).filter(|&t| t != 0) {
        return Some(t);
    }
    let sect = bin
        .sections()
        .iter()
        .find(|s| s.executable && (s.name == ".text" || s.name == "__text"))?;
    warnings.push(format!(
        "moduledata not found: assuming text starts at {:#x}",
        sect.addr
    ));
    Some(sect.addr)
}
