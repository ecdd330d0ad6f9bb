#!/usr/bin/env bash
# tests/dynamic.sh: dynamically linked programs run unmodified in the guest (docs/dynamic.md):
# hello worlds, coreutils, findutils, bash, tar, gzip, python3.
#
# Programs built here with the host's gcc (dynamic glibc, PIE) and musl-gcc (dynamic,
# no -static), and Debian's own binaries from the host, go into the guest with
# `tools/vrun --file`, which brings each one's interpreter and libraries. Each test
# compares the guest's output and exit status with what the same program prints on
# the host for the same files (a tree of test files, brought with --tree; their times
# are set to 0, the initramfs's, and both sides run in the C locale and UTC).
#
# Prints "PASS name" / "FAIL name: detail" lines and ends with "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dynamic-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export LC_ALL=C TZ=UTC

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# same NAME WANT_STATUS HOST_COMMAND -- VRUN_ARGS...: the guest run (tools/vrun
# VRUN_ARGS) exits with WANT_STATUS and prints exactly what HOST_COMMAND (a shell
# command run on the host) prints.
same() {
  local name=$1 want=$2 hostcmd=$3 rc
  shift 4
  (cd "$work" && bash -c "$hostcmd") >"$work/want" 2>&1
  tools/vrun --timeout 120 "$@" >"$work/got" 2>&1
  rc=$?
  if [ "$rc" != "$want" ]; then
    fail "$name" "exited with $rc (want $want); output: $(head -c 400 "$work/got" | tr '\n' '|')"
  elif ! cmp -s "$work/want" "$work/got"; then
    fail "$name" "output differs from the host's: $(diff "$work/want" "$work/got" | head -c 400 | tr '\n' '|')"
  else
    pass "$name"
  fi
}

