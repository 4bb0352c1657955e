#!/usr/bin/env bash
# Whole-binary static analysis (`rabbithole syscalls`) on large real Go
# binaries: wall time and peak RSS. Usage: benches/syscalls.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
rh=${CARGO_TARGET_DIR:-target}/release/rabbithole
for which in rclone dockerd; do
  bin=$(benches/debian-go-binary.sh "$which")
  size=$(stat -c %s "$bin")
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" "$rh" syscalls "$bin" 2>&1 >/dev/null | tail -1
  done | sort -n | head -1 | while read -r secs kb; do
    printf '%s (%d MB): syscalls %s s, peak RSS %d MB\n' "$which" $((size / 1000000)) "$secs" $((kb / 1024))
  done
done
