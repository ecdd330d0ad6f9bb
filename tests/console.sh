#!/usr/bin/env bash
# tests/console.sh: drive `make run` through its console as a person would, in a
# detached tmux session: type commands with send-keys, read the screen with
# capture-pane. Checks: the shell prompt appears; `echo hello` prints hello;
# `ls /bin | wc -l` prints a number; Ctrl-C interrupts `sleep 30` and the prompt comes
# back within a few seconds; job control (`sleep 30 &`, `jobs`, `kill %1`); `cat` echoes
# a typed line and one Ctrl-D ends it; Ctrl-A x quits QEMU and no QEMU is left running.
#
# Prints "PASS name" / "FAIL name: detail" lines (a failure shows what was typed and
# what the screen showed) and ends with "N passed, N failed". Every wait polls the
# screen with a bound; the whole test is bounded to about 60 s.
#
# Needs tmux: when it is missing and we are root, it is installed with apt-get
# (output in build/apt-tmux.log). CONSOLE_RUN=COMMAND runs COMMAND instead of
# `make -s run` (e.g. "env VRUN_KERNEL=build/vitrine.elf tools/vrun --interactive"
# while the tree does not build).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
run_cmd=${CONSOLE_RUN:-make -s run}
sock=vitrine-console-$$
tmux_=(tmux -L "$sock")
start=$SECONDS
limit=60 # seconds for the whole test
passed=0
failed=0
qemu_pid=""
conf=""
PROMPT='^vitrine:[^ ]*[#$]$' # the profile's PS1 'vitrine:\w\$ ', trailing space trimmed

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed"; }

# The pane's whole text (history and screen), trailing blanks trimmed, as one log.
screen() {
  "${tmux_[@]}" capture-pane -p -J -S - -E - -t con 2>/dev/null | sed 's/[[:space:]]*$//'
}

# Lines from the one where the next command is typed (the last non-blank line, which
# is the prompt) to the end. mark remembers where that is.
mark=1
set_mark() { mark=$(screen | awk 'NF { n = NR } END { print n ? n : 1 }'); }
since_mark() { screen | tail -n +"$mark"; }

