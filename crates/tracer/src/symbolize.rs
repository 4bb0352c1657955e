//! Program counters to names, per mapped file and per process.
//!
//! A traced process maps its executable and, when dynamically linked, its
//! libraries. Each file is parsed once ([`Module`], shared by every process
//! that maps it: forks and re-execs of the same binary) and every pc
//! looked up is cached, because a syscall-heavy program makes the same few
//! call chains millions of times. Each process keeps its own table of
//! mappings, read from `/proc/PID/maps`, which gives the load bias of PIE
//! executables and libraries; `forget` drops it on `execve`.
//!
//! Go code is named from the pclntab (inlined frames expanded, so stripped
//! binaries get full names too); other code from the ELF symbol table or
//! the dynamic symbols, and failing both by file and offset.

use gobin::native::NativeFile;
use gobin::GoBinary;
use gobin::MappedFile;
use model::Frame;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Cap on cached pcs per module: a JIT or a corrupt stack feeding random
/// addresses must not grow the cache without bound.
const MAX_CACHED_PCS: usize = 1 << 18;

/// Runtime functions the unwinder must treat specially, recognised by name
/// (funcID numbers moved between Go releases; names did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// Ordinary code.
    None,
    /// `runtime.goexit`: the bottom of every goroutine stack.
    Goexit,
    /// Other stack tops: `runtime.mstart`, `runtime.rt0_go`, signal
    /// trampolines (the pclntab's TopFrame flag).
    Top,
    /// `runtime.systemstack`: the g0 side continues on the goroutine.
    Systemstack,
    /// `runtime.mcall`, `runtime.morestack`: switch stacks for good.
    Mcall,
    /// `runtime.asmcgocall`: Go calling C on the system stack.
    Asmcgocall,
    /// `runtime.cgocallback`: C calling back into Go.
    Cgocallback,
}

/// What a looked-up pc is.
#[derive(Debug, Clone)]
pub enum PcKind {
    /// Go code.
    Go {
        /// Function entry (link-time address).
        entry: u64,
        /// FuncFlag bits.
        flag: u8,
        /// Frame size at the pc (pcsp), when the table has it.
        sp_delta: Option<i32>,
        /// Special handling for the unwinder.
        special: Special,
        /// Assembly (no frame pointer discipline guaranteed).
        asm: bool,
    },
    /// Native code with a symbol.
    Native {
        /// Symbol name.
        symbol: String,
        /// Offset of the pc from the symbol.
        offset: u64,
    },
    /// Inside a mapped file but no symbol covers it.
    Unknown,
}

/// Everything known about one pc, cached per module.
#[derive(Debug, Clone)]
pub struct PcInfo {
    /// Logical frames, innermost inlined callee first, then the physical
    /// function. Empty for native code.
    pub frames: Vec<Frame>,
    /// What the pc is.
    pub kind: PcKind,
}

impl PcInfo {
    /// The physical function's name (or symbol), if known.
    pub fn function(&self) -> Option<&str> {
        match &self.kind {
            PcKind::Go { .. } => self.frames.last().map(|f| f.function.as_str()),
            PcKind::Native { symbol, .. } => Some(symbol),
            PcKind::Unknown => None,
        }
    }
}

/// One mapped file, parsed once.
pub struct Module {
    // Field order matters: `go` borrows the bytes of `map` and must be
    // dropped first (fields drop in declaration order).
    go: Option<GoBinary<'static>>,
    /// Text symbols and, for the Go-less case, the loadable segments.
    native: NativeFile,
    /// (vaddr, file offset, file size) of each loadable segment, to turn a
    /// mapping's file offset into a load bias.
    segments: Vec<(u64, u64, u64)>,
    /// ELF PT_TLS (vaddr, memsz, align).
    tls: Option<(u64, u64, u64)>,
    path: String,
    cache: HashMap<u64, Arc<PcInfo>>,
    _map: Option<Box<MappedFile>>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("path", &self.path)
            .field("go", &self.go.is_some())
            .field("symbols", &self.native.syms.len())
            .finish()
    }
}

