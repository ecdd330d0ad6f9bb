#!/usr/bin/env bash
# tests/vcon.sh: the vcon: scheme (docs/virtio.md) against a host peer. The guest runs
# /tests/vcontest with a virtio console port "test" whose host end is a TCP server; this
# script is the host: it connects when vcontest says READY, sends "hello", expects
# "ack", hangs up; connects again at AGAIN and sends "again". vcontest prints the
# checks; this script adds its own and the total.
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
  --qemu-arg -device --qemu-arg virtserialport,bus=vser0.0,chardev=t,name=test \
  -- /tests/vcontest >"$tmp/out" 2>&1 &
vpid=$!

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
