#!/bin/sh
# Cost of Go stacks on every syscall: `rabbithole trace --backend ptrace -f -k` against
# strace with and without its own -k, in one run, on the syscall-heavy
# goroutines fixture (4 goroutines x 5,000 writes to /dev/null by default).
# Each figure is the best of $RUNS runs (wall clock).
#
# Targets (issue 7): `rabbithole trace -f -k` within 1.3x of `strace -f`
# (no stacks), and at least 15x faster than `strace -f -k`.
#
# Usage: benches/trace_stacks.sh [WORKERS] [WRITES_PER_WORKER]
# Env:   RABBITHOLE=path/to/rabbithole (default: target/release/rabbithole)
#        RUNS=3
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
rh=${RABBITHOLE:-$root/target/release/rabbithole}
fixture=$root/tests/fixtures/bin/goroutines-go1.27-linux-amd64
workers=${1:-4}
writes=${2:-5000}
runs=${RUNS:-3}
[ -x "$rh" ] || { echo "build first: cargo build --release (or set RABBITHOLE)" >&2; exit 2; }
command -v strace >/dev/null || { echo "strace not installed" >&2; exit 2; }
strace -k -e trace=none true >/dev/null 2>&1 || echo "note: this strace may lack -k support" >&2

. "$root/benches/lib.sh"

prog="$fixture $workers $writes"
echo "workload: $prog ($(( workers * writes )) writes), best of $runs"
echo "strace: $(strace -V | head -1)"
base=$(best_of $prog)
st=$(best_of strace -f -o /dev/null $prog)
stk=$(best_of strace -f -k -o /dev/null $prog)
rt=$(best_of "$rh" trace --backend ptrace -f -o /dev/null -- $prog)
rtk=$(best_of "$rh" trace --backend ptrace -f -k -o /dev/null -- $prog)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-40s %9s %12s %12s %14s\n' "command" "seconds" "x untraced" "x strace -f" "strace -k / it"
printf '%-40s %9s %12s %12s %14s\n' "untraced" "$base" "1.00" "-" "-"
printf '%-40s %9s %12s %12s %14s\n' "strace -f -o /dev/null" "$st" "$(ratio "$st" "$base")" "1.00" "-"
printf '%-40s %9s %12s %12s %14s\n' "strace -f -k -o /dev/null" "$stk" "$(ratio "$stk" "$base")" "$(ratio "$stk" "$st")" "1.00"
printf '%-40s %9s %12s %12s %14s\n' "rabbithole trace --backend ptrace -f" "$rt" "$(ratio "$rt" "$base")" "$(ratio "$rt" "$st")" "-"
printf '%-40s %9s %12s %12s %14s\n' "rabbithole trace --backend ptrace -f -k" "$rtk" "$(ratio "$rtk" "$base")" "$(ratio "$rtk" "$st")" "$(ratio "$stk" "$rtk")"
echo "targets: rabbithole -f -k / strace -f <= 1.30; strace -f -k / rabbithole -f -k >= 15"
