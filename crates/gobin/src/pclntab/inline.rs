//! Inlined frames: FUNCDATA_InlTree + PCDATA_InlTreeIndex (go-internals
//! §1.8), expanded innermost first like `llvm-symbolizer --inlining`.

use super::{Func, InlFormat, Pclntab};
use crate::bytes;
use model::Frame;

/// Deepest inline chain followed. Real chains are a handful of calls deep;
/// a corrupt tree can loop, and this bounds the walk.
const MAX_INLINE_DEPTH: usize = 256;

/// One decoded inline tree entry.
struct InlinedCall {
    name_off: u32,
    parent_pc: Option<u32>,
    /// Go 1.9-1.11 only: parent index and the call site's file and line.
    parent: i32,
    file: i32,
    line: i32,
}

impl<'a> Func<'a> {
    fn inlined_call(&self, tree: u64, ix: i32) -> Option<InlinedCall> {
        let tab = self.table();
        let fmt = tab.fields.inl;
        let size: u64 = match fmt {
            InlFormat::Go120 | InlFormat::Go19 => 16,
            InlFormat::Go112 => 20,
        };
        let addr = tree.checked_add(u64::try_from(ix).ok()?.checked_mul(size)?)?;
        let b = tab.image.read(addr, size as usize)?;
        let i32_at = |o: usize| bytes::u32_le(b, o).map(|v| v as i32);
        Some(match fmt {
            InlFormat::Go120 => InlinedCall {
                name_off: bytes::u32_le(b, 4)?,
                parent_pc: Some(bytes::u32_le(b, 8)?),
                parent: -1,
                file: -1,
                line: 0,
            },
            InlFormat::Go112 => InlinedCall {
                name_off: bytes::u32_le(b, 12)?,
                parent_pc: Some(bytes::u32_le(b, 16)?),
                parent: i32::from(bytes::u16_le(b, 0)? as i16),
                file: i32_at(4)?,
                line: i32_at(8)?,
            },
            InlFormat::Go19 => InlinedCall {
                name_off: bytes::u32_le(b, 12)?,
                parent_pc: None,
                parent: i32_at(0)?,
                file: i32_at(4)?,
                line: i32_at(8)?,
            },
        })
    }

    fn inline_index(&self, pc: u64) -> Option<(u64, i32)> {
        let tab = self.table();
        let inl = tab.fields.inl_funcdata?;
        // The index first: at most pcs it is -1 (not inlined code), and
        // then the tree's address, often on another cache line of the
        // record, need not be read.
        let ix = self.pcdata(tab.fields.inl_pcdata, pc)?;
        if ix < 0 {
            return None;
        }
        Some((self.funcdata(inl)?, ix))
    }

    /// Logical frames at `pc` inside this function, without allocating:
    /// `emit` gets the inlined callees innermost first, then this function.
    pub fn for_each_frame(&self, pc: u64, mut emit: impl FnMut(FrameRef<'a>)) {
        let tab = self.table();
        let pos = |p: u64| self.file_line(p).unwrap_or(("?", 0));
        let mut p = pc;
        let mut depth = 0;
        let mut next = self.inline_index(p);
        while let Some((tree, ix)) = next {
            if depth >= MAX_INLINE_DEPTH {
                break;
            }
            let Some(call) = self.inlined_call(tree, ix) else {
                break;
            };
            let Some(parent_pc) = call.parent_pc else {
                return self.frames_go19(pc, tree, ix, emit);
            };
            let (file, line) = pos(p);
            emit(FrameRef {
                function: tab.name_at(call.name_off).unwrap_or("?"),
                file,
                line,
                inlined: true,
            });
            depth += 1;
            p = self.entry().saturating_add(u64::from(parent_pc));
            next = self.inline_index(p);
        }
        let (file, line) = pos(p);
        emit(FrameRef {
            function: self.name(),
            file,
            line,
            inlined: false,
        });
    }

    /// Logical frames at `pc` inside this function: inlined callees
    /// innermost first, then this function. Every frame carries `pc`.
    pub fn frames(&self, pc: u64) -> Vec<Frame> {
        let mut frames = Vec::new();
        self.for_each_frame(pc, |f| frames.push(f.to_frame(pc)));
        frames
    }

    /// Go 1.9-1.11 trees carry the call site's file and line and a parent
    /// index instead of a parent pc.
    fn frames_go19(&self, pc: u64, tree: u64, first: i32, mut emit: impl FnMut(FrameRef<'a>)) {
        let tab = self.table();
        let (mut file, mut line) = self.file_line(pc).unwrap_or(("?", 0));
        let mut ix = first;
        let mut depth = 0;
        while ix >= 0 && depth < MAX_INLINE_DEPTH {
            let Some(call) = self.inlined_call(tree, ix) else {
                break;
            };
            emit(FrameRef {
                function: tab.name_at(call.name_off).unwrap_or("?"),
                file,
                line,
                inlined: true,
            });
            depth += 1;
            file = tab.file_name(None, call.file).unwrap_or("?");
            line = u32::try_from(call.line).unwrap_or(0);
            ix = call.parent;
        }
        emit(FrameRef {
            function: self.name(),
            file,
            line,
            inlined: false,
        });
    }
}

/// One logical frame, borrowed from the table (see [`Func::for_each_frame`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// Function name (no ABI suffix).
    pub function: &'a str,
    /// Source file; `?` when the table has none.
    pub file: &'a str,
    /// Source line; 0 when unknown.
    pub line: u32,
    /// Inlined into the next frame.
    pub inlined: bool,
}

impl FrameRef<'_> {
    /// The owned [`Frame`] for `pc`.
    pub fn to_frame(&self, pc: u64) -> Frame {
        Frame {
            pc,
            function: self.function.to_string(),
            file: self.file.to_string(),
            line: self.line,
            inlined: self.inlined,
        }
    }
}

impl Pclntab<'_> {
    /// Logical frames at `pc`: the innermost inlined function first, then
    /// its callers, then the physical function. Empty when no function
    /// holds `pc`. For a return address, pass `pc - 1` (the call
    /// instruction), as the runtime does.
    pub fn frames_at(&self, pc: u64) -> Vec<Frame> {
        match self.func_at(pc) {
            Some(f) => f.frames(pc),
            None => Vec::new(),
        }
    }
}
