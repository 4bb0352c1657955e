#!/usr/bin/env bash
# strace 6.1's own test suite as rabbithole's compatibility measure (COMPATIBILITY.md).
#
#   scripts/strace-suite.sh [--backend LIST] [--jobs N] [--lenient] [--control] [--write] [TEST...]
#   scripts/strace-suite.sh --check | --report [--backend LIST] [--lenient]
#
# Fetches Debian's strace source package (a deb-src line for bookworm, `apt-get source`),
# configures it and builds its test programs once, under ~/.cache/rabbithole/strace-suite.
# Then runs each test script of strace's tests/ (the GEN_TESTS and DECODER_TESTS of its
# Makefile) with $STRACE set to real strace (the control) and to `rabbithole trace
# --backend B` for each backend in LIST (default "ptrace ebpf"). The scripts themselves do
# the comparing, exactly as under `make check`: the test program prints on its stdout the
# lines strace must print, and match_diff diffs them against the trace. A test counts
# where the control passes; a test of a flag rabbithole refuses fails as "needs flag X".
#
# The control's results are kept between runs; --control runs it again.
# Prints pass counts per backend and per syscall family; every failure's diff is in
# $cache/logs/BACKEND/TEST.log, the results in $cache/results/BACKEND.tsv.
# --lenient adds, for each backend B, a diagnostic run "B:lenient" in which strace options
# rabbithole's command line spells differently are rewritten and -aN's column is ignored
# (scripts/strace-suite/stand-in.sh): it tells how the decoding fares behind those flags,
# and is never the measure nor in the ratchet.
# --write rewrites the ratchet (tests/strace-suite/passing.txt) with the passing set.
# --check runs only the tests in the ratchet and fails when one of them no longer passes.
# --report prints the summary of the last run again, running nothing.
# The binary measured is target/release/rabbithole (RABBITHOLE=path to override).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
helpers=$repo/scripts/strace-suite
ratchet=$repo/tests/strace-suite/passing.txt
cache=${XDG_CACHE_HOME:-$HOME/.cache}/rabbithole/strace-suite
src=$cache/strace-6.1
backends="ptrace ebpf"
jobs=2
mode=measure
lenient=
control=
tests=()

while [ $# -gt 0 ]; do
  case $1 in
    --backend) backends=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --lenient) lenient=1; shift ;;
    --control) control=1; shift ;;
    --write) mode=write; shift ;;
    --check) mode=check; shift ;;
    --report) mode=report; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "strace-suite: unknown option $1" >&2; exit 2 ;;
    *) tests+=("$1"); shift ;;
  esac
done

bin=${RABBITHOLE:-$repo/target/release/rabbithole}
[ -x "$bin" ] || { echo "strace-suite: no $bin (cargo build --release first)" >&2; exit 2; }
command -v strace >/dev/null && strace -V | grep -q 'version 6\.1$' ||
  { echo "strace-suite: the control must be strace 6.1 (apt-get install strace on Debian 12)" >&2; exit 2; }

# --- the suite, built once -----------------------------------------------------------
fetch_and_build() {
  [ -f "$src/tests/.rabbithole-built" ] && return
  mkdir -p "$cache"
  if ! apt-get source --print-uris strace >/dev/null 2>&1; then
    cat >/etc/apt/sources.list.d/rabbithole-strace-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends dpkg-dev gcc make libc6-dev >/dev/null
  (cd "$cache" && [ -d "$src" ] || apt-get source -qq strace=6.1-0.1)
  # mpers (the 32-bit personalities) would need multilib compilers; x86_64 is measured
  (cd "$src" && [ -f config.status ] ||
    nice -n 19 ./configure -q --enable-mpers=no --disable-dependency-tracking)
  # `make check` with no TESTS builds every test program and runs none
  nice -n 19 make -s -j"$jobs" -C "$src/tests" check TESTS= >"$cache/build.log" 2>&1 ||
    { echo "strace-suite: building strace's tests failed, see $cache/build.log" >&2; exit 2; }
  touch "$src/tests/.rabbithole-built"
}
fetch_and_build

# GEN_TESTS and DECODER_TESTS as the suite's Makefile lists them
all_tests() {
  make -s -C "$src/tests" -f Makefile -f "$helpers/print.mk" print-GEN_TESTS print-DECODER_TESTS |
    tr ' ' '\n' | sed -n 's/\(\.gen\)\{0,1\}\.test$//p'
}

if [ -n "$lenient" ]; then
  for b in $backends; do backends="$backends $b:lenient"; done
fi

