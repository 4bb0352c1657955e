//! Field offsets of kernel structs from the kernel's BTF
//! (`/sys/kernel/btf/vmlinux`). The programs read a few `task_struct`
//! fields (a forked child's pid and tgid, an exiting task's exit code);
//! their offsets change with every kernel build, and BTF is where the
//! running kernel says what they are. Only what that needs is parsed:
//! struct and union members, through anonymous members and typedefs.

use crate::sys::mapped::Mapped;
use gobin::bytes::u32_le;

/// The blob's bytes: mapped from the kernel when it allows, else read.
enum Blob {
    Mapped(Mapped),
    Read(Vec<u8>),
}

impl std::ops::Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Blob::Mapped(m) => m,
            Blob::Read(v) => v,
        }
    }
}

/// A parsed BTF blob.
pub struct Btf {
    data: Blob,
    types_at: usize,
    strs_at: usize,
    strs_len: usize,
    /// Byte offset of each type record; index = type id - 1.
    offsets: Vec<usize>,
}

const KIND_INT: u32 = 1;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_VAR: u32 = 14;
const KIND_DATASEC: u32 = 15;
const KIND_DECL_TAG: u32 = 17;
const KIND_TYPE_TAG: u32 = 18;
const KIND_ENUM64: u32 = 19;

impl Btf {
    /// Parses a BTF blob; `None` when it is not one (wrong magic,
    /// truncated sections).
    pub fn parse(data: Vec<u8>) -> Option<Btf> {
        Btf::from_blob(Blob::Read(data))
    }

    fn from_blob(data: Blob) -> Option<Btf> {
        if data.get(0..2)? != [0x9f, 0xeb] {
            return None;
        }
        let hdr_len = u32_le(&data, 4)? as usize;
        let type_off = u32_le(&data, 8)? as usize;
        let type_len = u32_le(&data, 12)? as usize;
        let str_off = u32_le(&data, 16)? as usize;
        let str_len = u32_le(&data, 20)? as usize;
        let types_at = hdr_len.checked_add(type_off)?;
        let strs_at = hdr_len.checked_add(str_off)?;
        let types_end = types_at.checked_add(type_len)?;
        if types_end > data.len() || strs_at.checked_add(str_len)? > data.len() {
            return None;
        }
        let mut offsets = Vec::new();
        let mut at = types_at;
        while at + 12 <= types_end {
            offsets.push(at);
            let info = u32_le(&data, at + 4)?;
            let vlen = (info & 0xffff) as usize;
            let extra = match (info >> 24) & 0x1f {
                KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
                KIND_ARRAY => 12,
                KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => 12 * vlen,
                KIND_ENUM | KIND_FUNC_PROTO => 8 * vlen,
                _ => 0,
            };
            at += 12 + extra;
        }
        Some(Btf {
            data,
            types_at,
            strs_at,
            strs_len: str_len,
            offsets,
        })
    }

    /// The running kernel's BTF.
    pub fn vmlinux() -> Option<Btf> {
        let path = std::path::Path::new("/sys/kernel/btf/vmlinux");
        match Mapped::open(path) {
            Some(m) => Btf::from_blob(Blob::Mapped(m)),
            None => Btf::parse(std::fs::read(path).ok()?),
        }
    }

    fn name(&self, off: u32) -> &str {
        let off = off as usize;
        if off >= self.strs_len {
            return "";
        }
        let s = &self.data[self.strs_at + off..self.strs_at + self.strs_len];
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        std::str::from_utf8(&s[..end]).unwrap_or("")
    }

    fn ty(&self, id: u32) -> Option<(u32, u32, usize, u32)> {
        let at = *self.offsets.get((id as usize).checked_sub(1)?)?;
        let name = u32_le(&self.data, at)?;
        let info = u32_le(&self.data, at + 4)?;
        let size_or_type = u32_le(&self.data, at + 8)?;
        let _ = self.types_at;
        Some((name, info, at, size_or_type))
    }

    /// Follows typedefs and qualifiers.
    fn resolve(&self, mut id: u32) -> Option<u32> {
        for _ in 0..32 {
            let (_, info, _, next) = self.ty(id)?;
            match (info >> 24) & 0x1f {
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => {
                    id = next
                }
                _ => return Some(id),
            }
        }
        None
    }

    /// The id of the struct named `name`.
    pub fn struct_id(&self, name: &str) -> Option<u32> {
        (1..=self.offsets.len() as u32).find(|&id| {
            self.ty(id).is_some_and(|(n, info, _, _)| {
                (info >> 24) & 0x1f == KIND_STRUCT && info & 0xffff != 0 && self.name(n) == name
            })
        })
    }

    /// Byte offset and type id of member `field` of struct/union `id`,
    /// looking inside anonymous members.
    pub fn member(&self, id: u32, field: &str) -> Option<(u32, u32)> {
        let id = self.resolve(id)?;
        let (_, info, at, _) = self.ty(id)?;
        let kind = (info >> 24) & 0x1f;
        if kind != KIND_STRUCT && kind != KIND_UNION {
            return None;
        }
        let kflag = info >> 31 == 1;
        for i in 0..(info & 0xffff) as usize {
            let m = at + 12 + 12 * i;
            let name = u32_le(&self.data, m)?;
            let ty = u32_le(&self.data, m + 4)?;
            let bits = u32_le(&self.data, m + 8)?;
            let bits = if kflag { bits & 0xff_ffff } else { bits };
            if self.name(name) == field {
                return Some((bits / 8, ty));
            }
            if name == 0 {
                if let Some((inner, t)) = self.member(ty, field) {
                    return Some((bits / 8 + inner, t));
                }
            }
        }
        None
    }

    /// Offset of a dotted field path (`thread.fsbase`) in struct `name`.
    pub fn offset(&self, name: &str, path: &str) -> Option<u32> {
        let mut id = self.struct_id(name)?;
        let mut total = 0;
        for part in path.split('.') {
            let (off, ty) = self.member(id, part)?;
            total += off;
            id = ty;
        }
        Some(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_btf() {
        assert!(Btf::parse(vec![0; 8]).is_none());
        assert!(Btf::parse(vec![0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 255, 255]).is_none());
    }

    #[test]
    fn finds_task_struct_fields_when_the_kernel_has_btf() {
        let Some(btf) = Btf::vmlinux() else {
            // Machines without BTF cannot run this check; the backend then
            // says BTF is missing.
            return;
        };
        let pid = btf.offset("task_struct", "pid").unwrap();
        let tgid = btf.offset("task_struct", "tgid").unwrap();
        assert_eq!(tgid, pid + 4, "tgid follows pid in every kernel");
        assert!(btf.offset("task_struct", "exit_code").is_some());
        assert!(btf.offset("task_struct", "no_such_field").is_none());
    }
}
