#!/usr/bin/env bash
# tools/strace-build.sh BUILD_DIR: upstream strace, unmodified, static with musl, and the
# test programs of its own test suite that tests/strace-tests.txt selects.
#
# Debian's source package of strace (tools/debian-src.sh) is unpacked into
# BUILD_DIR/strace-src and built there, in its own tree, with musl-gcc: no libunwind or
# libdw (musl's tree has neither, so no -k), no multiple personalities (--enable-mpers=no:
# the guest has no 32-bit ABI). musl's include directory has no Linux UAPI headers; strace
# brings most of them (--enable-bundled=yes) and the host's (linux-libc-dev, the asm/ of
# the host's multiarch directory) come after musl's with -idirafter.
#
# Each step runs once (stamps in BUILD_DIR/strace): `make` calls this on every run and it
# returns at once when there is nothing to do. The test programs are rebuilt when the
# selection changes. Prints nothing when there is nothing to do; the compilers' output
# goes to BUILD_DIR/strace/build.log.
#
# Results: BUILD_DIR/strace/strace (the program, /usr/bin/strace in the guest) and
# BUILD_DIR/strace/tests/ (the staged selection: tests/strace-suite.sh runs it).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$(mkdir -p "${1:?usage: tools/strace-build.sh BUILD_DIR}" && cd "$1" && pwd)
out=$B/strace
sel=$repo/tests/strace-tests.txt
mkdir -p "$out"
log=$out/build.log

fresh=1
for f in "$sel" "${BASH_SOURCE[0]}" "$repo/tools/debian-src.sh"; do
  [ -e "$out/stamp" ] && [ "$out/stamp" -nt "$f" ] || fresh=0
done
[ "$fresh" = 0 ] || exit 0

fail() {
  echo "strace-build: $1 (see $log)" >&2
  tail -n 20 "$log" >&2
  exit 1
}

src=$("$repo/tools/debian-src.sh" strace "$B/strace-src") || exit 1
start=$(date +%s)
echo "strace-build: building upstream strace (Debian's $(basename "$src")) with musl; log in $log" >&2

# Linux's UAPI headers that strace's bundled copy lacks, after musl's own.
kh=$out/kernel-headers
mkdir -p "$kh"
multiarch=$(gcc -print-multiarch)
for d in /usr/include/linux /usr/include/asm-generic /usr/include/mtd /usr/include/rdma \
  /usr/include/sound /usr/include/video /usr/include/misc /usr/include/xen \
  "/usr/include/$multiarch/asm"; do
  [ -d "$d" ] && ln -sfn "$d" "$kh/${d##*/}"
done

if [ ! -e "$out/configured" ]; then
  (cd "$src" && ./configure CC=musl-gcc CPPFLAGS="-idirafter $kh" CFLAGS="-O2" \
    LDFLAGS="-static" --enable-mpers=no --enable-bundled=yes --disable-gcc-Werror \
    --enable-stacktrace=no --disable-dependency-tracking --without-libdw --without-libunwind --without-libselinux) \
    >"$log" 2>&1 || fail "configure failed"
  touch "$out/configured"
fi

# (the whole of src/: strace's generated headers are BUILT_SOURCES, which `make strace`
# alone does not make)
make -C "$src/src" -j2 >>"$log" 2>&1 || fail "make strace failed"
cp "$src/src/strace" "$out/strace.new" && mv "$out/strace.new" "$out/strace"

# The selection (tests/strace-tests.txt): NAME.test or NAME.gen.test, its program ../NAME
# when there is one, and every other ../PROGRAM its script names.
progs=()
tests=()
while read -r name _; do
  case $name in '' | '#'*) continue ;; esac
  tests+=("$name")
  [ ! -f "$src/tests/$name.c" ] || progs+=("$name")
  for f in "$src/tests/$name.test" "$src/tests/$name.gen.test"; do
    [ -f "$f" ] || continue
    for p in $(grep -o '\.\./[A-Za-z0-9_-]*' "$f" | cut -c4- | sort -u); do
      [ ! -f "$src/tests/$p.c" ] || progs+=("$p")
    done
  done
done <"$sel"
mapfile -t progs < <(printf '%s\n' "${progs[@]}" | sort -u)
make -C "$src/tests" -j2 ksysent.h scno.h >>"$log" 2>&1 || fail "make of strace's test headers failed"
make -C "$src/tests" -j2 libtests.a "${progs[@]}" >>"$log" 2>&1 || fail "make of strace's test programs failed"

# Stage: the scripts and data of the selection, its programs, config.h (init.sh reads
# it as ../../src/config.h) and strace as src/strace.
stage=$out/suite
rm -rf "$stage.new"
mkdir -p "$stage.new/tests" "$stage.new/src"
cp "$out/strace" "$src/src/config.h" "$stage.new/src/"
cp "$src/tests"/*.sh "$src/tests"/*.awk "$stage.new/tests/"
for t in "${tests[@]}"; do
  for f in "$src/tests/$t".* "$src/tests/$t"-*.expected; do
    if [ -f "$f" ]; then cp "$f" "$stage.new/tests/"; fi
  done
done
for p in "${progs[@]}"; do cp "$src/tests/$p" "$stage.new/tests/"; done
printf '%s\n' "${tests[@]}" >"$stage.new/tests/SELECTION"
rm -rf "$stage" && mv "$stage.new" "$stage"
touch "$out/stamp"
echo "strace-build: done in $(($(date +%s) - start)) s" >&2
