#!/usr/bin/env bash
# `rabbithole path` (release build) against gdb doing the same job on each
# runnable linux/amd64 fixture: stop at the first write of the main
# goroutine, print the backtrace and the registers of every frame.
# Prints wall seconds and max RSS of each, best of 3.
#
#   benches/path_vs_gdb.sh [fixture args...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rh=$here/target/release/rabbithole
bin=$here/tests/fixtures/bin
best() { # best CMD... -> "seconds rss_kb" of the fastest of 3 runs
  local b="" t
  t=$(mktemp)
  for _ in 1 2 3; do
    local r
    /usr/bin/time -o "$t" -f '%e %M' "$@" >/dev/null 2>&1 || true
    r=$(tail -1 "$t")
    if [[ -z $b ]] || awk -v a="${r% *}" -v c="${b% *}" 'BEGIN { exit !(a < c) }'; then b=$r; fi
  done
  rm -f "$t"
  echo "$b"
}
printf '%-44s %-8s %-14s %-14s\n' fixture args path gdb
run() {
  local f=$1
  shift
  local p g
  p=$(best "$rh" path -o /dev/null -- "$bin/$f" "$@")
  g=$(best gdb -q -nx -batch -ex 'catch syscall write' -ex run -ex bt \
    -ex 'frame apply all -q info registers' --args "$bin/$f" "$@")
  printf '%-44s %-8s %-14s %-14s\n' "$f" "${*:-}" "${p% *}s ${p#* }KB" "${g% *}s ${g#* }KB"
}
for f in syscall_minimal-go1.19-linux-amd64 syscall_minimal-go1.27-linux-amd64 \
  syscall_minimal-go1.27-linux-amd64-stripped syscall_minimal-go1.27-linux-amd64-pie \
  syscall_write-go1.27-linux-amd64 cgo_hello-go1.27-linux-amd64; do
  run "$f"
done
for m in fmt writefile dial iface json; do
  run calls-go1.27-linux-amd64 "$m"
done
run calls-go1.19-linux-amd64 fmt
run calls-go1.27-linux-amd64-pie json
run goroutines-go1.27-linux-amd64 4 8
