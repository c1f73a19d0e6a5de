#!/usr/bin/env bash
# Installs Debian's linux-source-6.1 and coccinelle if missing, and unpacks the kernel
# tree into a cache directory outside the repository (never committed).
# Usage: bench/audit/setup.sh   (prints the path of the unpacked tree on its last line)
set -euo pipefail
CACHE=${PKSIM_LINUX_CACHE:-/var/tmp/pksim-linux}
need=()
ls /usr/src/linux-source-6.1.tar.* >/dev/null 2>&1 || need+=(linux-source-6.1)
command -v spatch >/dev/null 2>&1 || need+=(coccinelle)
if ((${#need[@]})); then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi
tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n1)
if [ ! -f "$CACHE/.unpacked" ]; then
  echo "unpacking $tarball into $CACHE" >&2
  rm -rf "$CACHE"; mkdir -p "$CACHE"
  tar -xaf "$tarball" -C "$CACHE"
  touch "$CACHE/.unpacked"
fi
tree=$(find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
echo "$tree"