impl Module {
    /// Maps and parses a file. Go binaries get their pclntab; every ELF
    /// gets its text symbols (static and dynamic).
    pub fn open(path: &Path) -> Result<Module, String> {
        let map = Box::new(MappedFile::open(path)?);
        let bytes = map.bytes();
        // SAFETY: the bytes live in a memory map owned by `map`, a heap box
        // whose pointee never moves and which is dropped only after `go`
        // (declaration order). The 'static slice never leaves this struct:
        // accessors hand out borrows bounded by `&self`.
        let bytes: &'static [u8] =
            unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
        Module::from_bytes(bytes, path.display().to_string(), Some(map))
    }

    /// A module over bytes that outlive the program (tests, embedded
    /// images).
    pub fn from_static(bytes: &'static [u8], path: &str) -> Result<Module, String> {
        Module::from_bytes(bytes, path.to_string(), None)
    }

    fn from_bytes(
        bytes: &'static [u8],
        path: String,
        map: Option<Box<MappedFile>>,
    ) -> Result<Module, String> {
        let native = NativeFile::parse(bytes).map_err(|e| format!("{path}: {e}"))?;
        let go = if native.looks_go {
            GoBinary::parse(bytes).ok()
        } else {
            None
        };
        let (segments, tls) = match &go {
            Some(g) => (
                g.bin
                    .segments()
                    .iter()
                    .map(|s| (s.addr, s.file_offset, s.file_size))
                    .collect(),
                g.bin.tls,
            ),
            None => (
                native
                    .segments
                    .iter()
                    .map(|s| (s.addr, s.file_offset, s.file_size))
                    .collect(),
                None,
            ),
        };
        Ok(Module {
            go,
            native,
            segments,
            tls,
            path,
            cache: HashMap::new(),
            _map: map,
        })
    }

    /// The parsed Go binary, when this file is one.
    pub fn go(&self) -> Option<&GoBinary<'_>> {
        self.go.as_ref()
    }

    /// Path the module was opened from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where `g` sits relative to the thread pointer (fs_base) on amd64:
    /// -8 for Go's own TLS slot, or the PT_TLS/`runtime.tlsg` formula for
    /// binaries linked by a C linker (go-internals §4.1).
    pub fn g_tls_offset_amd64(&self) -> i64 {
        gobin::runtime::layout::g_tls_offset_amd64(self.tls, self.native.tlsg)
    }

    /// Link-time address of the bytes at `file_offset`, for turning a
    /// mapping (start, offset) into a bias.
    fn vaddr_of_offset(&self, file_offset: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|&&(_, off, size)| {
                file_offset >= off && file_offset < off.saturating_add(size.max(1))
            })
            .map(|&(vaddr, off, _)| vaddr + (file_offset - off))
    }

    /// Looks up a link-time pc (already adjusted to the call instruction
    /// for return addresses). Cached.
    pub fn lookup(&mut self, pc: u64) -> Arc<PcInfo> {
        if let Some(hit) = self.cache.get(&pc) {
            return hit.clone();
        }
        let info = Arc::new(self.resolve(pc));
        if self.cache.len() >= MAX_CACHED_PCS {
            self.cache.clear();
        }
        self.cache.insert(pc, info.clone());
        info
    }

    fn resolve(&self, pc: u64) -> PcInfo {
        if let Some(go) = &self.go {
            if let Some(f) = go.pclntab.func_at(pc) {
                let name = f.name();
                let flag = f.flag();
                let special = match name {
                    "runtime.goexit" => Special::Goexit,
                    "runtime.systemstack" => Special::Systemstack,
                    "runtime.mcall" | "runtime.morestack" => Special::Mcall,
                    "runtime.asmcgocall" => Special::Asmcgocall,
                    "runtime.cgocallback" => Special::Cgocallback,
                    "runtime.mstart"
                    | "runtime.rt0_go"
                    | "runtime.sigtramp"
                    | "runtime.cgoSigtramp" => Special::Top,
                    _ if f.is_top_frame() => Special::Top,
                    _ => Special::None,
                };
                return PcInfo {
                    frames: f.frames(pc),
                    kind: PcKind::Go {
                        entry: f.entry(),
                        flag,
                        sp_delta: f.sp_delta(pc),
                        special,
                        asm: f.is_asm(),
                    },
                };
            }
        }
        if let Some(s) = self.native.symbol_before(pc) {
            // Symbols without a size (some assembly) cover up to the next one.
            let within = s.size == 0 || pc - s.addr < s.size;
            if within {
                return PcInfo {
                    frames: Vec::new(),
                    kind: PcKind::Native {
                        symbol: s.name.clone(),
                        offset: pc - s.addr,
                    },
                };
            }
        }
        PcInfo {
            frames: Vec::new(),
            kind: PcKind::Unknown,
        }
    }
}

