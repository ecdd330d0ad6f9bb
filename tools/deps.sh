#!/usr/bin/env bash
# tools/deps.sh: make sure the host has what the build and the tests need.
# `make` runs it once (the stamp build/deps.ok), again when this file changes, and on
# `make deps`; every compiler the build runs waits for it.
# Missing packages are installed with apt-get when running as root (log in
# build/apt.log); otherwise the apt-get line to run is printed and the exit status is 1.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

have() { command -v "$1" >/dev/null 2>&1; }

# The initramfs ships the host's /bin/busybox, so it must not need a dynamic loader
# (Debian's plain "busybox" package is dynamically linked; "busybox-static" is not).
static_busybox() {
  [ -x /bin/busybox ] || return 1
  have readelf || return 0 # cannot tell; the ELF host test will complain if it is wrong
  ! LC_ALL=C readelf -lW /bin/busybox 2>/dev/null | grep -q 'INTERP'
}

missing_packages() {
  have qemu-system-x86_64 || echo qemu-system-x86
  have musl-gcc || echo musl-tools
  static_busybox || echo busybox-static
  have cpio || echo cpio
  have gdb || echo gdb
  [ -x /usr/bin/gdbserver ] || echo gdbserver # the image carries it (tools/manifest.sh)
  have python3 || echo python3 # tests/dynamic.sh runs Debian's python3 in the guest
  have dpkg-source || echo dpkg-dev # apt-get source (tools/debian-src.sh) unpacks with it
}

missing=$(missing_packages | tr '\n' ' ')
missing=${missing% }
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing host packages. Install them with:" >&2
  echo "  sudo apt-get install -y $missing" >&2
  exit 1
fi

mkdir -p "$repo/build"
log=$repo/build/apt.log
echo "deps.sh: installing $missing (log in build/apt.log)" >&2
# $missing is a space-separated list of package names: split it on purpose.
# shellcheck disable=SC2086
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; } \
  >"$log" 2>&1; then
  echo "deps.sh: apt-get failed; see $log" >&2
  exit 1
fi
still=$(missing_packages | tr '\n' ' ')
if [ -n "$still" ]; then
  echo "deps.sh: still missing after apt-get: $still(see $log)" >&2
  exit 1
fi
