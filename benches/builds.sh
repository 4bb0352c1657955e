#!/usr/bin/env bash
# Two builds of rabbithole side by side on the static commands, same run:
# best-of-N wall seconds and peak RSS of each, and the ratio new/old. For
# checking that a refactoring costs nothing.
#
#   benches/builds.sh OLD_BINARY NEW_BINARY [runs]
#
# Inputs: the largest committed fixture and Debian's rclone and dockerd
# (benches/debian-go-binary.sh fetches them).
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?old rabbithole binary}
new=${2:?new rabbithole binary}
runs=${3:-3}
fixture=tests/fixtures/bin/files_net-go1.27-linux-amd64
rclone=$(benches/debian-go-binary.sh rclone)
dockerd=$(benches/debian-go-binary.sh dockerd)

best() { # prints "seconds maxrss_kb", best wall of $runs runs
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
  done | sort -n | head -1
}
row() { # name args...
  local name=$1; shift
  read -r to ko < <(best "$old" "$@")
  read -r tn kn < <(best "$new" "$@")
  awk -v n="$name" -v to="$to" -v tn="$tn" -v ko="$ko" -v kn="$kn" 'BEGIN {
    r = (to > 0) ? tn / to : 1
    printf "%-34s old %6.2f s %5d MB   new %6.2f s %5d MB   new/old %.2f\n", n, to, ko / 1024, tn, kn / 1024, r }'
}
[[ ${ONLY_TRACE:-} ]] || {
row "inspect --json rclone" inspect --json "$rclone"
row "inspect --json dockerd" inspect --json "$dockerd"
row "funcs dockerd" funcs "$dockerd"
row "addr2line (funcs' entries) rclone" addr2line "$rclone" 0x401000 0x402000 0x500000 0x600000
row "disasm files_net" disasm "$fixture"
row "disasm rclone" disasm "$rclone"
row "syscalls rclone" syscalls "$rclone"
row "syscalls dockerd" syscalls "$dockerd"
row "size rclone" size --json "$rclone"
row "size dockerd" size --json "$dockerd"
row "compare rclone dockerd" compare --json "$rclone" "$dockerd"
}

# Live tracing (needs root; the eBPF rows need BPF): the goroutines fixture,
# 4 goroutines x 50,000 writes to /dev/null, as benches/trace_ebpf.sh.
[[ $(id -u) == 0 ]] || exit 0
g=tests/fixtures/bin/goroutines-go1.27-linux-amd64
read -r base _ < <(best "$g" 4 50000)
echo "untraced goroutines 4 50000: $base s"
row "trace --backend ptrace -f" trace --backend ptrace -f -o /dev/null -- "$g" 4 50000
row "trace --backend ptrace -f -k (4x5000)" trace --backend ptrace -f -k -o /dev/null -- "$g" 4 5000
row "trace --backend ebpf -f" trace --backend ebpf -f -o /dev/null -- "$g" 4 50000
row "trace --backend ebpf -f -k" trace --backend ebpf -f -k -o /dev/null -- "$g" 4 50000
row "trace --backend ebpf -- /bin/true" trace --backend ebpf -o /dev/null -- /bin/true
row "path syscall_minimal" path -- tests/fixtures/bin/syscall_minimal-go1.27-linux-amd64
