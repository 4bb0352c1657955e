#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12 with Rust >= 1.85:
# installs the Debian packages the tests run (when missing), checks
# formatting and lints, runs every test, and ends with one line that totals
# every test binary's result. `.ci/run` calls exactly this.
#
#   ./test.sh            everything
#   ./test.sh --no-lint  tests only (skip cargo fmt --check and clippy)
set -euo pipefail
cd "$(dirname "$0")"

# What the tests run beside rabbithole, one package each:
#   strace     the tracer tests compare line by line with a live strace
#   gcc        and libc6-dev: small C programs (thread storms, signals, vfork)
#   procps     kill and ps for the lifecycle tests
#   chromium   the HTML reports (path, size) are loaded in a headless browser
#   git        the build records its commit for --version, checked by a test
#   dpkg-dev   and binutils: scripts/deb.sh builds the Debian package a test installs
#   man-db     and groff-base: the man pages are rendered as man(1) would
#   zsh, fish  the generated completions are parsed by each shell
packages=(strace gcc libc6-dev procps chromium git dpkg-dev binutils man-db groff-base zsh fish)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

if [[ ${1:-} != --no-lint ]]; then
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets -- -D warnings
fi

# cargo stops at the first failing test binary unless told otherwise, and
# its own last line is the last crate's doc tests: total them all.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
