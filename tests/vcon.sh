#!/usr/bin/env bash
# tests/vcon.sh: the vcon: scheme (docs/virtio.md) against a host peer. The guest runs
# /tests/vcontest with a virtio console port "test" whose host end is a TCP server; this
# script is the host: it connects when vcontest says READY, sends "hello", expects
# "ack", hangs up; connects again at AGAIN and sends "again"; at REMOVE takes the port
# away (QEMU's device_del, through QMP), at READD adds it again, connects and sends
# "back". vcontest prints the checks; this script adds its own and the total.
set -uo pipefail
export LC_ALL=C
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vcontest.XXXXXX") || exit 1
vpid=""
trap '[ -z "$vpid" ] || kill "$vpid" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

port=$((30000 + $$ % 20000))
while ss -Htln "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
tools/vrun --timeout 120 \
  --qemu-arg -device --qemu-arg virtio-serial-pci,disable-modern=on,id=vser0 \
  --qemu-arg -chardev --qemu-arg "socket,id=t,host=127.0.0.1,port=$port,server=on,wait=off" \
  --qemu-arg -device --qemu-arg virtserialport,bus=vser0.0,chardev=t,name=test,id=tport \
  --qemu-arg -qmp --qemu-arg "unix:$tmp/qmp,server=on,wait=off" \
  -- /tests/vcontest >"$tmp/out" 2>&1 &
vpid=$!

# qmp COMMAND-JSON: one command to QEMU's monitor (QMP); prints its answer.
qmp() {
  python3 - "$tmp/qmp" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
f = s.makefile("rw")
def answer():
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
f.readline()  # the greeting
f.write('{"execute": "qmp_capabilities"}\n'); f.flush(); answer()
f.write(sys.argv[2] + "\n"); f.flush()
print(json.dumps(answer()))
PY
}

# wait_for WORD: until the guest printed it (or vrun ended).
wait_for() {
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q "^$1" "$tmp/out" && return 0
    kill -0 "$vpid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if wait_for READY && exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  printf 'hello\n' >&3
  if IFS= read -r -t 20 -u 3 reply && [ "$reply" = ack ]; then pass "host: the guest's reply"; else
    fail "host: the guest's reply" "'${reply:-}'"
  fi
  exec 3>&-
else
  fail "host: connect" "the guest never said READY"
fi
if wait_for AGAIN && exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  printf 'again\n' >&3
  sleep 1
  exec 3>&-
else
  fail "host: connect again" "the guest never said AGAIN"
fi
# Hot removal of the port, then the same port again (docs/virtio.md).
if wait_for REMOVE; then
  sleep 0.5 # (the guest is in its read by now; if not, the read finds the port gone)
  ans=$(qmp '{"execute": "device_del", "arguments": {"id": "tport"}}')
  case $ans in *'"return"'*) pass "host: device_del" ;; *) fail "host: device_del" "$ans" ;; esac
else
  fail "host: remove" "the guest never said REMOVE"
fi
if wait_for READD; then
  ans=$(qmp '{"execute": "device_add", "arguments": {"driver": "virtserialport", "bus": "vser0.0", "chardev": "t", "name": "test", "id": "tport2"}}')
  case $ans in *'"return"'*) pass "host: device_add" ;; *) fail "host: device_add" "$ans" ;; esac
  connected=0
  for ((i = 0; i < 100; i++)); do
    if exec 3<>"/dev/tcp/127.0.0.1/$port"; then connected=1; break; fi 2>/dev/null
    sleep 0.1
  done
  if [ "$connected" = 1 ]; then
    printf 'back\n' >&3
    sleep 1
    exec 3>&-
  else
    fail "host: connect to the port back" "no connection"
  fi
else
  fail "host: add again" "the guest never said READD"
fi
wait "$vpid"
rc=$?
vpid=""
cat "$tmp/out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/out" | tail -n 1)
if [ -n "$line" ]; then
  read -r p _ f _ <<<"$line"
  passed=$((passed + p)) failed=$((failed + f))
else
  fail "guest" "vcontest did not finish (vrun status $rc)"
fi
[ "$rc" = 0 ] || [ -z "$line" ] || [ "${f:-1}" != 0 ] || fail "guest" "vrun status $rc"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
