# shelltests.sh: busybox sh and its applets on Vitrine, checked by exact output.
#
# Run in the guest as `/bin/sh /tests/shelltests.sh` (busybox sh). It prints "PASS name" or
# "FAIL name: reason" per check and "N passed, N failed" last, and exits 1 if anything
# failed: the same format as usertests and posixtests. Every check compares what a
# command printed (and often its exit status) with the exact expected text.
#
# It also runs on the host with `busybox sh tests/guest/shelltests.sh`, which is how it is
# validated. It must stay fast on a slow emulated CPU: no sleeps that are waited out,
# and a few hundred processes in all.
#
# Scratch files live in one directory under /tmp, removed at the end. The checks and
# the count come from check.sh next to this file, sourced without starting a process.

case $0 in */*) . "${0%/*}/check.sh" ;; *) . ./check.sh ;; esac
T=/tmp/shelltests.$$
scratch

# --- Pipelines ------------------------------------------------------------------------

# Count the names in / containing "bin" with the shell's own globbing, then with ls.
n=0
for f in /*; do
  case ${f#/} in *bin*) n=$((n + 1)) ;; esac
done
check pipe_ls_grep_wc "$n" "$(ls / | grep bin | wc -l)"

mkdir tree tree/bin tree/sbin tree/etc tree/usr
check pipe_ls_grep_wc_known 2 "$(ls tree | grep bin | wc -l)"

printf 'b\na\nb\nc\nb\na\n' > words
check pipe_sort_uniq "      2 a${NL}      3 b${NL}      1 c" "$(cat words | sort | uniq -c)"
check pipe_sort_uniq_rank "3 b" "$(sort words | uniq -c | sort -rn | head -n 1 | sed 's/^ *//')"
check pipe_long "10000" "$(yes | head -n 10000 | wc -l)"
check pipe_seq_awk "500500" "$(seq 1 1000 | awk '{ s += $1 } END { print s }')"
check pipe_five_stages "3" "$(seq 1 20 | grep 1 | sed 's/1/x/' | grep -v x0 | tail -n 3 | wc -l)"

# --- Redirection ----------------------------------------------------------------------

echo one > out
echo two >> out
check redir_append "one${NL}two" "$(cat < out)"
echo three > out
check redir_truncate "three" "$(cat out)"
check redir_stderr_to_stdout "err" "$({ echo out; echo err >&2; } 2>&1 >/dev/null)"
{ echo to-out; echo to-err >&2; } > both 2>&1
check redir_both_to_file "to-out${NL}to-err" "$(cat both)"
ls /no-such-file-vitrine > /dev/null 2> err
check redir_stderr_file "1" "$(grep -c no-such-file-vitrine err)"
check redir_devnull_empty "0" "$(cat < /dev/null | wc -c)"
exec 3> fd3
echo via-fd3 >&3
exec 3>&-
check redir_exec_fd "via-fd3" "$(cat fd3)"
check redir_input_fd "one-line" "$(echo one-line > in; exec 4< in; cat <&4)"

# --- Here-documents --------------------------------------------------------------------

v=value
got=$(cat <<EOF
line 1 $v
  line 2 $((1 + 2))
EOF
)
check heredoc_expand "line 1 value${NL}  line 2 3" "$got"
got=$(cat <<'EOF'
no $v expansion $(here)
EOF
)
check heredoc_quoted 'no $v expansion $(here)' "$got"
got=$(tr a-z A-Z <<-EOF
	tabs stripped
	EOF
)
check heredoc_dash "TABS STRIPPED" "$got"

# --- sh -c, loops, functions, $(...), $? ---------------------------------------------

check sh_c_while "01234" "$(sh -c 'i=0; while [ $i -lt 5 ]; do printf %s $i; i=$((i + 1)); done')"
check sh_c_for "a-b-c-" "$(sh -c 'for x in a b c; do printf "%s-" $x; done')"
check sh_c_until "3" "$(sh -c 'n=0; until [ $n -ge 3 ]; do n=$((n + 1)); done; echo $n')"
check sh_c_args "x y|2" "$(sh -c 'echo "$1 $2|$#"' name x y)"
check sh_c_nested "inner" "$(sh -c 'sh -c "sh -c \"echo inner\""')"
check sh_c_env "set" "$(V=set sh -c 'echo $V')"

