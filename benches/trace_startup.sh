#!/usr/bin/env bash
# Start-up cost of tracing a short command, side by side with strace:
# best-of-N wall time and peak RSS (of the tracer and everything it ran)
# of `/bin/true` untraced, under `strace -f`, and under
# `rabbithole trace -f -o /dev/null` with each backend. Tracing short
# commands in a loop is common; this is what each one costs. Needs root
# (eBPF) and a release build.
#
#   benches/trace_startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RH=${RH:-${CARGO_TARGET_DIR:-target}/release/rabbithole}
RUNS=${1:-20}
[[ -x $RH ]] || { echo "build first: cargo build --release ($RH)" >&2; exit 2; }

best_ms() { # best wall milliseconds of RUNS runs of "$@"
  local b=999999999999 t s e
  for ((i = 0; i < RUNS; i++)); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 </dev/null; e=$(date +%s%N)
    t=$(( (e - s) / 1000 )); (( t < b )) && b=$t
  done
  awk -v t="$b" 'BEGIN { printf "%.1f", t / 1000 }'
}
peak_mb() { # largest peak RSS (MB) of one process in a run of "$@"
  /usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -1 |
    awk '{ printf "%.1f", $1 / 1024 }'
}
row() { printf "%-48s %8s ms %8s MB\n" "$1" "$2" "$3"; }

echo "/bin/true, best of $RUNS runs"
row "untraced" "$(best_ms /bin/true)" "$(peak_mb /bin/true)"
row "strace -f -o /dev/null" "$(best_ms strace -f -o /dev/null /bin/true)" \
  "$(peak_mb strace -f -o /dev/null /bin/true)"
for be in ptrace ebpf; do
  row "rabbithole trace --backend $be -f -o /dev/null" \
    "$(best_ms "$RH" trace --backend "$be" -f -o /dev/null -- /bin/true)" \
    "$(peak_mb "$RH" trace --backend "$be" -f -o /dev/null -- /bin/true)"
done