/// One executable mapping of a process.
#[derive(Debug, Clone, Copy)]
struct Range {
    start: u64,
    end: u64,
    module: usize,
    /// runtime address = link-time address + bias.
    bias: u64,
}

/// A process's executable mappings.
#[derive(Debug, Default, Clone)]
struct ProcMaps {
    ranges: Vec<Range>,
    /// The Go executable (module index and bias), if one is mapped.
    go: Option<(usize, u64)>,
    /// Reloads after a miss, bounded so wild pcs do not reread maps forever.
    reloads: u32,
}

/// The result of looking up one runtime pc.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Cached facts about the pc.
    pub info: Arc<PcInfo>,
    /// Load bias of the module (runtime = link + bias).
    pub bias: u64,
    /// Index of the module, for [`Symbolizer::module`].
    pub module: usize,
}

/// Symbolization for every traced process: modules shared, mappings per
/// process.
#[derive(Debug, Default)]
pub struct Symbolizer {
    modules: Vec<Option<Module>>,
    by_key: HashMap<(String, u64), usize>,
    procs: HashMap<i32, ProcMaps>,
}

/// Rereads of /proc/PID/maps allowed per process after lookups miss.
const MAX_RELOADS: u32 = 16;

impl Symbolizer {
    /// An empty cache.
    pub fn new() -> Symbolizer {
        Symbolizer::default()
    }

    /// Drops what is known about `pid`'s mappings: call on `execve` (the
    /// modules stay cached for other processes).
    pub fn forget(&mut self, pid: i32) {
        self.procs.remove(&pid);
    }

    /// A new process `child` starts with the mappings of `parent`, as fork
    /// and vfork give it: a child that runs only until its exec (Go's
    /// `os/exec` vforks) may be gone, or a new program, by the time a
    /// backend that reads events after the fact names its frames. Reads
    /// the parent's mappings first if they are not known yet.
    pub fn inherit(&mut self, parent: i32, child: i32) {
        self.ensure(parent);
        if let Some(maps) = self.procs.get(&parent).cloned() {
            self.procs.insert(child, maps);
        }
    }

    /// Whether `pid`'s mappings have been read.
    pub fn is_known(&self, pid: i32) -> bool {
        self.procs.contains_key(&pid)
    }

    /// Rereads `pid`'s mappings now (it mapped new code), keeping what
    /// was known when the process is already gone.
    pub fn refresh(&mut self, pid: i32) {
        let reloads = self.procs.get(&pid).map_or(0, |p| p.reloads);
        let maps = self.read_maps(pid, reloads);
        if !maps.ranges.is_empty() || !self.procs.contains_key(&pid) {
            self.procs.insert(pid, maps);
        }
    }

