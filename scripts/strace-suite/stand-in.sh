#!/bin/sh
# Stands in for strace inside strace's own test scripts: they call "$STRACE ARGS -- PROG",
# and this runs the same command line under rabbithole with the backend being measured.
# Each invocation's arguments go to $RH_SUITE_ARGLOG, so a failing test can be traced back
# to the strace option rabbithole refused.
[ -z "${RH_SUITE_ARGLOG-}" ] || printf '%s\n' "$*" >>"$RH_SUITE_ARGLOG"
exec "$RH_SUITE_BIN" trace --backend "$RH_SUITE_BACKEND" "$@"
