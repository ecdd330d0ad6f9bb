#!/usr/bin/env bash
# tools/bench.sh: run Vitrine's benchmarks and print one table (`make bench`).
#
# Every rate is given twice:
#   instr/op  guest instructions per operation: `tools/vrun --icount` (QEMU's
#             -icount shift=0, so the guest's rdtsc counts executed instructions, all
#             of them: user, kernel, interrupts) running `bench all`, rdtsc delta / N.
#             These repeat exactly from run to run.
#   wall/op   a normal run (no --icount) of `bench all ROUNDS`: CLOCK_MONOTONIC delta
#             / N, the median of the rounds. TCG wall times depend on the host.
# Boot time is measured on the host: date +%s%N before tools/vrun, and again when the
# first byte of the guest program's output arrives; nothing is subtracted. The floor
# row is QEMU itself with a kernel that prints one byte at once (tools/bench-floor.S).
# The benchmark programs are tests/bench/bench.c (its header lists the subcommands).
#
# A figure that cannot be measured (a failing call, a stop that never comes, a run that
# timed out) is printed as "n/a" with the reason, never as a number.
# Options: --rounds N (wall-time rounds, default 3), --boots N (boot runs, default 5),
# --raw (also print the guest's RESULT lines). Exit status 0 when every row has a
# figure, 1 when some row is n/a, 2 on a harness failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$repo/build
rounds=3
boots=5
raw=0
tmp=""

die() {
  echo "bench.sh: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --boots) boots=${2:?}; shift 2 ;;
    --raw) raw=1; shift ;;
    *) die "unknown option '$1'" ;;
  esac
done

# `make bench` has just built everything: runs skip vrun's own `make all` (which would
# be counted in the boot time), and a half-edited source elsewhere cannot stop us.
export VRUN_KERNEL=$build/vitrine.elf
[ -x "$build/guest/bench" ] || die "build/guest/bench is missing (run make)"
grep -q ' /tests/bench ' "$build/root.manifest" 2>/dev/null ||
  die "build/root.manifest has no /tests/bench (run make)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }

