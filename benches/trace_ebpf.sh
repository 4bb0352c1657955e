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
  # bpftrace's tracepoints need tracefs.
  [[ -e /sys/kernel/tracing/events ]] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
  row "bpftrace startup alone (BEGIN { exit() })" "$(best bpftrace -e 'BEGIN { exit(); }')" "$base"
  row "bpftrace count by syscall" "$(best bpftrace -e \
    'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @[args->id] = count(); }' \
    -c "$BIN $W $N")" "$base"
  row "bpftrace count by user stack" "$(best bpftrace -e \
    'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @[ustack] = count(); }' \
    -c "$BIN $W $N")" "$base"
else
  echo "bpftrace not installed (apt-get install bpftrace)"
fi
row "rabbithole trace --backend ptrace -f" "$(best "$RH" trace --backend ptrace -f -o /dev/null -- "$BIN" "$W" "$N")" "$base"
row "rabbithole trace --backend ebpf -e trace=openat" "$(best "$RH" trace --backend ebpf -f -e trace=openat -o /dev/null -- "$BIN" "$W" "$N")" "$base"
row "rabbithole trace --backend ebpf -f" "$(best "$RH" trace --backend ebpf -f -o /dev/null -- "$BIN" "$W" "$N")" "$base"
grep -h "lost" /tmp/trace_ebpf_bench.err || true
row "rabbithole trace --backend ebpf -f -k" "$(best "$RH" trace --backend ebpf -f -k -o /dev/null -- "$BIN" "$W" "$N")" "$base"
grep -h "lost" /tmp/trace_ebpf_bench.err || true
