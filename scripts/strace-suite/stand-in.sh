#!/bin/sh
# Stands in for strace inside strace's own test scripts: they call "$STRACE ARGS -- PROG",
# and this runs the same command line under rabbithole with the backend being measured.
# Each invocation's arguments go to $RH_SUITE_ARGLOG, so a failing test can be traced back
# to the strace option rabbithole refused.
#
# With RH_SUITE_LENIENT=1 (a diagnostic, never the measure): the spellings rabbithole's
# command line does not take are rewritten into ones it does (`-s12` as `-s 12`, `-eX=Y`
# as `-e X=Y`, `-eNAME` and `--trace=NAME` as `-e trace=NAME`) and `-aN` is dropped, so
# that the decoding behind those tests is compared at all (lenient/diff then ignores the
# column padding that -a would have set).
[ -z "${RH_SUITE_ARGLOG-}" ] || printf '%s\n' "$*" >>"$RH_SUITE_ARGLOG"
if [ -n "${RH_SUITE_LENIENT-}" ]; then
  n=$#
  while [ "$n" -gt 0 ]; do
    a=$1
    shift
    n=$((n - 1))
    case $a in
      -a) shift; n=$((n - 1)) ;;
      -a[0-9]*) ;;
      -s[0-9]*) set -- "$@" -s "${a#-s}" ;;
      -e*=*) set -- "$@" -e "${a#-e}" ;;
      -e?*) set -- "$@" -e "trace=${a#-e}" ;;
      --trace=*) set -- "$@" -e "trace=${a#--trace=}" ;;
      -[eospPXEuSIbO]) set -- "$@" "$a" "$1"; shift; n=$((n - 1)) ;;
      -*) set -- "$@" "$a" ;;
      *)
        # the command: the rest is its own
        set -- "$@" "$a"
        while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done
        ;;
    esac
  done
fi
exec "$RH_SUITE_BIN" trace --backend "$RH_SUITE_BACKEND" "$@"
