#!/bin/sh
# Compares `rabbithole trace` with strace on a syscall-heavy Go program, in
# one run: 4 goroutines x 50,000 writes to /dev/null (200,000 write calls),
# untraced, under `strace -f -o /dev/null`, under `rabbithole trace -f -o
# /dev/null`, and both again with `-e trace=openat` (strace with
# --seccomp-bpf, rabbithole's default) where the writes should not stop.
# Each figure is the best of $RUNS runs (wall clock). rabbithole runs on
# its ptrace engine (--backend ptrace), the one compared with strace.
#
# Usage: benches/trace_vs_strace.sh [WORKERS] [WRITES_PER_WORKER]
# Env:   RABBITHOLE=path/to/rabbithole (default: target/release/rabbithole)
#        RUNS=3
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rh=${RABBITHOLE:-$root/target/release/rabbithole}
fixture=$root/tests/fixtures/bin/goroutines-go1.27-linux-amd64
workers=${1:-4}
writes=${2:-50000}
runs=${RUNS:-3}
[ -x "$rh" ] || { echo "build first: cargo build --release (or set RABBITHOLE)" >&2; exit 2; }
command -v strace >/dev/null || { echo "strace not installed" >&2; exit 2; }

. "$root/benches/lib.sh"

prog="$fixture $workers $writes"
echo "workload: $prog ($(( workers * writes )) writes), best of $runs"
echo "strace: $(strace -V | head -1)"
base=$(best_of $prog)
st=$(best_of strace -f -o /dev/null $prog)
rt=$(best_of "$rh" trace --backend ptrace -f -o /dev/null -- $prog)
st_f=$(best_of strace -f --seccomp-bpf -e trace=openat -o /dev/null $prog)
rt_f=$(best_of "$rh" trace --backend ptrace -f -e trace=openat -o /dev/null -- $prog)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-48s %9s %12s %12s\n' "command" "seconds" "x untraced" "x strace -f"
printf '%-48s %9s %12s %12s\n' "untraced" "$base" "1.00" "-"
printf '%-48s %9s %12s %12s\n' "strace -f -o /dev/null" "$st" "$(ratio "$st" "$base")" "1.00"
printf '%-48s %9s %12s %12s\n' "rabbithole trace -f -o /dev/null" "$rt" "$(ratio "$rt" "$base")" "$(ratio "$rt" "$st")"
printf '%-48s %9s %12s %12s\n' "strace -f --seccomp-bpf -e trace=openat" "$st_f" "$(ratio "$st_f" "$base")" "-"
printf '%-48s %9s %12s %12s\n' "rabbithole trace -f -e trace=openat" "$rt_f" "$(ratio "$rt_f" "$base")" "-"
echo "targets: rabbithole -f <= strace -f (ratio <= 1.00); -e trace=openat within 2x of untraced"