greet() {
  echo "hello $1 and $2"
  return 3
}
got=$(greet a b)
st=$?
check func_output "hello a and b" "$got"
check func_status "3" "$st"
count_args() { echo $#; }
check func_args "5" "$(count_args 1 "2 3" 4 '' 5)"

check subst_nested "outer-inner" "$(echo "outer-$(echo inner)")"
check subst_backticks "tick" "`echo tick`"
check subst_arith "42" "$((6 * 7))"

false
check status_false "1" "$?"
(exit 7)
check status_subshell "7" "$?"
sh -c 'exit 42'
check status_sh_c "42" "$?"
# (the shell's "Terminated" notice goes to /dev/null with the rest of stderr)
check status_signal "143" "$({ sh -c 'kill -TERM $$; echo survived'; echo $?; } 2> /dev/null)"
/no/such/command 2> /dev/null
check status_not_found "127" "$?"

# --- test, case, read -------------------------------------------------------------------

mkdir dir
printf '#!/bin/sh\n' > exe
chmod +x exe
t=""
[ -f out ] && t="${t}f"
[ -d dir ] && t="${t}d"
[ -x exe ] && t="${t}x"
[ ! -e missing ] && t="${t}!"
[ -z "" ] && t="${t}z"
[ -n "a" ] && t="${t}n"
[ "abc" = "abc" ] && t="${t}="
[ "abc" != "abd" ] && t="${t}~"
[ 3 -lt 10 ] && t="${t}<"
[ 10 -eq 10 ] && t="${t}e"
[ -s out ] && t="${t}s"
test 2 -gt 5 || t="${t}g"
check test_ops "fdx!zn=~<esg" "$t"

classify() {
  case $1 in
    [0-9]*) echo num ;;
    *.txt | *.md) echo doc ;;
    "") echo empty ;;
    *) echo other ;;
  esac
}
check case_patterns "num doc doc empty other" "$(classify 12) $(classify a.txt) $(classify b.md) $(classify '') $(classify x)"

check read_pipe "b c|a" "$(echo "a b c" | { read x y; echo "$y|$x"; })"
got=$(printf 'one\ntwo\nthree\n' | {
  n=0
  while read line; do n=$((n + 1)); last=$line; done
  echo "$n $last"
})
check read_loop "3 three" "$got"
check read_ifs "b" "$(echo "a:b:c" | { IFS=: read p q r; echo "$q"; })"

# --- Applets -----------------------------------------------------------------------------

check xargs_join "1 2 3" "$(printf '1\n2\n3\n' | xargs echo)"
check xargs_n1 "x 1${NL}x 2" "$(printf '1 2' | xargs -n 1 echo x)"

mkdir -p ft/a/b ft/c
: > ft/a/b/one.txt
: > ft/c/two.txt
: > ft/c/three.log
check find_name "$T/ft/a/b/one.txt${NL}$T/ft/c/two.txt" "$(find "$T/ft" -name '*.txt' | sort)"
check find_type_d "ft${NL}ft/a${NL}ft/a/b${NL}ft/c" "$(find ft -type d | sort)"
check find_tmp "$T/ft/c/three.log" "$(find /tmp -name three.log 2> /dev/null)"

check sed_subst "bar bar baz" "$(echo 'foo foo baz' | sed 's/foo/bar/g')"
check sed_print_line "b" "$(printf 'a\nb\nc\n' | sed -n '2p')"
check sed_delete "a${NL}c" "$(printf 'a\nb\nc\n' | sed '/b/d')"
check sed_inplace "X-Y" "$(echo 'x-y' > sedf; sed -i 's/x/X/; s/y/Y/' sedf; cat sedf)"

check awk_sum "60" "$(printf 'a 10\nb 20\nc 30\n' | awk '{ s += $2 } END { print s }')"
check awk_fields "root:0" "$(echo 'root:x:0:0' | awk -F: '{ print $1 ":" $3 }')"
check awk_printf "[  7|ab]" "$(echo '7 ab' | awk '{ printf "[%3d|%s]\n", $1, $2 }')"
check awk_nr "2 b" "$(printf 'a\nb\n' | awk 'END { print NR, $0 }')"

seq 1 10 > ten
check head_n "1${NL}2" "$(head -n 2 ten)"
check tail_n "9${NL}10" "$(tail -n 2 ten)"
check tail_c "10" "$(tail -c 3 ten)"
check head_c "1${NL}2" "$(head -c 3 ten)"

check tr_upper "HELLO" "$(echo hello | tr a-z A-Z)"
check tr_delete "hll" "$(echo hello | tr -d eo)"
check tr_squeeze "a b" "$(echo 'a     b' | tr -s ' ')"

check cut_fields "x:z" "$(echo 'w:x:y:z' | cut -d: -f2,4)"
check cut_field "x" "$(echo 'w:x:y:z' | cut -d: -f2)"
check cut_chars "hel" "$(echo hello | cut -c1-3)"

check expr_add "7" "$(expr 3 + 4)"
check expr_div "3" "$(expr 10 / 3)"
check expr_mul "12" "$(expr 3 \* 4)"
check expr_length "5" "$(expr length hello)"
expr 0 + 0 > /dev/null
check expr_zero_status "1" "$?"
check expr_compare "1" "$(expr 5 \> 3)"

# --- /tmp round trips ---------------------------------------------------------------------