if [ "$mode" = check ]; then
  [ ${#tests[@]} -eq 0 ] || { echo "strace-suite: --check takes no test names" >&2; exit 2; }
  backends=$(awk '!/^#/ { print $1 }' "$ratchet" | sort -u | tr '\n' ' ')
elif [ ${#tests[@]} -eq 0 ]; then
  mapfile -t tests < <(all_tests)
fi

# --- running ---------------------------------------------------------------------------
# run_one BACKEND TEST: one line "TEST\tSTATUS\tREASON"; STATUS is pass, fail or skip
# (the script exits 77 when the kernel or environment lacks what it tests).
run_one() {
  local backend=$1 name=$2 script log args rc reason
  script=$name.gen.test
  [ -f "$src/tests/$script" ] || script=$name.test
  log=$cache/logs/$backend/$name.log
  args=$cache/logs/$backend/$name.args
  : >"$args"
  case $backend in
    strace) export STRACE=strace ;;
    *:lenient)
      export STRACE=$helpers/stand-in.sh RH_SUITE_BIN=$bin RH_SUITE_BACKEND=${backend%:lenient} \
        RH_SUITE_ARGLOG=$args RH_SUITE_LENIENT=1 PATH=$helpers/lenient:$PATH
      ;;
    *) export STRACE=$helpers/stand-in.sh RH_SUITE_BIN=$bin RH_SUITE_BACKEND=$backend RH_SUITE_ARGLOG=$args ;;
  esac
  rc=0
  # shellcheck disable=SC2086 # $testenv is a list of VAR=value words
  (cd "$src/tests" && env $testenv timeout -k 5 120 "./$script") >"$log" 2>&1 </dev/null || rc=$?
  rm -rf "$src/tests/$name.dir"
  case $rc in
    0) printf '%s\tpass\t\n' "$name" ;;
    77) printf '%s\tskip\t%s\n' "$name" "$(tail -1 "$log" | tr '\t' ' ')" ;;
    *)
      reason=$(sed -nE -f "$helpers/reason.sed" "$log" | head -1)
      [ "$rc" != 124 ] || reason="timeout"
      [ -n "$reason" ] || reason=$(grep -m1 -E '^[+-][^+-]' "$log" | cut -c1-160 | tr '\t' ' ' || true)
      printf '%s\tfail\t%s\n' "$name" "$reason"
      ;;
  esac
}
export -f run_one
# The variables `make check` sets for each test script (STRACE_ARCH, SIZEOF_LONG, ...),
# without its run.sh, which would ask $STRACE for -V
testenv=$(make -s -C "$src/tests" -f Makefile -f "$helpers/print.mk" print-AM_TEST_LOG_FLAGS |
  sed 's| [^ ]*run\.sh$||')
export src cache bin helpers testenv

# --check keeps its results apart, so that --report still shows the last full run
results=$cache/results
[ "$mode" != check ] || results=$cache/results/check

run_backend() { # BACKEND TESTS...: writes $results/BACKEND.tsv
  local backend=$1; shift
  mkdir -p "$cache/logs/$backend" "$results"
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$0" "$1"' "$backend" {} |
    sort >"$results/$backend.tsv"
}

ratchet_tests() { awk -v b="$1" '$1 == b { print $2 }' "$ratchet"; }

if [ "$mode" = check ]; then
  failed=0
  for b in $backends; do
    mapfile -t mine < <(ratchet_tests "$b")
    run_backend "$b" "${mine[@]}"
    lost=$(awk -F'\t' '$2 != "pass" { print $1 }' "$results/$b.tsv")
    if [ -n "$lost" ]; then
      failed=1
      for t in $lost; do echo "strace-suite: $b: $t no longer passes (diff in $cache/logs/$b/$t.log)"; done
    fi
    echo "strace-suite: $b: $(grep -c $'\tpass\t' "$results/$b.tsv") of ${#mine[@]} ratchet tests pass"
  done
  exit $failed
fi

if [ "$mode" != report ]; then
  # real strace's results depend only on strace and this machine: kept between runs
  # (--control reruns them)
  [ -s "$cache/results/strace.tsv" ] && [ -z "$control" ] || run_backend strace "${tests[@]}"
  for b in $backends; do run_backend "$b" "${tests[@]}"; done
fi

# --- the report --------------------------------------------------------------------------
families=$cache/results/families.txt
printf '%s\n' "${tests[@]}" | awk -f "$helpers/family.awk" \
  <(cat "$src/src/linux/x86_64/syscallent.h" "$src/src/linux/generic/syscallent-common.h") - >"$families"
awk -f "$helpers/report.awk" -v backends="$backends" "$helpers/decoded.txt" "$families" \
  "$cache/results/strace.tsv" $(for b in $backends; do echo "$cache/results/$b.tsv"; done)

if [ "$mode" = write ]; then
  [ ${#tests[@]} -eq "$(all_tests | wc -l)" ] ||
    { echo "strace-suite: --write needs the whole suite (no test names)" >&2; exit 2; }
  {
    echo "# Tests of strace 6.1's suite that pass under each backend (scripts/strace-suite.sh)."
    echo "# --check fails when one of them stops passing; --write regenerates this file."
    for b in $backends; do
      case $b in *:lenient) continue ;; esac
      awk -F'\t' -v b="$b" '$2 == "pass" { print b, $1 }' "$cache/results/$b.tsv"
    done
  } >"$ratchet"
  echo "strace-suite: wrote $ratchet"
fi