# The test files, at /d on both sides (the guest gets a copy of $work/d there).
mkdir -p "$work/d/sub"
printf 'pear\napple\nfig\nbanana\nApple\n10\n9\n' >"$work/d/fruit.txt"
seq 1 300 >"$work/d/sub/nums.txt"
printf 'hello\n' >"$work/d/sub/h.txt"
chmod 600 "$work/d/sub/h.txt"
ln -s fruit.txt "$work/d/link"
touch -h -d @0 "$work/d"/* "$work/d/sub"/*
tree=(--tree "$work/d:/d")
# Host commands name the files under $work/d; hostd turns that into /d, as in the guest.
hostd() { sed "s#$work/d/#/d/#g"; }
export -f hostd
export work

cat >"$work/hello.c" <<'EOF'
#include <stdio.h>
int main(int argc, char **argv) {
  printf("hello, %d argument%s, last %s\n", argc - 1, argc == 2 ? "" : "s", argv[argc - 1]);
  return 42;
}
EOF

# A hello world: dynamic glibc PIE from plain gcc, and dynamic musl from musl-gcc.
if gcc -O2 -o "$work/hello-glibc" "$work/hello.c" 2>"$work/cc.err"; then
  if readelf -lW "$work/hello-glibc" | grep -q 'interpreter: /lib64/ld-linux-x86-64.so.2' &&
    readelf -hW "$work/hello-glibc" | grep -q 'DYN'; then
    same hello_gcc_glibc_pie 42 "./hello-glibc a b" -- --file "$work/hello-glibc" -- "$work/hello-glibc" a b
  else
    fail hello_gcc_glibc_pie "gcc did not make a dynamic PIE"
  fi
else
  fail hello_gcc_glibc_pie "gcc failed: $(head -c 300 "$work/cc.err")"
fi
if musl-gcc -O2 -o "$work/hello-musl" "$work/hello.c" 2>"$work/cc.err"; then
  if readelf -lW "$work/hello-musl" | grep -q 'interpreter: /lib/ld-musl-x86_64.so.1'; then
    same hello_musl_dynamic 42 "./hello-musl one" -- --file "$work/hello-musl" -- "$work/hello-musl" one
  else
    fail hello_musl_dynamic "musl-gcc did not make a dynamic program"
  fi
else
  fail hello_musl_dynamic "musl-gcc failed: $(head -c 300 "$work/cc.err")"
fi

# The same program started by a busybox shell, by path and with its status, twice
# (the second exec reuses nothing of the first).
same hello_from_shell 0 "./hello-glibc x; echo status \$?; ./hello-glibc y z; echo status \$?" -- \
  --file "$work/hello-glibc:/bin/hello" -- /bin/sh -c 'hello x; echo status $?; /bin/hello y z; echo status $?'

# Debian's own programs, unmodified.
same debian_true 0 "/bin/true" -- --file /bin/true:/usr/bin/true -- /usr/bin/true
same debian_false 1 "/bin/false" -- --file /bin/false:/usr/bin/false -- /usr/bin/false
same debian_ls_l 0 "ls -l $work/d/fruit.txt $work/d/link $work/d/sub/h.txt $work/d/sub/nums.txt | hostd" -- \
  --file /usr/bin/ls "${tree[@]}" -- /usr/bin/ls -l /d/fruit.txt /d/link /d/sub/h.txt /d/sub/nums.txt
same debian_ls_root 0 "echo ok" -- --file /usr/bin/ls -- /bin/sh -c '/usr/bin/ls -l / >/tmp/out && grep -q " tests$" /tmp/out && echo ok'
same debian_sort 0 "sort $work/d/fruit.txt; sort -n -r $work/d/fruit.txt | head -3" -- \
  --file /usr/bin/sort --file /usr/bin/head "${tree[@]}" -- /bin/sh -c '/usr/bin/sort /d/fruit.txt; /usr/bin/sort -n -r /d/fruit.txt | /usr/bin/head -3'
same debian_sha256sum 0 "sha256sum $work/d/fruit.txt $work/d/sub/nums.txt | hostd" -- \
  --file /usr/bin/sha256sum "${tree[@]}" -- /usr/bin/sha256sum /d/fruit.txt /d/sub/nums.txt
same debian_find 0 "cd $work && find d -name '*.txt' -printf '%p %s %m\n' | sort" -- \
  --file /usr/bin/find "${tree[@]}" -- /bin/sh -c 'cd / && /usr/bin/find d -name "*.txt" -printf "%p %s %m\n" | sort'
same debian_bash 3 "bash -c 'echo \$((6 * 7)) \${BASH_VERSINFO[0]}; for i in 1 2 3; do printf %s \$i; done; echo; exit 3'" -- \
  --file /bin/bash -- /bin/bash -c 'echo $((6 * 7)) ${BASH_VERSINFO[0]}; for i in 1 2 3; do printf %s $i; done; echo; exit 3'
same debian_text_tools 0 "sed -n 2,3p $work/d/fruit.txt; grep -c 1 $work/d/sub/nums.txt; mawk '{ s += \$1 } END { print s }' $work/d/sub/nums.txt; wc $work/d/sub/nums.txt | hostd" -- \
  --file /bin/sed --file /bin/grep --file /usr/bin/mawk --file /usr/bin/wc "${tree[@]}" -- \
  /bin/sh -c '/bin/sed -n 2,3p /d/fruit.txt; /bin/grep -c 1 /d/sub/nums.txt; /usr/bin/mawk "{ s += \$1 } END { print s }" /d/sub/nums.txt; /usr/bin/wc /d/sub/nums.txt'
same debian_tar_gzip 0 "cd $work && tar cf - d 2>&1 | tar tvf - | grep -v '^d' | sort; gzip -9 -n -c d/sub/nums.txt | sha256sum" -- \
  --file /usr/bin/tar --file /usr/bin/gzip --file /usr/bin/sha256sum "${tree[@]}" -- \
  /bin/sh -c 'cd / && /usr/bin/tar cf /tmp/t.tar d && /usr/bin/tar tvf /tmp/t.tar | grep -v "^d" | sort; /usr/bin/gzip -9 -n -c d/sub/nums.txt | /usr/bin/sha256sum'
same debian_date_stat 0 "date -u -d @86400 '+%F %T %Z'; stat -c '%s %a %F' $work/d/fruit.txt $work/d/link; stat -L -c '%s %F %Y' $work/d/link" -- \
  --file /usr/bin/date --file /usr/bin/stat "${tree[@]}" -- \
  /bin/sh -c '/usr/bin/date -u -d @86400 "+%F %T %Z"; /usr/bin/stat -c "%s %a %F" /d/fruit.txt /d/link; /usr/bin/stat -L -c "%s %F %Y" /d/link'

# Debian's python3 with its standard library (brought with --tree): json, re, hashlib,
# and subprocess running /bin/busybox (the host has it too: tools/deps.sh).
cat >"$work/py.py" <<'EOF'
import json, re, hashlib, subprocess
d = {"b": [1, 2, 3], "a": "x"}
s = json.dumps(d, sort_keys=True)
h = hashlib.sha256(s.encode()).hexdigest()
out = subprocess.run(["/bin/busybox", "echo", "from", "busybox"], capture_output=True, text=True)
print(s, re.findall(r"\d", s), h, out.stdout.strip(), out.returncode, json.loads(s)["b"][2])
EOF
python=$(readlink -f /usr/bin/python3 2>/dev/null)
if [ -x "$python" ] && [ -d "/usr/lib/${python##*/}" ]; then
  same debian_python3 0 "python3 py.py" -- --memory 256 --file "$python:/usr/bin/python3" \
    --tree "/usr/lib/${python##*/}" --file "$work/py.py:/tmp/py.py" -- /usr/bin/python3 /tmp/py.py