# first_byte_ms COMMAND...: ms from now until COMMAND writes its first byte to stdout.
first_byte_ms() {
  local t0 t1
  t0=$(now_ns)
  t1=$("$@" 2>/dev/null | { head -c 1 >/dev/null && now_ns; cat >/dev/null; })
  [ -n "$t1" ] || return 1
  echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# The floor: a multiboot kernel that writes "x\n" to COM1 and leaves through
# isa-debug-exit, in the same QEMU with the same machine options as vrun.
floor_kernel() {
  as --32 -o "$tmp/floor.o" "$repo/tools/bench-floor.S" &&
    ld -m elf_i386 -Ttext=0x100000 -e _start -o "$tmp/floor.elf" "$tmp/floor.o"
}

floor_qemu=(timeout 30 qemu-system-x86_64 -cpu qemu64 -m 128 -kernel "$tmp/floor.elf" -display none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -monitor none -serial stdio)

# The same boot without the vrun script (its build check, manifest and mkcpio): QEMU
# started directly with an initramfs made once, with vrun's machine options. It shows
# how the boot time divides between vrun, QEMU and Vitrine.
direct_initrd() {
  cp "$build/root.manifest" "$tmp/manifest" &&
    printf '%s\0' /tests/bench hello >"$tmp/argv" &&
    echo "file /vrun/argv $tmp/argv 644 0 0" >>"$tmp/manifest" &&
    (cd "$repo" && "$build/tools/mkcpio" "$tmp/initrd.cpio" <"$tmp/manifest")
}

direct_qemu=(timeout 30 qemu-system-x86_64 -cpu qemu64 -m 128 -kernel "$VRUN_KERNEL"
  -initrd "$tmp/initrd.cpio" -append "quiet run=/vrun/argv" -display none -no-reboot
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon "file:$tmp/ctl" -monitor none
  -serial stdio)

boot_rows() {
  local i ms
  for ((i = 0; i < boots; i++)); do
    first_byte_ms "$repo/tools/vrun" --timeout 30 -- /tests/bench hello
  done | median >"$tmp/boot"
  if direct_initrd >/dev/null 2>&1; then
    for ((i = 0; i < boots; i++)); do first_byte_ms "${direct_qemu[@]}" </dev/null; done |
      median >"$tmp/direct"
  fi
  if floor_kernel 2>"$tmp/floor.err"; then
    for ((i = 0; i < boots; i++)); do first_byte_ms "${floor_qemu[@]}" </dev/null; done |
      median >"$tmp/floor"
  fi
}

# run_guest MODE FILE ARGS...: the guest's RESULT/VALUE/NA lines into FILE.
run_guest() {
  local file=$1 rc
  shift
  "$repo/tools/vrun" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  grep -E '^(RESULT|VALUE|NA) ' "$tmp/out" >"$file"
  [ "$raw" = 0 ] || sed 's/^/  guest: /' "$file" >&2
  # 0: all measured; 1: bench reported an NA line. Anything else: say what happened.
  if [ "$rc" -gt 1 ]; then
    echo "NA-RUN vrun $* ended with status $rc: $(tail -n 1 "$tmp/err")" >>"$file"
  fi
}

# strace_rows: tests/bench/getpid_loop.c untraced, under strace, and under strace with a kernel
# filter that stops on write only; each result is renamed and added to the two runs.
strace_rows() {
  local mode name n f
  for mode in icount wall; do
    f=()
    [ "$mode" = wall ] || f=(--icount)
    for name in sc_plain sc_all sc_write; do
      case $name in
        sc_plain) n=100000; set -- /tests/getpid_loop "$n" ;;
        sc_all) n=5000; set -- /bin/strace -o /dev/null /tests/getpid_loop "$n" ;;
        sc_write) n=100000; set -- /bin/strace -e trace=write -o /dev/null /tests/getpid_loop "$n" ;;
      esac
      run_guest "$tmp/sc" "${f[@]}" --timeout 150 -- "$@"
      sed "s/^RESULT getpid_loop /RESULT $name /; s/^NA getpid_loop /NA $name /" "$tmp/sc" >>"$tmp/$mode"
    done
  done
}