    /// Registers a module mapped at `[start, end)` with this bias in `pid`,
    /// bypassing /proc (tests, or callers that know the layout).
    pub fn add_mapping(&mut self, pid: i32, module: Module, start: u64, end: u64, bias: u64) {
        let idx = self.modules.len();
        let is_go = module.go.is_some();
        self.modules.push(Some(module));
        let p = self.procs.entry(pid).or_default();
        p.ranges.push(Range {
            start,
            end,
            module: idx,
            bias,
        });
        p.ranges.sort_by_key(|r| r.start);
        if is_go && p.go.is_none() {
            p.go = Some((idx, bias));
        }
        // A process given its layout by hand never reads /proc.
        p.reloads = MAX_RELOADS;
    }

    /// The module at `index`.
    pub fn module(&self, index: usize) -> Option<&Module> {
        self.modules.get(index)?.as_ref()
    }

    /// The Go executable of `pid` and its bias, loading the mappings if
    /// needed.
    pub fn go_module(&mut self, pid: i32) -> Option<(&Module, u64)> {
        self.ensure(pid);
        let (idx, bias) = self.procs.get(&pid)?.go?;
        Some((self.modules.get(idx)?.as_ref()?, bias))
    }

    fn ensure(&mut self, pid: i32) {
        if !self.procs.contains_key(&pid) {
            let maps = self.read_maps(pid, 0);
            self.procs.insert(pid, maps);
        }
    }

    /// Looks up a runtime pc in `pid`. `caller` marks a return address,
    /// looked up at pc-1 (the call instruction), as the Go runtime does.
    pub fn lookup(&mut self, pid: i32, pc: u64, caller: bool) -> Option<Resolved> {
        self.ensure(pid);
        let key_pc = if caller { pc.wrapping_sub(1) } else { pc };
        let range = match self.find_range(pid, key_pc) {
            Some(r) => r,
            None => {
                let reloads = self.procs.get(&pid).map_or(0, |p| p.reloads);
                if reloads >= MAX_RELOADS {
                    return None;
                }
                let maps = self.read_maps(pid, reloads + 1);
                match self.procs.get_mut(&pid) {
                    // The process is gone (a tracer reading events after
                    // the fact): what was mapped is still the best answer.
                    Some(old) if maps.ranges.is_empty() => old.reloads = maps.reloads,
                    _ => {
                        self.procs.insert(pid, maps);
                    }
                }
                self.find_range(pid, key_pc)?
            }
        };
        let m = self.modules.get_mut(range.module)?.as_mut()?;
        let info = m.lookup(key_pc.wrapping_sub(range.bias));
        Some(Resolved {
            info,
            bias: range.bias,
            module: range.module,
        })
    }

    fn find_range(&self, pid: i32, pc: u64) -> Option<Range> {
        let p = self.procs.get(&pid)?;
        let i = p.ranges.partition_point(|r| r.start <= pc);
        let r = *p.ranges.get(i.checked_sub(1)?)?;
        (pc < r.end).then_some(r)
    }

    fn read_maps(&mut self, pid: i32, reloads: u32) -> ProcMaps {
        let mut maps = ProcMaps {
            reloads,
            ..ProcMaps::default()
        };
        let Some(lines) = crate::proc::mappings(pid) else {
            return maps;
        };
        for m in lines {
            if !m.exec || !m.path.starts_with('/') {
                continue;
            }
            let key = (m.path, m.inode);
            let idx = match self.by_key.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.modules.len();
                    self.modules.push(Module::open(Path::new(&key.0)).ok());
                    self.by_key.insert(key, i);
                    i
                }
            };
            let Some(module) = self.modules.get(idx).and_then(|m| m.as_ref()) else {
                continue;
            };
            let Some(vaddr) = module.vaddr_of_offset(m.offset) else {
                continue;
            };
            let bias = m.start.wrapping_sub(vaddr);
            if module.go.is_some() && maps.go.is_none() {
                maps.go = Some((idx, bias));
            }
            maps.ranges.push(Range {
                start: m.start,
                end: m.end,
                module: idx,
                bias,
            });
        }
        maps.ranges.sort_by_key(|r| r.start);
        maps
    }
}
