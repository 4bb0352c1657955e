#!/usr/bin/env bash
# Cost of tracing a syscall-heavy Go program, same run: untraced,
# `strace -f`, bpftrace counting (if installed), and
# `rabbithole trace --backend ebpf -f -o /dev/null` without and with -k
# (plus the ptrace backend for reference). Prints best-of-N wall seconds
# and the ratio to the untraced run. Needs root and a release build.
#
#   benches/trace_ebpf.sh [workers] [writes-per-worker] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RH=${RH:-${CARGO_TARGET_DIR:-target}/release/rabbithole}
BIN=tests/fixtures/bin/goroutines-go1.27-linux-amd64
W=${1:-4} N=${2:-50000} RUNS=${3:-5}
[[ -x $RH ]] || { echo "build first: cargo build --release ($RH)" >&2; exit 2; }

best() { # best wall time of RUNS runs of "$@", in seconds
  local b=999999999999 t s e
  for ((i = 0; i < RUNS; i++)); do
    s=$(date +%s%N); "$@" >/dev/null 2>/tmp/trace_ebpf_bench.err || true; e=$(date +%s%N)
    t=$(( (e - s) / 1000 )); (( t < b )) && b=$t
  done
  echo "$b"
}
row() { # name micros base
  awk -v n="$1" -v t="$2" -v b="$3" 'BEGIN { printf "%-44s %9.3f s %8.1fx\n", n, t / 1e6, t / b }'
}

echo "goroutines fixture: $W workers x $N writes, best of $RUNS"
base=$(best "$BIN" "$W" "$N")
row "untraced" "$base" "$base"
if command -v strace >/dev/null; then
  row "strace -f -o /dev/null" "$(best strace -f -o /dev/null "$BIN" "$W" "$N")" "$base"
fi
if command -v bpftrace >/dev/null; then
  row "bpftrace count (raw_syscalls, by comm)" "$(best bpftrace -e \
    'tracepoint:raw_syscalls:sys_enter /comm == "goroutines-go1"/ { @[args.id] = count(); }' \
    -c "$BIN $W $N")" "$base"
  row "bpftrace ustack count" "$(best bpftrace -e \
    'tracepoint:raw_syscalls:sys_enter /comm == "goroutines-go1"/ { @[ustack] = count(); }' \
    -c "$BIN $W $N")" "$base"
else
  echo "bpftrace not installed (apt-get install bpftrace)"
fi
row "rabbithole trace --backend ptrace -f" "$(best "$RH" trace --backend ptrace -f -o /dev/null -- "$BIN" "$W" "$N")" "$base"
row "rabbithole trace --backend ebpf -f" "$(best "$RH" trace --backend ebpf -f -o /dev/null -- "$BIN" "$W" "$N")" "$base"
grep -h "lost" /tmp/trace_ebpf_bench.err || true
row "rabbithole trace --backend ebpf -f -k" "$(best "$RH" trace --backend ebpf -f -k -o /dev/null -- "$BIN" "$W" "$N")" "$base"
grep -h "lost" /tmp/trace_ebpf_bench.err || true
