//! What `rabbithole path` found: one system call of a running Go program
//! and every hop from the start function down to the instruction that
//! entered the kernel, with the arguments each call passed. The command
//! fills it; `render` prints it as text, JSON and HTML.

use serde::Serialize;

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct PathReport {
    /// The traced binary as given.
    pub binary: String,
    /// Go version from the binary, when known (`go1.27.3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
    /// GOOS/GOARCH.
    pub target: String,
    /// Thread that made the call.
    pub tid: i32,
    /// Goroutine id that made the call, when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goroutine: Option<u64>,
    /// Which matching call this was (1 = first).
    pub nth: u64,
    /// The system call.
    pub syscall: PathSyscall,
    /// The kernel's view at the call: the syscall ABI registers, decoded.
    pub registers: Vec<RegValue>,
    /// The hops, start function first, the function with the syscall
    /// instruction (or the C code) last.
    pub hops: Vec<PathHop>,
    /// How the command ended (`exited with 0`), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<String>,
    /// Things that limit the report (no DWARF, hops not observed...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The system call itself.
#[derive(Clone, Debug, Serialize)]
pub struct PathSyscall {
    /// Name (`write`).
    pub name: String,
    /// Number in the architecture's table.
    pub nr: u64,
    /// Decoded arguments as strace prints them (`1`, `"hello syscall\n"`, `14`).
    pub args: Vec<String>,
    /// The raw argument registers.
    pub raw_args: Vec<u64>,
    /// Result as strace prints it (`14`, `-1 EBADF (Bad file descriptor)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ret: Option<String>,
    /// Raw return register.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ret_raw: Option<i64>,
    /// The whole call, strace style: `write(1, "hello syscall\n", 14) = 14`.
    pub text: String,
    /// The instruction that entered the kernel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<CallInstruction>,
}

/// A register and its value.
#[derive(Clone, Debug, Serialize)]
pub struct RegValue {
    /// Register name (`RAX`, `rdi`).
    pub name: String,
    /// Value.
    pub value: u64,
    /// What it holds under the ABI in force (`nr`, `arg0`, `fd=1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// An instruction, at its address, in both syntaxes.
#[derive(Clone, Debug, Serialize)]
pub struct CallInstruction {
    /// Address (link-time; the same as the runtime address unless PIE).
    pub pc: u64,
    /// Go (Plan 9) syntax, as `go tool objdump` prints it.
    pub go: String,
    /// GNU (AT&T) syntax, as binutils `objdump -d` prints it.
    pub gnu: String,
}

/// One hop of the chain.
#[derive(Clone, Debug, Serialize)]
pub struct PathHop {
    /// Go function name (or C symbol for the C side of cgo).
    pub function: String,
    /// File of the position this hop makes the next one from.
    pub file: String,
    /// Line there.
    pub line: u32,
    /// How this hop was reached: `start`, `call`, `tail-jump`, `wrapper`
    /// (called by an ABI wrapper), `inlined`, `indirect-call`, `cgo`.
    pub via: String,
    /// Calling convention of this function: `ABIInternal`, `ABI0`,
    /// `wrapper`, `C`.
    pub abi: String,
    /// Written in assembly.
    pub asm: bool,
    /// Set when the file is generated (`zsyscall_linux.go`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// The instruction that makes the next hop (none for inlined frames
    /// whose call was inlined too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<CallInstruction>,
    /// Whether the tracer saw this call being made on the goroutine that
    /// made the syscall (a breakpoint hit, still on the stack).
    pub observed: bool,
    /// The callee's ABI the arguments are laid out in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_abi: Option<String>,
    /// Arguments passed by `call`, as the callee's ABI places them.
    pub args: Vec<ArgValue>,
    /// Every general register at the call (for the HTML view).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<RegValue>,
    /// Calls this function makes that are not on the way down but belong to
    /// the syscall (`runtime.entersyscall`, `runtime.exitsyscall`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub side_calls: Vec<SideCall>,
    /// A few instructions around the call, Go syntax (for the HTML view).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disassembly: Vec<String>,
    /// Free-form remark on this hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `--explain`: the rabbit holes that open at this hop.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explain: Vec<Explanation>,
}

/// One argument value at a call.
#[derive(Clone, Debug, Serialize)]
pub struct ArgValue {
    /// Name from DWARF (`fd`, `p.ptr`), or the slot when unnamed (`arg0`).
    pub name: String,
    /// Where the ABI puts it: `RAX`, `0(SP)`.
    pub location: String,
    /// The value.
    pub value: u64,
    /// Bytes a pointer+length pair points at, quoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
}

/// A bookkeeping call made around the syscall.
#[derive(Clone, Debug, Serialize)]
pub struct SideCall {
    /// Callee.
    pub function: String,
    /// Address of the call.
    pub pc: u64,
    /// Line of the call.
    pub line: u32,
    /// `before the syscall` / `after the syscall`.
    pub when: String,
    /// Whether the tracer saw the call made.
    pub observed: bool,
}

/// One `--explain` paragraph.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Short topic (`ABI switch`).
    pub topic: String,
    /// One or two plain sentences.
    pub text: String,
    /// Where to read more.
    pub link: String,
}
