#!/usr/bin/env bash
# Fetches a large real Go binary from Debian (stripped, built by Go 1.19) for
# the benchmarks, and prints its path. Usage: benches/debian-go-binary.sh [rclone|dockerd]
set -euo pipefail
which=${1:-rclone}
cache=${RABBITHOLE_CACHE:-$HOME/.cache/rabbithole}/debian
mkdir -p "$cache"
case $which in
  rclone) pkg=rclone path=usr/bin/rclone ;;
  dockerd) pkg=docker.io path=usr/sbin/dockerd ;;
  *) echo "unknown binary $which" >&2; exit 2 ;;
esac
if [[ ! -x $cache/$pkg/$path ]]; then
  (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get download -q "$pkg" >/dev/null; })
  dpkg -x "$cache/${pkg}"_*.deb "$cache/$pkg"
fi
echo "$cache/$pkg/$path"