# The last lines since the mark, quoted on one line, for a failure message.
shown() { since_mark | awk 'NF' | tail -n "${1:-6}" | sed 's/.*/"&"/' | paste -sd' ' -; }

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds (0) or the
# time, cut to what is left of the test's limit, runs out (1).
wait_until() {
  local t=$1 end left
  shift
  left=$((limit - (SECONDS - start)))
  [ "$t" -le "$left" ] || t=$((left > 0 ? left : 0))
  end=$(($(date +%s%N) + t * 1000000000))
  while :; do
    "$@" && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# After the typed command line: a line matching $1 (if given), then a prompt.
output_then_prompt() {
  since_mark | awk -v re="$1" -v prompt="$PROMPT" '
    NR == 1 { next }                       # the command line itself
    !got && (re == "" || $0 ~ re) { got = 1; if (re != "") next }
    got && $0 ~ prompt { ok = 1 }
    END { exit !ok }'
}
prompt_back() { output_then_prompt ""; }
line_seen() { since_mark | tail -n +2 | grep -Eq "$1"; }

type_line() { # the text literally, then Enter
  "${tmux_[@]}" send-keys -t con -l "$1" && "${tmux_[@]}" send-keys -t con Enter
}
key() { "${tmux_[@]}" send-keys -t con "$@"; }

# Every process under PID, and PID itself.
descendants() {
  local c
  echo "$1"
  for c in $(pgrep -P "$1" 2>/dev/null); do descendants "$c"; done
}

find_qemu() {
  local pane p
  pane=$("${tmux_[@]}" display-message -p -t con '#{pane_pid}' 2>/dev/null) || return 1
  for p in $(descendants "$pane"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86 ] && qemu_pid=$p && return 0
  done
  return 1
}

cleanup() {
  "${tmux_[@]}" kill-server 2>/dev/null
  # QEMU should have gone with its terminal; if not, end it (only ours, by its pid).
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    sleep 0.5
    kill -0 "$qemu_pid" 2>/dev/null && kill -KILL "$qemu_pid" 2>/dev/null
  fi
  [ -z "$conf" ] || rm -f "$conf"
}

need_tmux() {
  command -v tmux >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fail tmux "tmux is not installed (sudo apt-get install -y tmux)"
    return 1
  fi
  mkdir -p build
  echo "console.sh: tmux is missing; running apt-get install -y tmux (log in build/apt-tmux.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tmux; } \
    >build/apt-tmux.log 2>&1
  command -v tmux >/dev/null 2>&1 && return 0
  fail tmux "apt-get install -y tmux failed (see build/apt-tmux.log)"
  return 1
}

# A detached session running make run; when it ends the pane says so and stays.
start_console() {
  conf=$(mktemp "${TMPDIR:-/tmp}/console-tmux.XXXXXX") || return 1
  echo "set -g history-limit 10000" >"$conf"
  "${tmux_[@]}" -f "$conf" new-session -d -x 120 -y 40 -s con -c "$repo" \
    "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $run_cmd; echo \"console ended: status \$?\"; exec sleep 600"
}

# The prompt, or the console's end (the build failed, QEMU did not start): no need to
# wait on in that case.
prompt_or_end() { screen | grep -Eq "$PROMPT|^console ended: status"; }

check_prompt() {
  if wait_until 30 prompt_or_end && screen | grep -Eq "$PROMPT"; then
    pass "console: the shell prompt appears"
    find_qemu
    return 0
  fi
  mark=1
  fail "console: the shell prompt appears" "no prompt after $((SECONDS - start)) s; the screen: $(shown 10)"
  return 1
}

# check NAME TYPED REGEX: type a command; REGEX must match a line of its output, and
# the prompt must come back.
check() {
  set_mark
  type_line "$2"
  if wait_until 10 output_then_prompt "$3"; then
    pass "$1"
  else
    fail "$1" "typed '$2' Enter; wanted a line matching /$3/ then a prompt; the screen: $(shown)"
  fi
}

check_ls_count() {
  set_mark
  type_line 'ls /bin | wc -l'
  local n
  if wait_until 10 output_then_prompt '^ *[0-9]+$'; then
    n=$(since_mark | tail -n +2 | grep -Em1 '^ *[0-9]+$' | tr -d ' ')
    if [ "$n" -gt 10 ]; then
      pass "console: ls /bin | wc -l prints a number ($n)"
    else
      fail "console: ls /bin | wc -l prints a number" "it printed $n, expected more than 10 files in /bin"
    fi
  else
    fail "console: ls /bin | wc -l prints a number" "typed 'ls /bin | wc -l' Enter; the screen: $(shown)"
  fi
}

# sleep 30, then Ctrl-C: the prompt must be back within 3 s of the key.
check_ctrl_c() {
  local name="console: Ctrl-C interrupts sleep 30" t0 ms
  set_mark
  type_line 'sleep 30'
  # The sleep has started when, a moment later, no prompt has come back.
  sleep 1
  if prompt_back; then
    fail "$name" "typed 'sleep 30' Enter; the prompt came back at once: $(shown)"
    return
  fi
  t0=$(date +%s%N)
  key C-c
  if wait_until 3 prompt_back; then
    ms=$((($(date +%s%N) - t0) / 1000000))
    pass "$name (prompt back ${ms} ms after Ctrl-C)"
  else
    fail "$name" "typed 'sleep 30' Enter, then Ctrl-C; no prompt within 3 s; the screen: $(shown)"
    key C-c # try to get the shell back for the next checks
    wait_until 30 prompt_back
  fi
}

check_jobs() {
  check "console: sleep 30 & starts a background job" 'sleep 30 &' ''
  check "console: jobs lists the background sleep" 'jobs' '^\[1\]\+? +Running +sleep 30$'
  # kill %1: ash reports the job as Terminated when the prompt comes back (here, or at
  # the next command's prompt): look for it through the following `jobs`.
  set_mark
  type_line 'kill %1'
  wait_until 5 prompt_back
  type_line 'jobs'
  local name="console: kill %1 ends the background job"
  if wait_until 5 line_seen '^\[1\]\+? +Terminated +sleep 30$'; then
    pass "$name"
  else
    fail "$name" "typed 'kill %1' Enter, 'jobs' Enter; no '[1]+ Terminated sleep 30'; the screen: $(shown)"
  fi
}

# cat: a typed line comes back twice (the terminal's echo, then cat's output); one
# Ctrl-D on the empty line that follows ends cat.
check_cat() {
  local text="typed into cat $$" n name="console: cat echoes a typed line"
  set_mark
  type_line cat
  sleep 0.5 # let cat start reading
  type_line "$text"
  count_text() { n=$(since_mark | grep -cxF "$text"); [ "$n" -ge 2 ]; }
  if wait_until 5 count_text; then
    pass "$name"
  else
    fail "$name" "typed 'cat' Enter, '$text' Enter; the line appeared ${n:-0} times (wanted 2: echo and cat's output); the screen: $(shown)"
  fi
  name="console: one Ctrl-D ends cat"
  key C-d
  if wait_until 3 prompt_back; then
    pass "$name"
    return
  fi
  fail "$name" "after 'cat' Enter, '$text' Enter, Ctrl-D: no prompt within 3 s; the screen: $(shown 4)"
  key C-d # a second one, then Ctrl-C, to go on with the next checks
  wait_until 3 prompt_back || { key C-c; wait_until 5 prompt_back; }
}

# Ctrl-A x: QEMU's mux quits; the pane then says "console ended", and QEMU is gone.
check_quit() {
  local name="console: Ctrl-A x quits QEMU"
  set_mark
  key C-a x
  if wait_until 5 line_seen '^console ended: status'; then
    pass "$name"
  else
    fail "$name" "typed Ctrl-A x; the console did not end within 5 s; the screen: $(shown)"
  fi
  name="console: no QEMU left running"
  gone() { ! kill -0 "$qemu_pid" 2>/dev/null; }
  if [ -z "$qemu_pid" ]; then
    fail "$name" "QEMU's process was not found under the tmux pane"
  elif wait_until 5 gone; then
    pass "$name"
  else
    fail "$name" "QEMU (pid $qemu_pid) still runs 5 s after Ctrl-A x (it is killed now)"
  fi
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
  need_tmux || { summary; exit 1; }
  if ! start_console; then
    fail "console: start" "tmux could not start a session running '$run_cmd'"
    summary
    exit 1
  fi
  if check_prompt; then
    check "console: echo hello prints hello" 'echo hello' '^hello$'
    check_ls_count
    check_ctrl_c
    check_jobs
    check_cat
    check_quit
  fi
  echo "console.sh: $((SECONDS - start)) s"
  summary
  [ "$failed" = 0 ]
}

main "$@"
