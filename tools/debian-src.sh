#!/usr/bin/env bash
# tools/debian-src.sh PACKAGE DIR: unpack Debian's source package PACKAGE (the version
# the machine's apt sources offer) into DIR, once: a DIR that already holds an unpacked
# PACKAGE-VERSION/ tree (one with debian/) is kept as it is.
#
# apt-get source needs a deb-src entry. If none is configured, one is derived from the
# machine's own deb entries (the same mirrors, suites and components; nothing in this
# tree names a mirror) and written to /etc/apt/sources.list.d/vitrine-deb-src.sources,
# which needs root. Prints the directory of the unpacked tree (DIR/PACKAGE-VERSION).
set -euo pipefail
pkg=${1:?usage: tools/debian-src.sh PACKAGE DIR}
dir=${2:?usage: tools/debian-src.sh PACKAGE DIR}
found() { find "$dir" -mindepth 2 -maxdepth 2 -path "$dir/$pkg-*/debian" -type d 2>/dev/null | head -n 1; }
if [ -n "$(found)" ]; then
  dirname "$(found)"
  exit 0
fi
extra=/etc/apt/sources.list.d/vitrine-deb-src.sources
if ! apt-cache showsrc "$pkg" >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "debian-src: no deb-src entry for apt, and adding one needs root" >&2
    exit 1
  fi
  {
    # deb822 files: each stanza of Types: deb, as Types: deb-src.
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -e "$f" ] && [ "$f" != "$extra" ] || continue
      awk 'BEGIN { RS = ""; ORS = "\n\n" }
           /(^|\n)Types:[^\n]*deb([ \t\n]|$)/ && !/(^|\n)Enabled: *no/ {
             sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f"
    done
    # one-line files: each "deb ..." line, as a one-entry stanza.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -e "$f" ] || continue
      awk '$1 == "deb" {
             i = 2; opts = ""
             if ($2 ~ /^\[/) { while ($i !~ /\]$/) opts = opts " " $(i++); opts = opts " " $(i++) }
             printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
             for (j = i + 2; j <= NF; j++) printf " %s", $j
             if (opts ~ /signed-by=/) { s = opts; sub(/.*signed-by=/, "", s); sub(/[] ].*/, "", s); printf "\nSigned-By: %s", s }
             printf "\n\n" }' "$f"
    done
  } > "$extra.new"
  mv "$extra.new" "$extra"
  apt-get update -qq >&2
fi
mkdir -p "$dir"
(cd "$dir" && apt-get source -qq "$pkg" >&2)
[ -n "$(found)" ] || { echo "debian-src: no $pkg-*/debian/ in $dir after apt-get source" >&2; exit 1; }
dirname "$(found)"
