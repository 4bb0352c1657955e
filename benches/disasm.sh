#!/bin/sh
# Whole-binary disassembly speed: `rabbithole disasm --syntax go` against
# `go tool objdump` on the same unstripped binary, in one run.
#
#   benches/disasm.sh BIN...
#
# Needs a release build (cargo build --release), GNU time, and `go` on PATH
# (or GO=/path/to/go). For a stripped BIN `go tool objdump` refuses the
# file; only our figure is printed. Prints wall and user CPU seconds, peak
# RSS, lines; on a busy machine compare the user CPU figures.
set -eu
RH=${RH:-target/release/rabbithole}
GO=${GO:-go}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

measure() { # label, command...
	label=$1
	shift
	/usr/bin/time -f "%e %U %M" -o "$TMP/t" "$@" >"$TMP/out" 2>/dev/null || true
	read -r secs user kb <"$TMP/t"
	printf '%-32s %7.2f s wall %7.2f s user %8d KB RSS %9d lines\n' "$label" "$secs" "$user" "$kb" "$(wc -l <"$TMP/out")"
	echo "$secs $user" >"$TMP/last"
}

for BIN in "$@"; do
	echo "== $BIN ($(du -m "$BIN" | cut -f1) MB)"
	measure "rabbithole disasm --syntax go" "$RH" disasm "$BIN"
	ours=$(cat "$TMP/last")
	measure "go tool objdump" "$GO" tool objdump "$BIN"
	theirs=$(cat "$TMP/last")
	if [ "$(wc -l <"$TMP/out")" -gt 0 ]; then
		echo "$ours $theirs" | awk '{ if ($1 > 0 && $2 > 0)
			printf "speedup: %.1fx wall, %.1fx user CPU\n", $3 / $1, $4 / $2 }'
	else
		echo "go tool objdump refused the file (stripped?)"
	fi
done
