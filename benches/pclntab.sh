#!/bin/sh
# Speed and memory of `rabbithole funcs` / `rabbithole addr2line` against
# `go tool nm` / `go tool addr2line`, on the same binaries, in one run.
#
#   benches/pclntab.sh BIN [UNSTRIPPED_BIN]
#
# BIN: any Go binary (a ~50 MB stripped Debian one: apt-get download rclone,
# dpkg -x). UNSTRIPPED_BIN: one the Go tools can read (they refuse stripped
# files); defaults to BIN. Needs a release build (cargo build --release),
# GNU time, and `go` on PATH (or GO=/path/to/go). Prints wall seconds and
# peak RSS; addr2line rates are lookups per second after load (total time
# minus the time to load and answer one address). On a busy machine
# compare the user CPU seconds.
set -eu
BIN=$1
UNSTRIPPED=${2:-$1}
RH=${RH:-target/release/rabbithole}
GO=${GO:-go}
N=${N:-1000000}
NGO=${NGO:-100000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

measure() { # label, command...
	label=$1
	shift
	/usr/bin/time -f "%e %U %M" -o "$TMP/t" "$@" >"$TMP/out" 2>/dev/null || true
	read -r secs user kb <"$TMP/t"
	printf '%-46s %7.2f s wall %7.2f s user %7d KB RSS %8d lines\n' "$label" "$secs" "$user" "$kb" "$(wc -l <"$TMP/out")"
	echo "$secs" >"$TMP/last"
	echo "$user" >"$TMP/lastuser"
}

# N addresses spread over every function of a binary (entry, middle).
addresses() { # bin, count, file
	"$RH" funcs "$1" | awk -v n="$2" '
		function hex(h,  v, i) { v = 0; for (i = 1; i <= length(h); i++)
			v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
		{ e[NR] = hex($1); s[NR] = $2 }
		END { for (i = 0; i < n; i++) { k = (i * 7919) % NR + 1
			printf "%x\n", e[k] + (i % 2) * int(s[k] / 2) } }' >"$3"
}

size=$(stat -c %s "$BIN")
echo "binary: $BIN ($((size / 1048576)) MB); unstripped: $UNSTRIPPED ($(($(stat -c %s "$UNSTRIPPED") / 1048576)) MB)"
measure "rabbithole funcs BIN" "$RH" funcs "$BIN"
measure "rabbithole funcs UNSTRIPPED" "$RH" funcs "$UNSTRIPPED"
measure "go tool nm -n -size UNSTRIPPED" "$GO" tool nm -n -size "$UNSTRIPPED"

addresses "$BIN" "$N" "$TMP/addrs"
head -1 "$TMP/addrs" >"$TMP/one"
measure "rabbithole addr2line BIN (1 addr)" sh -c "$RH addr2line $BIN <$TMP/one"
load=$(cat "$TMP/last")
loaduser=$(cat "$TMP/lastuser")
measure "rabbithole addr2line BIN ($N addrs)" sh -c "$RH addr2line $BIN <$TMP/addrs"
total=$(cat "$TMP/last")
totaluser=$(cat "$TMP/lastuser")
awk -v n="$N" -v t="$total" -v l="$load" -v tu="$totaluser" -v lu="$loaduser" 'BEGIN {
	printf "  => %.0f lookups/s after load (wall)", n / (t - l)
	if (tu > lu) printf ", %.0f lookups/s of user CPU", n / (tu - lu)
	printf " (with output formatting)\n" }'
echo "  (lookups alone: cargo bench -p gobin --bench lookup -- BIN)"

addresses "$UNSTRIPPED" "$NGO" "$TMP/gaddrs"
head -1 "$TMP/gaddrs" >"$TMP/gone"
measure "rabbithole addr2line UNSTRIPPED (1 addr)" sh -c "$RH addr2line $UNSTRIPPED <$TMP/gone"
rl=$(cat "$TMP/last")
measure "rabbithole addr2line UNSTRIPPED ($NGO addrs)" sh -c "$RH addr2line $UNSTRIPPED <$TMP/gaddrs"
rt=$(cat "$TMP/last")
measure "go tool addr2line UNSTRIPPED (1 addr)" sh -c "$GO tool addr2line $UNSTRIPPED <$TMP/gone"
gl=$(cat "$TMP/last")
measure "go tool addr2line UNSTRIPPED ($NGO addrs)" sh -c "$GO tool addr2line $UNSTRIPPED <$TMP/gaddrs"
gt=$(cat "$TMP/last")
awk -v n="$NGO" -v rt="$rt" -v rl="$rl" -v gt="$gt" -v gl="$gl" 'BEGIN {
	r = n / (rt - rl); g = n / (gt - gl)
	printf "  => rabbithole %.0f lookups/s, go tool addr2line %.0f lookups/s (%.1fx)\n", r, g, r / g }'
