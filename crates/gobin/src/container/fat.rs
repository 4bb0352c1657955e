//! Fat (universal) Mach-O files: one thin image per architecture.

use crate::Error;
use model::Arch;
use object::macho;

/// Magic numbers of fat Mach-O headers (32- and 64-bit), big-endian.
const FAT_MAGICS: [[u8; 4]; 2] = [[0xca, 0xfe, 0xba, 0xbe], [0xca, 0xfe, 0xba, 0xbf]];

/// True when the file starts like a fat Mach-O (by its magic alone).
pub fn is_fat(data: &[u8]) -> bool {
    data.get(..4)
        .is_some_and(|m| FAT_MAGICS.iter().any(|f| f == m))
}

/// One architecture slice of a (possibly fat) Mach-O, or the whole file.
pub struct Slice<'data> {
    /// Architecture named by the fat header, if any.
    pub fat_arch: Option<Arch>,
    /// The slice's bytes.
    pub data: &'data [u8],
}

/// Splits a fat (universal) Mach-O into its slices; any other file is one
/// slice.
pub fn slices(data: &[u8]) -> Result<Vec<Slice<'_>>, Error> {
    use object::read::macho::{FatArch as _, MachOFatFile32, MachOFatFile64};
    let kind = object::FileKind::parse(data);
    let arches: Vec<(Arch, u64, u64)> = match kind {
        Ok(object::FileKind::MachOFat32) => {
            let fat = MachOFatFile32::parse(data)
                .map_err(|e| Error::Format(format!("malformed fat Mach-O: {e}")))?;
            fat.arches()
                .iter()
                .map(|a| (fat_arch(a.cputype().0), a.offset().into(), a.size().into()))
                .collect()
        }
        Ok(object::FileKind::MachOFat64) => {
            let fat = MachOFatFile64::parse(data)
                .map_err(|e| Error::Format(format!("malformed fat Mach-O: {e}")))?;
            fat.arches()
                .iter()
                .map(|a| (fat_arch(a.cputype().0), a.offset(), a.size()))
                .collect()
        }
        _ => {
            return Ok(vec![Slice {
                fat_arch: None,
                data,
            }])
        }
    };
    arches
        .into_iter()
        .map(|(arch, off, size)| {
            let start = usize::try_from(off).ok();
            let end = start.and_then(|s| s.checked_add(usize::try_from(size).ok()?));
            match (start, end) {
                (Some(s), Some(e)) if e <= data.len() => Ok(Slice {
                    fat_arch: Some(arch),
                    data: &data[s..e],
                }),
                _ => Err(Error::Format(
                    "fat Mach-O slice lies outside the file".into(),
                )),
            }
        })
        .collect()
}

fn fat_arch(cputype: u32) -> Arch {
    match cputype {
        c if c == macho::CPU_TYPE_X86_64.0 => Arch::Amd64,
        c if c == macho::CPU_TYPE_ARM64.0 => Arch::Arm64,
        _ => Arch::Other("unknown"),
    }
}
