#!/usr/bin/env bash
# `rabbithole size` and `compare` on large real Go binaries (Debian's rclone
# and dockerd, stripped, Go 1.19): best of three wall times and peak RSS,
# next to `readelf -S -W` (section table only) as the floor.
# Usage: benches/size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
rh=${CARGO_TARGET_DIR:-target}/release/rabbithole
best() { for _ in 1 2 3; do /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; done | sort -n | head -1; }
for which in rclone dockerd; do
  bin=$(benches/debian-go-binary.sh "$which")
  size=$(stat -c %s "$bin")
  read -r s kb < <(best "$rh" size --json "$bin")
  read -r h _ < <(best "$rh" size --html /dev/null "$bin")
  read -r r _ < <(best readelf -S -W "$bin")
  printf '%s (%d MB): size %s s (peak RSS %d MB), with --html %s s; readelf -S -W %s s\n' \
    "$which" $((size / 1000000)) "$s" $((kb / 1024)) "$h" "$r"
done
a=$(benches/debian-go-binary.sh rclone)
b=$(benches/debian-go-binary.sh dockerd)
read -r c kb < <(best "$rh" compare --json "$a" "$b")
printf 'compare rclone dockerd: %s s (peak RSS %d MB)\n' "$c" $((kb / 1024))