# gdb_run LINK: the host's gdb against a gdbserver: a breakpoint hit N times (gdb's
# ignore count: each hit is a full stop, report and resume round trip, 4 packets), then
# reads of 1024 words (x/1024xw of bigbuf: the stack above $sp is shorter than 4 KiB,
# so x/1024xw $sp stopped at its end), then `dump memory` of bigbuf. LINK: vcon
# (gdbserver in the guest on the virtio console, vrun --gdb), com2 (vrun --gdb-com2;
# fewer rounds, 128 words and a smaller dump: each round trip waits on the UART),
# native (Debian's gdbserver running the same static program on the host, over a
# localhost socket). Wall times on the host, in
# $tmp/gdb.LINK as "NS-PER-HIT NS-PER-READ BYTES-PER-SECOND", or a reason in
# $tmp/gdb.LINK.err.
gdb_run() {
  local link=$1 port=$((20000 + ($$ + ${#1}) % 20000)) n=20 reads=5 dump=1048576 log=$tmp/gdbvrun.$1
  local vpid i reads_cmd=() out=$tmp/gdbout.$1 words=1024
  [ "$link" != com2 ] || { n=8 reads=1 words=128 dump=262144; } # (45 s for 1,024 words)
  case $link in
    vcon) "$repo/tools/vrun" --gdb "$port" --timeout 240 -- /tests/gdbtarget loop "$n" >"$log" 2>&1 & ;;
    com2) "$repo/tools/vrun" --gdb-com2 "$port" --timeout 240 -- /tests/gdbtarget loop "$n" >"$log" 2>&1 & ;;
    native)
      if ! command -v gdbserver >/dev/null; then
        echo "no gdbserver on the host (apt-get install gdbserver)" >"$tmp/gdb.$link.err"
        return
      fi
      gdbserver "127.0.0.1:$port" "$build/guest/gdbtarget" loop "$n" >"$log" 2>&1 & ;;
  esac
  vpid=$!
  for ((i = 0; i < 100; i++)); do grep -qi "listening" "$log" && break; sleep 0.1; done
  for ((i = 0; i < reads; i++)); do reads_cmd+=(-ex "x/${words}xw &bigbuf"); done
  timeout 200 gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'break leaf' \
    -ex 'continue' -ex "ignore 1 $((n - 2))" -ex 'shell date +T0=%s%N' -ex 'continue' \
    -ex 'shell date +T1=%s%N' "${reads_cmd[@]}" -ex 'shell date +T2=%s%N' \
    -ex "dump binary memory $tmp/dump.bin (char*)&bigbuf (char*)&bigbuf+$dump" \
    -ex 'shell date +T3=%s%N' -ex 'delete' -ex 'continue' "$build/guest/gdbtarget" >"$out" 2>&1
  wait "$vpid"
  local t0 t1 t2 t3 size
  t0=$(sed -n 's/^T0=//p' "$out"); t1=$(sed -n 's/^T1=//p' "$out")
  t2=$(sed -n 's/^T2=//p' "$out"); t3=$(sed -n 's/^T3=//p' "$out")
  size=$(stat -c %s "$tmp/dump.bin" 2>/dev/null)
  rm -f "$tmp/dump.bin"
  if [ -n "$t0" ] && [ -n "$t1" ] && [ -n "$t2" ] && [ -n "$t3" ] && [ "$size" = "$dump" ] &&
    grep -q "exited normally" "$out"; then
    echo "$(((t1 - t0) / (n - 1))) $(((t2 - t1) / reads)) $((dump * 1000000000 / (t3 - t2)))" >"$tmp/gdb.$link"
  else
    tail -n 3 "$out" | tr '\n' ' ' | head -c 200 >"$tmp/gdb.$link.err"
  fi
}

# Debian's gdbserver, for the comparison (installed when missing, as root).
native_gdbserver() {
  command -v gdbserver >/dev/null && return
  [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y gdbserver >"$tmp/apt.log" 2>&1
}

gdb_rows() {
  native_gdbserver
  gdb_run vcon
  gdb_run native
  gdb_run com2
}

echo "Running the benchmarks (about a minute)..." >&2
boot_rows
run_guest "$tmp/icount" --icount --timeout 150 -- /tests/bench all 1
run_guest "$tmp/wall" --timeout 100 -- /tests/bench all "$rounds"
strace_rows
gdb_rows

# The table. awk reads both runs and the boot figures; each row names its benchmark,
# how to show it, and its comparison.
awk -v gdbv="$(cat "$tmp/gdb.vcon" 2>/dev/null)" -v gdbverr="$(cat "$tmp/gdb.vcon.err" 2>/dev/null)" \
  -v gdbn="$(cat "$tmp/gdb.native" 2>/dev/null)" -v gdbnerr="$(cat "$tmp/gdb.native.err" 2>/dev/null)" \
  -v gdbc="$(cat "$tmp/gdb.com2" 2>/dev/null)" -v gdbcerr="$(cat "$tmp/gdb.com2.err" 2>/dev/null)" -v boot="$(cat "$tmp/boot" 2>/dev/null)" -v direct="$(cat "$tmp/direct" 2>/dev/null)" -v floor="$(cat "$tmp/floor" 2>/dev/null)" \
  -v boots="$boots" -v rounds="$rounds" -v benchkb="$(($(stat -c %s "$build/guest/bench") / 1024))" -v flerr="$(head -c 200 "$tmp/floor.err" 2>/dev/null)" '
  function commas(n,   s) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  function wallfmt(ns) {
    if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
    if (ns >= 1e4) return sprintf("%.1f us", ns / 1e3)
    return sprintf("%d ns", ns + 0.5)
  }
  function median(name,   n, i, j, t, v) {
    n = nwall[name]
    for (i = 1; i <= n; i++) v[i] = wall[name, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((n + 1) / 2)]
  }
  function row(label, instr, wallstr, cmp) { printf "%-42s %10s %12s   %s\n", label, instr, wallstr, cmp }
  function na(name) {
    if (name in why) return why[name]
    if (runwhy != "") return runwhy
    return "no result"
  }
  # A rate row: instructions and wall time per op, or n/a with the reason.
  function rate(name, label, cmp,   i, w) {
    if (!(name in instr) || !(name in nwall)) { row(label, "n/a", "n/a", "n/a: " na(name)); bad = 1; return 0 }
    row(label, commas(instr[name] + 0.5), wallfmt(median(name)), cmp)
    return 1
  }
  FILENAME ~ /icount$/ && $1 == "RESULT" { instr[$2] = $4 / $3 }
  FILENAME ~ /wall$/ && $1 == "RESULT" { wall[$2, ++nwall[$2]] = $5 / $3 }
  FILENAME ~ /wall$/ && $1 == "VALUE" && !($2 in value) { value[$2] = $3 }
  $1 == "NA" && !($2 in why) { r = $0; sub(/^NA [^ ]* /, "", r); why[$2] = r } # the first says most
  $1 == "NA-RUN" { r = $0; sub(/^NA-RUN /, "", r); runwhy = r }
  END {
    printf "Vitrine benchmarks: QEMU 7.2 TCG, -cpu qemu64, one CPU, 128 MiB.\n"
    printf "instr/op: guest instructions (vrun --icount, rdtsc delta / N). wall/op: a normal run,\n"
    printf "CLOCK_MONOTONIC delta / N, median of %d rounds. Linux figures: Linux 6.1 in the same QEMU.\n\n", rounds
    row("benchmark", "instr/op", "wall/op", "comparison / goal")
    if (boot != "") row("boot to the first output line (vrun)", "-", boot " ms", "goal < 300 ms; Linux 6.1: 5 to 6.7 s (median of " boots " boots)")
    else { row("boot to the first output line (vrun)", "n/a", "n/a", "n/a: no output from tools/vrun -- /tests/bench hello"); bad = 1 }
    if (direct != "") row("  QEMU + Vitrine, without the vrun script", "-", direct " ms", "the rest is the vrun script (manifest, mkcpio)")
    else row("  QEMU + Vitrine, without the vrun script", "n/a", "n/a", "n/a: could not make the initramfs or no output")
    if (floor != "") row("  QEMU start-up floor (1-byte kernel)", "-", floor " ms", "QEMU alone: a multiboot kernel that prints at once")
    else row("  QEMU start-up floor (1-byte kernel)", "n/a", "n/a", "n/a: " (flerr != "" ? flerr : "no output"))
    rate("getppid", "system call round trip (getppid)", "goal <= 150; Linux 6.1: 337")
    rate("clock", "clock_gettime(CLOCK_MONOTONIC), musl", "goal <= 100; a system call reading the TSC (no vDSO)")
    pp = rate("pingpong", "pipe ping-pong round trip (1 byte)", "goal <= 4,000; Linux 6.1: 12,944")
    if (rate("unixpp", "AF_UNIX socketpair ping-pong (1 byte)", "") && pp)
      row("  socketpair / pipe ping-pong", sprintf("%.2fx", instr["unixpp"] / instr["pingpong"]),
          sprintf("%.2fx", median("unixpp") / median("pingpong")), "goal <= 1.2x")
    rate("yield", "sched_yield round trip (2 processes)", "two system calls and two switches, no data")
    rate("spawn", "fork+exec+wait, our static musl prog", "fork shares the pages of the parent, copy on write; bench is " benchkb " KB, static")
    rate("spawnbb", "fork+exec+wait, busybox /bin/true", "")
    if (rate("spawndyn", "fork+exec+wait, dynamic musl /tests/dyntrue", "loader + libc mapped from the initramfs") && ("spawn" in instr))
      row("  dynamic / static", sprintf("%.2fx", instr["spawndyn"] / instr["spawn"]),
          sprintf("%.2fx", median("spawndyn") / median("spawn")), "goal <= 2x (the static row: our static musl prog)")
    rate("filefault", "page fault on a private file mapping", "first touch of a page of /bin/busybox: a 4 KiB copy")
    if (rate("trace", "traced syscall (entry+exit stops)", "goal <= 5,000; Linux 6.1 ptrace: 21,477") && pp)
      row("  traced syscall / ping-pong", sprintf("%.2fx", instr["trace"] / instr["pingpong"]),
          sprintf("%.2fx", median("trace") / median("pingpong")), "goal <= 1.5x; Linux 6.1: 1.66x")
    # What any tracer loop of three calls a stop pays before it does anything: the
    # tracee call and the six of the tracer (7 system calls) and 4 switches.
    if (("trace" in instr) && ("yield" in instr) && ("getppid" in instr) && pp) {
      fl = 2 * instr["yield"] + 3 * instr["getppid"]
      row("  floor: 7 system calls + 4 switches", commas(fl + 0.5), "-",
          sprintf("%.2fx ping-pong: 2 yield round trips + 3 getppid", fl / instr["pingpong"]))
      row("  the work of the trace engine", commas(instr["trace"] - fl + 0.5), "-",
          "traced syscall minus the floor: 2 stops, 2 events, 2 register reads, 2 resumes")
    }
    if (rate("ptrace", "traced syscall through ptrace(2)", "wait4 + GETREGS + SYSCALL a stop; Linux 6.1: 21,477") && ("trace" in instr))
      row("  ptrace / proc: loop", sprintf("%.2fx", instr["ptrace"] / instr["trace"]),
          sprintf("%.2fx", median("ptrace") / median("trace")), "goal <= 1.15x (the door must be thin)")
    if ("memread" in instr && "memread" in nwall)
      rate("memread", "proc:PID/mem, 1 MiB in one pread", sprintf("%.0f MB/s; Linux /proc/PID/mem: 330-1,000 MB/s", 1048576 * 1000 / median("memread")))
    else rate("memread", "proc:PID/mem, 1 MiB in one pread", "")
    rate("step", "single step (write flags, read event)", "")
    if (rate("pstep", "single step through ptrace(2)", "PTRACE_SINGLESTEP + wait4") && ("step" in instr))
      row("  ptrace / proc: step", sprintf("%.2fx", instr["pstep"] / instr["step"]),
          sprintf("%.2fx", median("pstep") / median("step")), "goal <= 1.15x")
    rate("memword", "one word of proc:PID/mem (8-byte pread)", "")
    if (rate("peek", "one word through PTRACE_PEEKDATA", "") && ("memword" in instr))
      row("  PEEKDATA / proc: word", sprintf("%.2fx", instr["peek"] / instr["memword"]),
          sprintf("%.2fx", median("peek") / median("memword")), "goal <= 1.15x")
    if (rate("sc_plain", "getpid loop, untraced", "")) {
      if (rate("sc_all", "  under strace -o /dev/null", "per call: entry+exit stops and the decoding in strace") && ("trace" in instr))
        row("    strace cost above the engine floor", commas(instr["sc_all"] - instr["trace"] + 0.5), "-", "the floor: the traced syscall row")
      if (rate("sc_write", "  under strace -e trace=write -o /dev/null", "the kernel filter: no stop for getpid"))
        row("    filtered / untraced", sprintf("%.2fx", instr["sc_write"] / instr["sc_plain"]),
            sprintf("%.2fx", median("sc_write") / median("sc_plain")), "goal <= 1.2x")
    }
    rate("regs", "proc:PID/regs/int read (216 bytes)", "")
    fw = rate("forkwait", "fork+exit+wait, no exec", "")
    if (rate("thread", "pthread_create+join round trip", "") && fw)
      row("  pthread_create+join / fork+exit+wait", sprintf("%.2fx", instr["thread"] / instr["forkwait"]),
          sprintf("%.2fx", median("thread") / median("forkwait")), "goal <= 0.25x")
    if (rate("futex", "futex wake/wait ping-pong (2 threads)", "") && pp)
      row("  futex ping-pong / pipe ping-pong", sprintf("%.2fx", instr["futex"] / instr["pingpong"]),
          sprintf("%.2fx", median("futex") / median("pingpong")), "goal <= 0.5x")
    # gdb: ours over the virtio console beside the Debian gdbserver on the host; COM2.
    nv = split(gdbv, v, " "); nn = split(gdbn, nat, " "); nc = split(gdbc, c, " ")
    if (nv == 3) {
      c1 = c2 = c3 = "native: n/a: " (gdbnerr != "" ? gdbnerr : "no result")
      if (nn == 3) {
        c1 = sprintf("native gdbserver %s: %.2fx (goal <= 2x); 4 round trips", wallfmt(nat[1]), v[1] / nat[1])
        c2 = sprintf("native gdbserver %s: %.2fx (goal <= 2x)", wallfmt(nat[2]), v[2] / nat[2])
        c3 = sprintf("native gdbserver %.1f MB/s: %.2fx as fast", nat[3] / 1e6, v[3] / nat[3])
      }
      row("gdb: breakpoint hit, as gdb sees it", "-", wallfmt(v[1]), c1)
      row("gdb: x/1024xw (4 KiB, word by word)", "-", wallfmt(v[2]), c2)
      row("gdb: dump memory, 1 MiB", "-", sprintf("%.1f MB/s", v[3] / 1e6), c3)
      row("  (the three ride the virtio console)", "-", "-", "a virtserialport whose chardev is a localhost TCP server")
    } else {
      row("gdb: breakpoint hit, as gdb sees it", "n/a", "n/a", "n/a: " (gdbverr != "" ? gdbverr : "no result")); bad = 1
    }
    if (nc == 3) {
      row("gdb over COM2: breakpoint hit", "-", wallfmt(c[1]), "the fallback link: the emulated 16550 UART at 115,200 baud")
      row("gdb over COM2: x/128xw", "-", wallfmt(c[2]), "128 round trips")
      row("gdb over COM2: dump memory, 256 KiB", "-", sprintf("%.1f KB/s", c[3] / 1e3), "hex, two characters a byte")
    } else {
      row("gdb over COM2: breakpoint hit", "n/a", "n/a", "n/a: " (gdbcerr != "" ? gdbcerr : "no result")); bad = 1
    }
    if ("memfree" in value) row("free memory after boot", "-", commas(value["memfree"]) " kB", "MemFree, 128 MiB guest")
    else { row("free memory after boot", "n/a", "n/a", "n/a: " na("memfree")); bad = 1 }
    if ("procmem_total" in value)
      row("memory per sleeping process", "-", value["procmem_total"] " kB",
          "MemFree drop per child: kernel side and the pages it wrote; its VmRSS, " value["procmem_user"] " kB, counts pages still shared")
    else { row("memory per sleeping process", "n/a", "n/a", "n/a: " na("procmem")); bad = 1 }
    if ("dynmem_first" in value) {
      row("memory of a dynamic program (sleeping)", "-", value["dynmem_first"] " kB", "MemFree drop for /tests/dyntrue, page cache cold: the musl loader and libc")
      row("  a second instance of it", "-", value["dynmem_second"] " kB",
          sprintf("%.2f of the first; goal <= 0.25 (library pages shared)", value["dynmem_second"] / (value["dynmem_first"] ? value["dynmem_first"] : 1)))
    } else { row("memory of a dynamic program (sleeping)", "n/a", "n/a", "n/a: " na("dynmem")); bad = 1 }
    exit bad
  }' "$tmp/icount" "$tmp/wall"