D=$T/rt
mkdir "$D"
echo first > "$D/file"
echo second >> "$D/file"
check tmp_read_back "first${NL}second" "$(cat "$D/file")"
mv "$D/file" "$D/moved"
t=""
[ -e "$D/file" ] || t="${t}gone "
[ -f "$D/moved" ] && t="${t}moved "
t="$t$(cat "$D/moved" | wc -l)"
check tmp_mv "gone moved 2" "$t"
mkdir "$D/sub"
cp "$D/moved" "$D/sub/copy"
check tmp_cp "first${NL}second" "$(cat "$D/sub/copy")"
rmdir "$D/sub" 2> /dev/null
check tmp_rmdir_nonempty "1" "$?"
rm "$D/sub/copy"
rmdir "$D/sub"
rm "$D/moved"
t=""
[ -e "$D/sub" ] || t="${t}nosub "
[ -e "$D/moved" ] || t="${t}nofile "
rmdir "$D" && t="${t}rmdir"
check tmp_cleanup "nosub nofile rmdir" "$t"
check tmp_ls_empty "" "$(mkdir e; ls e; rmdir e)"
check tmp_touch_ls "a b c" "$(mkdir l; : > l/c; : > l/a; : > l/b; ls l | tr '\n' ' ' | sed 's/ $//'; rm -r l)"

# --- #! scripts ------------------------------------------------------------------------------

cat > script.sh <<'EOF'
#!/bin/sh
echo "script $# $*"
exit 3
EOF
chmod +x script.sh
got=$(./script.sh a "b c")
check shebang_run "script 2 a b c|3" "$got|$?"
check shebang_abs "script 0 " "$("$T/script.sh")"
cat > caller.sh <<EOF
#!/bin/sh
$T/script.sh from-caller
echo "callee said \$?"
EOF
chmod +x caller.sh
check shebang_nested "script 1 from-caller${NL}callee said 3" "$(./caller.sh)"
printf '#!/bin/sh\necho no\n' > noexec.sh
./noexec.sh 2> /dev/null
check shebang_not_executable "126" "$?"
printf '#!/bin/sh -e\nfalse\necho not-reached\n' > dash_e.sh
chmod +x dash_e.sh
got=$(./dash_e.sh)
check shebang_arg "|1" "$got|$?"

# --- Exit statuses of pipelines ------------------------------------------------------------

false | true
check pipestatus_last_true "0" "$?"
true | false
check pipestatus_last_false "1" "$?"
! true
check pipestatus_negate "1" "$?"
check pipestatus_sigpipe_writer "y${NL}y${NL}y${NL}|0" "$(yes | head -n 3; echo "|$?")"
check pipestatus_sh_c "4" "$(sh -c 'echo x | sh -c "read a; exit 4"'; echo $?)"
if (set -o pipefail) 2> /dev/null; then
  check pipefail_first "1" "$(set -o pipefail; false | true; echo $?)"
  check pipefail_sigpipe "141" "$(set -o pipefail; yes | head -n 1 > /dev/null; echo $?)"
fi

# --- Job control ------------------------------------------------------------------------
#
# Last, because a kernel bug here tends to hang rather than fail. A killed background
# job reports 128 + SIGTERM. The inner shell runs in a session of its own (setsid), so
# what `set -m` does is the same wherever this script runs: with no controlling
# terminal it warns on stderr that job control is off, and job specs like %1 still
# work. (Without setsid, a script run in the background of a terminal would have the
# inner shell stop itself with SIGTTIN.) timeout -s KILL turns a hang into a failure.

job() {
  timeout -s KILL 5 setsid sh -c "$1" < /dev/null 2> /dev/null
}
check job_kill_wait "143" "$(job 'set -m; sleep 10 & kill %1; wait %1; echo $?')"
check job_kill_pid "143" "$(job 'sleep 10 & kill $!; wait $!; echo $?')"
check job_kill_9 "137" "$(job 'sleep 10 & kill -9 $!; wait $!; echo $?')"
check job_exit_status "5" "$(job '(exit 5) & wait $!; echo $?')"
check job_wait_all "0 ab" "$(job 'echo a > j1 & echo b > j2 & wait; echo $? $(cat j1 j2 | tr -d "\n")')"
check trap_signal "caught${NL}after" "$(job 'trap "echo caught" USR1; kill -USR1 $$; echo after')"
check trap_exit "body${NL}bye" "$(job 'trap "echo bye" EXIT; echo body')"

# --- init cannot be stopped or killed -----------------------------------------------
# Only on Vitrine: this never signals the host's init. If a signal got through, the
# kernel would panic (init gone) and the run would end without its count line.
# (Vitrine's uname says Linux, with Vitrine in its version: include/vitrine/uname.h.)
if case "$(uname -v)" in *Vitrine*) true;; *) false;; esac; then
  kill -KILL 1; kill -STOP 1; kill -TERM 1; kill -SEGV 1
  check init_unkillable "S" "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/1/status)"
fi

finish
