#!/usr/bin/env bash
# tools/busybox-src.sh DIR: unpack the source package of the host's busybox (Debian's)
# into DIR, once (a DIR that holds a testsuite/ is kept as it is).
#
# apt-get source needs a deb-src entry. If none is configured, one is derived from the
# machine's own deb entries (the same mirrors, suites and components; nothing in this
# tree names a mirror) and written to /etc/apt/sources.list.d/vitrine-deb-src.sources,
# which needs root. Prints the directory of the unpacked tree (DIR/busybox-VERSION).
set -euo pipefail
dir=${1:?usage: tools/busybox-src.sh DIR}
found() { find "$dir" -mindepth 2 -maxdepth 2 -name testsuite -type d 2>/dev/null | head -n 1; }
if [ -n "$(found)" ]; then
  dirname "$(found)"
  exit 0
fi
extra=/etc/apt/sources.list.d/vitrine-deb-src.sources
if ! apt-cache showsrc busybox >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "busybox-src: no deb-src entry for apt, and adding one needs root" >&2
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
(cd "$dir" && apt-get source -qq busybox >&2)
[ -n "$(found)" ] || { echo "busybox-src: no testsuite/ after apt-get source" >&2; exit 1; }
dirname "$(found)"