else
  fail debian_python3 "no python3 with its library on the host (tools/deps.sh installs it)"
fi

# The loader's work as strace shows it: the library opened, read and mapped from fd 3.
same strace_loader 0 "echo found" -- --file "$work/hello-glibc:/bin/hello" -- \
  /bin/sh -c 'strace -o /tmp/tr /bin/hello >/dev/null; grep -q "^openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3$" /tmp/tr && grep -q "^mmap(0x[0-9a-f]*, [0-9]*, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x[0-9a-f]*) = 0x" /tmp/tr && echo found'

# A dynamic program's own maps names its libraries with their offsets, and its auxv
# has AT_BASE (the interpreter's load address, where maps shows it at offset 0) and
# AT_ENTRY (the program's entry, not the interpreter's).
cat >"$work/selfmaps.c" <<'EOF'
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
int main(void) {
  char line[512], path[256];
  unsigned long lo, hi, off, base = 0, v[2];
  int libc = 0, ld = 0;
  FILE *m = fopen("/proc/self/maps", "r"), *a = fopen("/proc/self/auxv", "r");
  if (!m || !a)
    return 1;
  while (fgets(line, sizeof line, m))
    if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &lo, &hi, &off, path) == 4) {
      libc |= strstr(path, "/libc.so.6") != NULL;
      if (strstr(path, "/ld-linux-x86-64.so.2") && off == 0)
        ld = 1, base = lo;
    }
  int at_base = 0, at_entry = 0;
  while (fread(v, sizeof v, 1, a) == 1 && v[0] != AT_NULL) {
    at_base |= v[0] == AT_BASE && v[1] == base && base == getauxval(AT_BASE);
    at_entry |= v[0] == AT_ENTRY && v[1] == getauxval(AT_ENTRY) && v[1] != getauxval(AT_BASE);
  }
  printf("%s %s %s %s\n", libc ? "libc" : "-", ld ? "ld" : "-", at_base ? "base" : "-",
         at_entry ? "entry" : "-");
  return 0;
}
EOF
if gcc -O2 -o "$work/selfmaps" "$work/selfmaps.c" 2>"$work/cc.err"; then
  same maps_auxv_dynamic 0 "./selfmaps" -- --file "$work/selfmaps" -- "$work/selfmaps"
else
  fail maps_auxv_dynamic "gcc failed: $(head -c 300 "$work/cc.err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
