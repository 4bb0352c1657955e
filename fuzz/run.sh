#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each on stable
# Rust, without sanitizers, and prints executions and findings per
# target. Exit status 1 when any target found a crash, leak, timeout or
# out-of-memory input (kept under fuzz/artifacts/<target>/).
#
# Needs: a Rust toolchain (stable is enough: `--sanitizer none`), a C++
# compiler for libFuzzer (g++ or clang++), python3 for the seeds, and
# cargo-fuzz (installed with `cargo install cargo-fuzz` when missing).
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s)
# RUNS=N stops a target after N executions when that comes first.
set -euo pipefail
secs=${1:-60}
shift || true
cd "$(dirname "$0")"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
python3 seeds.py
cargo fuzz build --sanitizer none -O

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

# Inputs longer than this reach no new code in the target (binaries are
# seeded whole; instruction bytes, records and registers are short).
max_len() {
    case $1 in
        container_buildinfo | pclntab) echo 4194304 ;;
        macho | dwarf) echo 131072 ;;
        disasm) echo 64 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer holds the corpus in memory and counts it against the RSS
# limit; whole-binary corpora (about 1.3 MB an input) pass 2 GB in
# minutes, so those two targets get more room.
rss_limit() {
    case $1 in
        container_buildinfo | pclntab) echo 8192 ;;
        *) echo 2048 ;;
    esac
}

mkdir -p logs
failed=0
printf '%-20s %12s %10s %9s  %s\n' target execs execs/s findings status
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    status=clean
    cargo fuzz run --sanitizer none -O "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb="$(rss_limit "$t")" -print_final_stats=1 ${RUNS:+-runs=$RUNS} >"logs/$t.log" 2>&1 || status=failed
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log" | tail -1)
    after=$(find "artifacts/$t" -type f | wc -l)
    findings=$((after - before))
    if [ "$findings" -gt 0 ] || [ "$status" = failed ]; then
        status="FAILED (see fuzz/logs/$t.log, fuzz/artifacts/$t/)"
        failed=1
    fi
    printf '%-20s %12s %10s %9s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$findings" "$status"
done
exit "$failed"
