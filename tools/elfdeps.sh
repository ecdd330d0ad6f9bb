#!/usr/bin/env bash
# tools/elfdeps.sh HOST: the files a dynamically linked program needs to run, one
# absolute host path a line: its ELF interpreter (PT_INTERP), then the libraries the
# host's loader resolves for it (`INTERP --list HOST`, what ldd prints; glibc's and
# musl's loaders both have --list). Prints nothing for a static program or a file that
# is not ELF. Exit status 1, with the reason on stderr, if a library is not found.
# Used by tools/vrun (--file) and tools/manifest.sh (Debian's gdbserver in the image).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: tools/elfdeps.sh HOST" >&2
  exit 2
fi
host=$1
# (readelf fails on a file that is not ELF: that is no error here)
interp=$({ LC_ALL=C readelf -lW -- "$host" 2>/dev/null || true; } |
  sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
[ -n "$interp" ] || exit 0
if ! out=$("$interp" --list "$host" 2>&1); then
  echo "elfdeps: $host: '$interp --list' failed: $out" >&2
  exit 1
fi
if grep -q 'not found' <<<"$out"; then
  echo "elfdeps: $host: the host's loader cannot resolve every library:" \
    "$(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')" >&2
  exit 1
fi
# (each path once: the loader lists itself too)
awk -v interp="$interp" 'BEGIN { print interp; seen[interp] = 1 }
  { for (i = 1; i <= NF; i++) if ($i ~ /^\// && !seen[$i]++) print $i }' <<<"$out"
