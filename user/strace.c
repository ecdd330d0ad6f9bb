// strace [-f] [-c] [-C] [-e trace=SET] [-o FILE] [-p PID] [-s SIZE] [-t[t[t]]] [-T]
//        [PROGRAM ARGS...]
// Linux's strace for Vitrine, built on the proc: scheme only (docs/proc.md): a session on
// proc:PID/trace stops the tracee at syscall entry and exit, signals, exec and clone;
// proc:PID/mem and proc:PID/regs/int show its memory and registers at each stop.
//
// How a program is started: strace forks; the child blocks reading a pipe; the parent
// opens proc:CHILD/trace (without O_TRUNC), writes a sysfilter holding only execve and
// its stop flags, then writes one byte to the pipe. The child's read returns and it
// execs. Nothing the child does before the execve stops (the filter), nothing can be
// missed (the session exists before the byte is sent), and no signal is involved (the
// SIGSTOP/SIGCONT handshake would show up as signal stops and job-control noise). At the
// exec stop the user's -e filter replaces the execve-only one.
//
// Lines are printed as strace prints them: the arguments the kernel reads at syscall
// entry, the ones it fills at exit (read buffers, struct stat, pipe fds...) with the
// result. When another traced process prints in between, the first line ends with
// " <unfinished ...>" and continues as "<... NAME resumed>".
//
// Each system call's arguments are described as data (the decoders[] table: a name and
// one kind per argument); each kind has one small formatter (kinds[]). The names come
// from the kernel's own table, include/vitrine/syscalls.def.
//
// -e trace=SET is done by the kernel: the set is written to proc:PID/sysfilter, so other
// calls run with no stop at all.
//
// siginfo: the signal stop reports only the signal and its handler. For a signal with a
// handler, strace resumes with a single step, which ends at the handler's first
// instruction with rsi pointing at the siginfo in the new frame, and reads it there. For
// signals without a handler only si_signo is known (the engine should report the
// siginfo in the signal event).
#define _GNU_SOURCE // memrchr, pipe2
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/procabi.h>
#include <vitrine/siginfo.h>

#include "proc.h"

#define NSYS 512           // sysfilter covers numbers 0..511
#define MAXPATH 4096       // paths are not cut at -s, as in strace
#define MAXTRACEES 256
#define NR_EXECVE 59
#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define NR_PRLIMIT64 302
#define NR_GETRANDOM 318

static const char *const sys_names[NSYS] = {
#define SYSCALL(nr, name) [nr] = #name,
#include <vitrine/syscalls.def>
#undef SYSCALL
};

// ---- value tables ----------------------------------------------------------------------

struct xlat {
  uint64_t val;
  const char *name;
};

static const struct xlat x_open[] = { // after the access mode; multi-bit flags first
    {020200000, "O_TMPFILE"}, {04010000, "O_SYNC"}, {0100, "O_CREAT"}, {0200, "O_EXCL"},
    {0400, "O_NOCTTY"}, {01000, "O_TRUNC"}, {02000, "O_APPEND"}, {04000, "O_NONBLOCK"},
    {010000, "O_DSYNC"}, {020000, "O_ASYNC"}, {040000, "O_DIRECT"}, {0100000, "O_LARGEFILE"},
    {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"}, {010000000, "O_PATH"}, {0, NULL}};
static const struct xlat x_at[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"}, {0, NULL}};
static const struct xlat x_access[] = {{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}, {0, NULL}};
#define PT(n, name) {n, "PTRACE_" #name}
static const struct xlat x_ptrace[] = {
    PT(0, TRACEME), PT(1, PEEKTEXT), PT(2, PEEKDATA), PT(3, PEEKUSER), PT(4, POKETEXT),
    PT(5, POKEDATA), PT(6, POKEUSER), PT(7, CONT), PT(8, KILL), PT(9, SINGLESTEP),
    PT(12, GETREGS), PT(13, SETREGS), PT(14, GETFPREGS), PT(15, SETFPREGS), PT(16, ATTACH),
    PT(17, DETACH), PT(24, SYSCALL), PT(30, ARCH_PRCTL), PT(31, SYSEMU),
    PT(32, SYSEMU_SINGLESTEP), PT(0x4200, SETOPTIONS), PT(0x4201, GETEVENTMSG),
    PT(0x4202, GETSIGINFO), PT(0x4203, SETSIGINFO), PT(0x4204, GETREGSET),
    PT(0x4205, SETREGSET), PT(0x4206, SEIZE), PT(0x4207, INTERRUPT), PT(0x4208, LISTEN),
    PT(0x4209, PEEKSIGINFO), PT(0x420a, GETSIGMASK), PT(0x420b, SETSIGMASK),
    PT(0x420e, GET_SYSCALL_INFO), {0, NULL}};
#undef PT
static const struct xlat x_whence[] = {{0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"},
                                       {3, "SEEK_DATA"}, {4, "SEEK_HOLE"}, {0, NULL}};
static const struct xlat x_prot[] = {{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"},
                                     {8, "PROT_SEM"}, {0x01000000, "PROT_GROWSDOWN"},
                                     {0x02000000, "PROT_GROWSUP"}, {0, NULL}};
static const struct xlat x_mremap[] = {{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"},
                                      {4, "MREMAP_DONTUNMAP"}, {0, NULL}};
static const struct xlat x_madv[] = {
    {0, "MADV_NORMAL"}, {1, "MADV_RANDOM"}, {2, "MADV_SEQUENTIAL"}, {3, "MADV_WILLNEED"},
    {4, "MADV_DONTNEED"}, {8, "MADV_FREE"}, {9, "MADV_REMOVE"}, {10, "MADV_DONTFORK"},
    {11, "MADV_DOFORK"}, {12, "MADV_MERGEABLE"}, {13, "MADV_UNMERGEABLE"},
    {14, "MADV_HUGEPAGE"}, {15, "MADV_NOHUGEPAGE"}, {16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"},
    {18, "MADV_WIPEONFORK"}, {19, "MADV_KEEPONFORK"}, {20, "MADV_COLD"}, {21, "MADV_PAGEOUT"},
    {22, "MADV_POPULATE_READ"}, {23, "MADV_POPULATE_WRITE"}, {24, "MADV_DONTNEED_LOCKED"},
    {25, "MADV_COLLAPSE"}, {100, "MADV_HWPOISON"}, {101, "MADV_SOFT_OFFLINE"}, {0, NULL}};
static const struct xlat x_maptype[] = {{1, "MAP_SHARED"}, {2, "MAP_PRIVATE"},
                                        {3, "MAP_SHARED_VALIDATE"}, {0, NULL}};
static const struct xlat x_map[] = {
    {0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x40, "MAP_32BIT"}, {0x100, "MAP_GROWSDOWN"},
    {0x800, "MAP_DENYWRITE"}, {0x1000, "MAP_EXECUTABLE"}, {0x2000, "MAP_LOCKED"},
    {0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"}, {0x10000, "MAP_NONBLOCK"},
    {0x20000, "MAP_STACK"}, {0x40000, "MAP_HUGETLB"}, {0x80000, "MAP_SYNC"},
    {0x100000, "MAP_FIXED_NOREPLACE"}, {0, NULL}};
static const struct xlat x_sighow[] = {{0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"},
                                       {0, NULL}};
static const struct xlat x_saflags[] = {
    {1, "SA_NOCLDSTOP"}, {2, "SA_NOCLDWAIT"}, {4, "SA_SIGINFO"}, {0x04000000, "SA_RESTORER"},
    {0x08000000, "SA_ONSTACK"}, {0x10000000, "SA_RESTART"}, {0x40000000, "SA_NODEFER"},
    {0x80000000, "SA_RESETHAND"}, {0, NULL}};
static const struct xlat x_clone[] = {
    {0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"}, {0x2000, "CLONE_PTRACE"}, {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"}, {0x10000, "CLONE_THREAD"}, {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"}, {0x80000, "CLONE_SETTLS"}, {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"}, {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"}, {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"}, {0x4000000, "CLONE_NEWUTS"}, {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"}, {0, NULL}};
static const struct xlat x_wait[] = {
    {1, "WNOHANG"}, {2, "WSTOPPED"}, {4, "WEXITED"}, {8, "WCONTINUED"},
    {0x1000000, "WNOWAIT"}, {0x20000000, "__WNOTHREAD"}, {0x40000000, "__WALL"},
    {0x80000000, "__WCLONE"}, {0, NULL}};
static const struct xlat x_fcntl[] = {
    {0, "F_DUPFD"}, {1, "F_GETFD"}, {2, "F_SETFD"}, {3, "F_GETFL"}, {4, "F_SETFL"},
    {5, "F_GETLK"}, {6, "F_SETLK"}, {7, "F_SETLKW"}, {8, "F_SETOWN"}, {9, "F_GETOWN"},
    {10, "F_SETSIG"}, {11, "F_GETSIG"}, {36, "F_OFD_GETLK"}, {37, "F_OFD_SETLK"}, {38, "F_OFD_SETLKW"},
    {1024, "F_SETLEASE"}, {1025, "F_GETLEASE"}, {1030, "F_DUPFD_CLOEXEC"}, {1031, "F_SETPIPE_SZ"},
    {1032, "F_GETPIPE_SZ"}, {0, NULL}};
static const struct xlat x_ioctl[] = {
    {0x5401, "TCGETS"}, {0x5402, "TCSETS"}, {0x5403, "TCSETSW"}, {0x5404, "TCSETSF"},
    {0x5409, "TCSBRK"}, {0x540a, "TCXONC"}, {0x540b, "TCFLSH"}, {0x540e, "TIOCSCTTY"},
    {0x540f, "TIOCGPGRP"}, {0x5410, "TIOCSPGRP"}, {0x5411, "TIOCOUTQ"},
    {0x5413, "TIOCGWINSZ"}, {0x5414, "TIOCSWINSZ"}, {0x541b, "FIONREAD"}, {0x5421, "FIONBIO"},
    {0x5422, "TIOCNOTTY"}, {0x5429, "TIOCGSID"}, {0x5450, "FIONCLEX"}, {0x5451, "FIOCLEX"},
    {0, NULL}};
static const struct xlat x_clock[] = {
    {0, "CLOCK_REALTIME"}, {1, "CLOCK_MONOTONIC"}, {2, "CLOCK_PROCESS_CPUTIME_ID"},
    {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"}, {5, "CLOCK_REALTIME_COARSE"},
    {6, "CLOCK_MONOTONIC_COARSE"}, {7, "CLOCK_BOOTTIME"}, {0, NULL}};
static const struct xlat x_timer[] = {{1, "TIMER_ABSTIME"}, {0, NULL}};
static const struct xlat x_itimer[] = {{0, "ITIMER_REAL"}, {1, "ITIMER_VIRTUAL"},
                                       {2, "ITIMER_PROF"}, {0, NULL}};
static const struct xlat x_flock[] = {{1, "LOCK_SH"}, {2, "LOCK_EX"}, {4, "LOCK_NB"},
                                      {8, "LOCK_UN"}, {0, NULL}};
static const struct xlat x_idtype[] = {{0, "P_ALL"}, {1, "P_PID"}, {2, "P_PGID"},
                                       {3, "P_PIDFD"}, {0, NULL}};
static const struct xlat x_rlimit[] = {
    {0, "RLIMIT_CPU"}, {1, "RLIMIT_FSIZE"}, {2, "RLIMIT_DATA"}, {3, "RLIMIT_STACK"},
    {4, "RLIMIT_CORE"}, {5, "RLIMIT_RSS"}, {6, "RLIMIT_NPROC"}, {7, "RLIMIT_NOFILE"},
    {8, "RLIMIT_MEMLOCK"}, {9, "RLIMIT_AS"}, {10, "RLIMIT_LOCKS"}, {11, "RLIMIT_SIGPENDING"},
    {12, "RLIMIT_MSGQUEUE"}, {13, "RLIMIT_NICE"}, {14, "RLIMIT_RTPRIO"}, {15, "RLIMIT_RTTIME"},
    {0, NULL}};
static const struct xlat x_arch[] = {{0x1001, "ARCH_SET_GS"}, {0x1002, "ARCH_SET_FS"},
                                     {0x1003, "ARCH_GET_FS"}, {0x1004, "ARCH_GET_GS"}, {0, NULL}};
static const struct xlat x_reboot_magic[] = {
    {0xfee1dead, "LINUX_REBOOT_MAGIC1"}, {672274793, "LINUX_REBOOT_MAGIC2"},
    {85072278, "LINUX_REBOOT_MAGIC2A"}, {369367448, "LINUX_REBOOT_MAGIC2B"},
    {537993216, "LINUX_REBOOT_MAGIC2C"}, {0, NULL}};
static const struct xlat x_reboot_cmd[] = {
    {0x01234567, "LINUX_REBOOT_CMD_RESTART"}, {0xcdef0123, "LINUX_REBOOT_CMD_HALT"},
    {0x89abcdef, "LINUX_REBOOT_CMD_CAD_ON"}, {0, "LINUX_REBOOT_CMD_CAD_OFF"},
    {0x4321fedc, "LINUX_REBOOT_CMD_POWER_OFF"}, {0xa1b2c3d4, "LINUX_REBOOT_CMD_RESTART2"},
    {0xd000fce2, "LINUX_REBOOT_CMD_SW_SUSPEND"}, {0x45584543, "LINUX_REBOOT_CMD_KEXEC"},
    {0, NULL}};
static const struct xlat x_rename[] = {{1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"},
                                       {4, "RENAME_WHITEOUT"}, {0, NULL}};
static const struct xlat x_af[] = {{0, "AF_UNSPEC"}, {1, "AF_UNIX"}, {2, "AF_INET"},
                                  {10, "AF_INET6"}, {16, "AF_NETLINK"}, {17, "AF_PACKET"},
                                  {0, NULL}};
static const struct xlat x_socktype[] = {{1, "SOCK_STREAM"}, {2, "SOCK_DGRAM"}, {3, "SOCK_RAW"},
                                        {5, "SOCK_SEQPACKET"}, {0, NULL}};
static const struct xlat x_sockflags[] = {{04000, "SOCK_NONBLOCK"}, {02000000, "SOCK_CLOEXEC"},
                                         {0, NULL}};
static const struct xlat x_msg[] = {
    {1, "MSG_OOB"}, {2, "MSG_PEEK"}, {8, "MSG_CTRUNC"}, {0x20, "MSG_TRUNC"},
    {0x40, "MSG_DONTWAIT"}, {0x80, "MSG_EOR"}, {0x100, "MSG_WAITALL"},
    {0x4000, "MSG_NOSIGNAL"}, {0x40000000, "MSG_CMSG_CLOEXEC"}, {0, NULL}};
static const struct xlat x_shut[] = {{0, "SHUT_RD"}, {1, "SHUT_WR"}, {2, "SHUT_RDWR"}, {0, NULL}};
static const struct xlat x_soclevel[] = {{1, "SOL_SOCKET"}, {0, NULL}};
static const struct xlat x_ipcflags[] = {
    {01000, "IPC_CREAT"}, {02000, "IPC_EXCL"}, {04000, "IPC_NOWAIT"}, {010000, "MSG_NOERROR"},
    {020000, "MSG_EXCEPT"}, {0x1000, "SEM_UNDO"}, {0, NULL}};
static const struct xlat x_shmat[] = {{010000, "SHM_RDONLY"}, {020000, "SHM_RND"},
                                     {040000, "SHM_REMAP"}, {0100000, "SHM_EXEC"}, {0, NULL}};
static const struct xlat x_ipccmd[] = {
    {0, "IPC_RMID"}, {1, "IPC_SET"}, {2, "IPC_STAT"}, {3, "IPC_INFO"}, {11, "GETPID"},
    {12, "GETVAL"}, {13, "GETALL"}, {14, "GETNCNT"}, {15, "GETZCNT"}, {16, "SETVAL"},
    {17, "SETALL"}, {0, NULL}};
static const struct xlat x_grnd[] = {{1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"},
                                     {4, "GRND_INSECURE"}, {0, NULL}};
static const struct xlat x_poll[] = {
    {1, "POLLIN"}, {2, "POLLPRI"}, {4, "POLLOUT"}, {8, "POLLERR"}, {0x10, "POLLHUP"},
    {0x20, "POLLNVAL"}, {0x40, "POLLRDNORM"}, {0x80, "POLLRDBAND"}, {0x100, "POLLWRNORM"},
    {0x200, "POLLWRBAND"}, {0x400, "POLLMSG"}, {0x2000, "POLLRDHUP"}, {0, NULL}};
static const struct xlat x_ss[] = {{1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {0, NULL}};
// prctl options, and how strace shows the argument: 's' a string, 'S' a signal, 'p' a
// pointer the call fills, 'd' a number, '-' nothing.
static const struct { uint32_t opt; char shape; const char *name; } prctls[] = {
    {1, 'S', "PR_SET_PDEATHSIG"}, {2, 'p', "PR_GET_PDEATHSIG"}, {3, '-', "PR_GET_DUMPABLE"},
    {4, 'd', "PR_SET_DUMPABLE"}, {15, 's', "PR_SET_NAME"}, {16, 'p', "PR_GET_NAME"},
    {36, 'd', "PR_SET_CHILD_SUBREAPER"}, {37, 'p', "PR_GET_CHILD_SUBREAPER"},
    {38, 'd', "PR_SET_NO_NEW_PRIVS"}, {39, '-', "PR_GET_NO_NEW_PRIVS"}};
static const struct xlat x_fs_magic[] = {
    {0x01021994, "TMPFS_MAGIC"}, {0x858458f6, "RAMFS_MAGIC"}, {0x9fa0, "PROC_SUPER_MAGIC"},
    {0xef53, "EXT2_SUPER_MAGIC"}, {0x1cd1, "DEVPTS_SUPER_MAGIC"}, {0x62656572, "SYSFS_MAGIC"},
    {0x28cd3d45, "CRAMFS_MAGIC"}, {0, NULL}};
static const struct xlat x_st_flags[] = {
    {1, "ST_RDONLY"}, {2, "ST_NOSUID"}, {4, "ST_NODEV"}, {8, "ST_NOEXEC"},
    {16, "ST_SYNCHRONOUS"}, {0x20, "ST_VALID"}, {64, "ST_MANDLOCK"}, {1024, "ST_NOATIME"},
    {2048, "ST_NODIRATIME"}, {4096, "ST_RELATIME"}, {0, NULL}};
static const struct xlat x_mode_type[] = {
    {0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"}, {060000, "S_IFBLK"},
    {040000, "S_IFDIR"}, {020000, "S_IFCHR"}, {010000, "S_IFIFO"}, {0, NULL}};
static const struct xlat x_mode_bits[] = {{04000, "S_ISUID"}, {02000, "S_ISGID"},
                                          {01000, "S_ISVTX"}, {0, NULL}};
// termios, as strace 6 prints TCGETS: the delay fields first, then the flags.
static const struct xlat x_iflag[] = {
    {1, "IGNBRK"}, {2, "BRKINT"}, {4, "IGNPAR"}, {010, "PARMRK"}, {020, "INPCK"},
    {040, "ISTRIP"}, {0100, "INLCR"}, {0200, "IGNCR"}, {0400, "ICRNL"}, {01000, "IUCLC"},
    {02000, "IXON"}, {04000, "IXANY"}, {010000, "IXOFF"}, {020000, "IMAXBEL"},
    {040000, "IUTF8"}, {0, NULL}};
static const struct xlat x_oflag[] = {
    {1, "OPOST"}, {2, "OLCUC"}, {4, "ONLCR"}, {010, "OCRNL"}, {020, "ONOCR"}, {040, "ONLRET"},
    {0100, "OFILL"}, {0200, "OFDEL"}, {0, NULL}};
static const struct xlat x_cflag[] = {{0100, "CSTOPB"}, {0200, "CREAD"}, {0400, "PARENB"},
                                      {01000, "PARODD"}, {02000, "HUPCL"}, {04000, "CLOCAL"},
                                      {020000000000, "CRTSCTS"}, {0, NULL}};
static const struct xlat x_lflag[] = {
    {1, "ISIG"}, {2, "ICANON"}, {4, "XCASE"}, {010, "ECHO"}, {020, "ECHOE"}, {040, "ECHOK"},
    {0100, "ECHONL"}, {0200, "NOFLSH"}, {0400, "TOSTOP"}, {01000, "ECHOCTL"},
    {02000, "ECHOPRT"}, {04000, "ECHOKE"}, {010000, "FLUSHO"}, {040000, "PENDIN"},
    {0100000, "IEXTEN"}, {0200000, "EXTPROC"}, {0, NULL}};
static const struct xlat x_baud[] = {
    {0, "B0"}, {1, "B50"}, {2, "B75"}, {3, "B110"}, {4, "B134"}, {5, "B150"}, {6, "B200"},
    {7, "B300"}, {8, "B600"}, {9, "B1200"}, {10, "B1800"}, {11, "B2400"}, {12, "B4800"},
    {13, "B9600"}, {14, "B19200"}, {15, "B38400"}, {010001, "B57600"}, {010002, "B115200"},
    {010003, "B230400"}, {0, NULL}};
// Output delay fields: mask, shift, and the name prefix ("NL" -> NL0, NL1).
static const struct { uint32_t mask; int shift; const char *prefix; } o_delays[] = {
    {0400, 8, "NL"}, {03000, 9, "CR"}, {014000, 11, "TAB"}, {020000, 13, "BS"},
    {040000, 14, "VT"}, {0100000, 15, "FF"}};

static const char *const sig_names[32] = {
    "0",    "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT", "BUS",   "FPE",  "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD", "CONT",  "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "PWR",  "SYS"};

// errno names and glibc's messages (strace prints those, and musl's differ).
static const struct { int err; const char *name, *msg; } errnos[] = {
    {1, "EPERM", "Operation not permitted"}, {2, "ENOENT", "No such file or directory"},
    {3, "ESRCH", "No such process"}, {4, "EINTR", "Interrupted system call"},
    {5, "EIO", "Input/output error"}, {6, "ENXIO", "No such device or address"},
    {7, "E2BIG", "Argument list too long"}, {8, "ENOEXEC", "Exec format error"},
    {9, "EBADF", "Bad file descriptor"}, {10, "ECHILD", "No child processes"},
    {11, "EAGAIN", "Resource temporarily unavailable"}, {12, "ENOMEM", "Cannot allocate memory"},
    {13, "EACCES", "Permission denied"}, {14, "EFAULT", "Bad address"},
    {15, "ENOTBLK", "Block device required"}, {16, "EBUSY", "Device or resource busy"},
    {17, "EEXIST", "File exists"}, {18, "EXDEV", "Invalid cross-device link"},
    {19, "ENODEV", "No such device"}, {20, "ENOTDIR", "Not a directory"},
    {21, "EISDIR", "Is a directory"}, {22, "EINVAL", "Invalid argument"},
    {23, "ENFILE", "Too many open files in system"}, {24, "EMFILE", "Too many open files"},
    {25, "ENOTTY", "Inappropriate ioctl for device"}, {26, "ETXTBSY", "Text file busy"},
    {27, "EFBIG", "File too large"}, {28, "ENOSPC", "No space left on device"},
    {29, "ESPIPE", "Illegal seek"}, {30, "EROFS", "Read-only file system"},
    {31, "EMLINK", "Too many links"}, {32, "EPIPE", "Broken pipe"},
    {33, "EDOM", "Numerical argument out of domain"}, {34, "ERANGE", "Numerical result out of range"},
    {35, "EDEADLK", "Resource deadlock avoided"}, {36, "ENAMETOOLONG", "File name too long"},
    {37, "ENOLCK", "No locks available"}, {38, "ENOSYS", "Function not implemented"},
    {39, "ENOTEMPTY", "Directory not empty"}, {40, "ELOOP", "Too many levels of symbolic links"},
    {61, "ENODATA", "No data available"}, {62, "ETIME", "Timer expired"},
    {75, "EOVERFLOW", "Value too large for defined data type"},
    {84, "EILSEQ", "Invalid or incomplete multibyte or wide character"},
    {95, "EOPNOTSUPP", "Operation not supported"}, {110, "ETIMEDOUT", "Connection timed out"},
    {512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
    {513, "ERESTARTNOINTR", "To be restarted"}, {514, "ERESTARTNOHAND", "To be restarted if no handler"},
    {516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"}};

// ---- system-call decoders ----------------------------------------------------------------

// How one argument is shown. Kinds whose memory the kernel fills are printed at syscall
// exit (kinds[].at_exit); the others at entry.
enum kind {
  K_INT, K_UINT, K_LONG, K_ULONG, K_HEX, K_PTR, K_DIRFD, K_ID, K_PATH, K_STR, K_BUF_IN,
  K_BUF_OUT, K_BUF_HEX_OUT, K_STR_RET, K_OCT, K_OFLAGS, K_OMODE, K_FDFLAGS, K_ATFLAGS,
  K_ACCESS, K_WHENCE, K_PROT, K_MAPFLAGS, K_SIGNUM, K_SIGHOW, K_SIGSET_IN, K_SIGSET_OUT,
  K_SIGACT_IN, K_SIGACT_OUT, K_SIGRETURN, K_SIGINFO_OUT, K_STACK_IN, K_STACK_OUT,
  K_TIMESPEC_IN, K_TIMESPEC_OUT, K_TIMESPEC_REM, K_TIMEVAL_IN, K_TIMEVAL_OUT, K_TIMESPEC2,
  K_TIMEVAL2, K_UTIMBUF, K_TIME_OUT, K_STAT_OUT, K_PIPEFDS, K_ARGV, K_ENVP, K_CLONE,
  K_WSTATUS, K_WOPTS, K_RUSAGE, K_FCNTL_CMD, K_FCNTL_ARG, K_IOCTL_REQ, K_IOCTL_ARG, K_UNAME,
  K_RLIM_RES, K_RLIMIT_IN, K_RLIMIT_OUT, K_SYSINFO, K_IOV_IN, K_IOV_OUT, K_POLLFDS, K_FDSET,
  K_PSEL_MASK, K_DIRENTS, K_ARCH_CODE, K_CLOCKID, K_TIMER_FLAGS, K_PRCTL, K_REBOOT_MAGIC,
  K_REBOOT_CMD, K_GROUPS_IN, K_GROUPS_OUT, K_IDPTR_OUT, K_OFFPTR, K_RENAME_FLAGS,
  K_GRND_FLAGS, K_STATFS_OUT, K_SOCKDOM, K_SOCKTYPE, K_MSGFLAGS, K_SHUTHOW, K_SOCKLEVEL,
  K_IPCKEY, K_IPCFLAGS, K_IPCCMD, K_SHMATFLAGS, K_PTRACE_REQ, K_FUTEX, K_CLONE3, K_IDTYPE,
  K_ITIMER, K_FLOCK_OP, K_MREMAP_FLAGS, K_MADVICE, NKINDS
};

// How the result is shown.
enum ret_kind { R_DEC, R_HEX, R_OCT, R_NONE, R_FCNTL, R_POLL, R_SELECT, R_SIG };

// -e trace=%CLASS sets, as strace groups the calls.
enum { C_FILE = 1, C_PROC = 2, C_SIG = 4, C_DESC = 8, C_MEM = 16, C_IPC = 32, C_NET = 64 };

struct decoder {
  const char *name;
  uint8_t ret, cls, nargs;
  uint8_t k[6];
};

static const struct decoder decoders[] = {
    {"read", R_DEC, C_DESC, 3, {K_INT, K_BUF_OUT, K_ULONG}},
    {"write", R_DEC, C_DESC, 3, {K_INT, K_BUF_IN, K_ULONG}},
    {"open", R_DEC, C_FILE | C_DESC, 3, {K_PATH, K_OFLAGS, K_OMODE}},
    {"close", R_DEC, C_DESC, 1, {K_INT}},
    {"stat", R_DEC, C_FILE, 2, {K_PATH, K_STAT_OUT}},
    {"fstat", R_DEC, C_DESC, 2, {K_INT, K_STAT_OUT}},
    {"lstat", R_DEC, C_FILE, 2, {K_PATH, K_STAT_OUT}},
    {"poll", R_POLL, C_DESC, 3, {K_POLLFDS, K_UINT, K_INT}},
    {"lseek", R_DEC, C_DESC, 3, {K_INT, K_LONG, K_WHENCE}},
    {"mmap", R_HEX, C_DESC | C_MEM, 6, {K_PTR, K_ULONG, K_PROT, K_MAPFLAGS, K_INT, K_HEX}},
    {"mprotect", R_DEC, C_MEM, 3, {K_PTR, K_ULONG, K_PROT}},
    {"munmap", R_DEC, C_MEM, 2, {K_PTR, K_ULONG}},
    {"brk", R_HEX, C_MEM, 1, {K_PTR}},
    {"rt_sigaction", R_DEC, C_SIG, 4, {K_SIGNUM, K_SIGACT_IN, K_SIGACT_OUT, K_ULONG}},
    {"rt_sigprocmask", R_DEC, C_SIG, 4, {K_SIGHOW, K_SIGSET_IN, K_SIGSET_OUT, K_ULONG}},
    {"rt_sigreturn", R_DEC, C_SIG, 1, {K_SIGRETURN}},
    {"ioctl", R_DEC, C_DESC, 3, {K_INT, K_IOCTL_REQ, K_IOCTL_ARG}},
    {"pread64", R_DEC, C_DESC, 4, {K_INT, K_BUF_OUT, K_ULONG, K_LONG}},
    {"pwrite64", R_DEC, C_DESC, 4, {K_INT, K_BUF_IN, K_ULONG, K_LONG}},
    {"readv", R_DEC, C_DESC, 3, {K_INT, K_IOV_OUT, K_INT}},
    {"writev", R_DEC, C_DESC, 3, {K_INT, K_IOV_IN, K_INT}},
    {"access", R_DEC, C_FILE, 2, {K_PATH, K_ACCESS}},
    {"pipe", R_DEC, C_DESC, 1, {K_PIPEFDS}},
    {"select", R_SELECT, C_DESC, 5, {K_INT, K_FDSET, K_FDSET, K_FDSET, K_TIMEVAL_IN}},
    {"sched_yield", R_DEC, 0, 0, {0}},
    {"mremap", R_HEX, C_MEM, 5, {K_PTR, K_ULONG, K_ULONG, K_MREMAP_FLAGS, K_PTR}},
    {"msync", R_DEC, C_MEM, 3, {K_PTR, K_ULONG, K_HEX}},
    {"madvise", R_DEC, C_MEM, 3, {K_PTR, K_ULONG, K_MADVICE}},
    {"sched_setaffinity", R_DEC, C_PROC, 3, {K_INT, K_ULONG, K_PTR}},
    {"sched_getaffinity", R_DEC, C_PROC, 3, {K_INT, K_ULONG, K_PTR}},
    {"dup", R_DEC, C_DESC, 1, {K_INT}},
    {"dup2", R_DEC, C_DESC, 2, {K_INT, K_INT}},
    {"pause", R_DEC, C_SIG, 0, {0}},
    {"nanosleep", R_DEC, 0, 2, {K_TIMESPEC_IN, K_TIMESPEC_REM}},
    {"getitimer", R_DEC, 0, 2, {K_ITIMER, K_PTR}},
    {"alarm", R_DEC, 0, 1, {K_UINT}},
    {"setitimer", R_DEC, 0, 3, {K_ITIMER, K_PTR, K_PTR}},
    {"getpid", R_DEC, 0, 0, {0}},
    {"sendfile", R_DEC, C_DESC, 4, {K_INT, K_INT, K_OFFPTR, K_ULONG}},
    {"clone", R_DEC, C_PROC, 1, {K_CLONE}},
    {"fork", R_DEC, C_PROC, 0, {0}},
    {"vfork", R_DEC, C_PROC, 0, {0}},
    {"execve", R_DEC, C_FILE | C_PROC, 3, {K_PATH, K_ARGV, K_ENVP}},
    {"exit", R_NONE, C_PROC, 1, {K_INT}},
    {"wait4", R_DEC, C_PROC, 4, {K_INT, K_WSTATUS, K_WOPTS, K_RUSAGE}},
    {"kill", R_DEC, C_SIG | C_PROC, 2, {K_INT, K_SIGNUM}},
    {"ptrace", R_DEC, C_PROC, 4, {K_PTRACE_REQ, K_INT, K_PTR, K_PTR}},
    {"process_vm_readv", R_DEC, 0, 6, {K_INT, K_PTR, K_ULONG, K_PTR, K_ULONG, K_ULONG}},
    {"process_vm_writev", R_DEC, 0, 6, {K_INT, K_PTR, K_ULONG, K_PTR, K_ULONG, K_ULONG}},
    {"uname", R_DEC, 0, 1, {K_UNAME}},
    {"fcntl", R_FCNTL, C_DESC, 3, {K_INT, K_FCNTL_CMD, K_FCNTL_ARG}},
    {"flock", R_DEC, C_DESC, 2, {K_INT, K_FLOCK_OP}},
    {"fsync", R_DEC, C_DESC, 1, {K_INT}},
    {"fdatasync", R_DEC, C_DESC, 1, {K_INT}},
    {"truncate", R_DEC, C_FILE, 2, {K_PATH, K_LONG}},
    {"ftruncate", R_DEC, C_DESC, 2, {K_INT, K_LONG}},
    {"getcwd", R_DEC, C_FILE, 2, {K_STR_RET, K_ULONG}},
    {"chdir", R_DEC, C_FILE, 1, {K_PATH}},
    {"fchdir", R_DEC, C_DESC, 1, {K_INT}},
    {"rename", R_DEC, C_FILE, 2, {K_PATH, K_PATH}},
    {"mkdir", R_DEC, C_FILE, 2, {K_PATH, K_OCT}},
    {"rmdir", R_DEC, C_FILE, 1, {K_PATH}},
    {"creat", R_DEC, C_FILE | C_DESC, 2, {K_PATH, K_OCT}},
    {"link", R_DEC, C_FILE, 2, {K_PATH, K_PATH}},
    {"unlink", R_DEC, C_FILE, 1, {K_PATH}},
    {"symlink", R_DEC, C_FILE, 2, {K_PATH, K_PATH}},
    {"readlink", R_DEC, C_FILE, 3, {K_PATH, K_STR_RET, K_ULONG}},
    {"chmod", R_DEC, C_FILE, 2, {K_PATH, K_OCT}},
    {"fchmod", R_DEC, C_DESC, 2, {K_INT, K_OCT}},
    {"chown", R_DEC, C_FILE, 3, {K_PATH, K_ID, K_ID}},
    {"fchown", R_DEC, C_DESC, 3, {K_INT, K_ID, K_ID}},
    {"lchown", R_DEC, C_FILE, 3, {K_PATH, K_ID, K_ID}},
    {"umask", R_OCT, 0, 1, {K_OCT}},
    {"gettimeofday", R_DEC, 0, 2, {K_TIMEVAL_OUT, K_PTR}},
    {"getrlimit", R_DEC, 0, 2, {K_RLIM_RES, K_RLIMIT_OUT}},
    {"sysinfo", R_DEC, 0, 1, {K_SYSINFO}},
    {"getuid", R_DEC, 0, 0, {0}},
    {"getgid", R_DEC, 0, 0, {0}},
    {"setuid", R_DEC, 0, 1, {K_ID}},
    {"setgid", R_DEC, 0, 1, {K_ID}},
    {"geteuid", R_DEC, 0, 0, {0}},
    {"getegid", R_DEC, 0, 0, {0}},
    {"setpgid", R_DEC, 0, 2, {K_INT, K_INT}},
    {"getppid", R_DEC, 0, 0, {0}},
    {"getpgrp", R_DEC, 0, 0, {0}},
    {"setsid", R_DEC, 0, 0, {0}},
    {"setreuid", R_DEC, 0, 2, {K_ID, K_ID}},
    {"setregid", R_DEC, 0, 2, {K_ID, K_ID}},
    {"getgroups", R_DEC, 0, 2, {K_INT, K_GROUPS_OUT}},
    {"setgroups", R_DEC, 0, 2, {K_INT, K_GROUPS_IN}},
    {"setresuid", R_DEC, 0, 3, {K_ID, K_ID, K_ID}},
    {"getresuid", R_DEC, 0, 3, {K_IDPTR_OUT, K_IDPTR_OUT, K_IDPTR_OUT}},
    {"setresgid", R_DEC, 0, 3, {K_ID, K_ID, K_ID}},
    {"getresgid", R_DEC, 0, 3, {K_IDPTR_OUT, K_IDPTR_OUT, K_IDPTR_OUT}},
    {"getpgid", R_DEC, 0, 1, {K_INT}},
    {"getsid", R_DEC, 0, 1, {K_INT}},
    {"rt_sigpending", R_DEC, C_SIG, 2, {K_SIGSET_OUT, K_ULONG}},
    {"rt_sigtimedwait", R_SIG, C_SIG, 4, {K_SIGSET_IN, K_SIGINFO_OUT, K_TIMESPEC_IN, K_ULONG}},
    {"rt_sigqueueinfo", R_DEC, C_SIG | C_PROC, 3, {K_INT, K_SIGNUM, K_PTR}},
    {"rt_sigsuspend", R_DEC, C_SIG, 2, {K_SIGSET_IN, K_ULONG}},
    {"restart_syscall", R_DEC, 0, 0, {0}},
    {"sigaltstack", R_DEC, C_SIG, 2, {K_STACK_IN, K_STACK_OUT}},
    {"utime", R_DEC, C_FILE, 2, {K_PATH, K_UTIMBUF}},
    {"mknod", R_DEC, C_FILE, 3, {K_PATH, K_OCT, K_HEX}},
    {"personality", R_HEX, 0, 1, {K_HEX}},
    {"prctl", R_DEC, 0, 1, {K_PRCTL}},
    {"arch_prctl", R_DEC, C_PROC, 2, {K_ARCH_CODE, K_PTR}},
    {"setrlimit", R_DEC, 0, 2, {K_RLIM_RES, K_RLIMIT_IN}},
    {"chroot", R_DEC, C_FILE, 1, {K_PATH}},
    {"settimeofday", R_DEC, 0, 2, {K_TIMEVAL_IN, K_PTR}},
    {"statfs", R_DEC, C_FILE, 2, {K_PATH, K_STATFS_OUT}},
    {"fstatfs", R_DEC, C_DESC, 2, {K_INT, K_STATFS_OUT}},
    {"reboot", R_DEC, 0, 3, {K_REBOOT_MAGIC, K_REBOOT_MAGIC, K_REBOOT_CMD}},
    {"gettid", R_DEC, 0, 0, {0}},
    {"getxattr", R_DEC, C_FILE, 4, {K_PATH, K_STR, K_PTR, K_ULONG}},
    {"lgetxattr", R_DEC, C_FILE, 4, {K_PATH, K_STR, K_PTR, K_ULONG}},
    {"fgetxattr", R_DEC, C_DESC, 4, {K_INT, K_STR, K_PTR, K_ULONG}},
    {"listxattr", R_DEC, C_FILE, 3, {K_PATH, K_PTR, K_ULONG}},
    {"llistxattr", R_DEC, C_FILE, 3, {K_PATH, K_PTR, K_ULONG}},
    {"flistxattr", R_DEC, C_DESC, 3, {K_INT, K_PTR, K_ULONG}},
    {"tkill", R_DEC, C_SIG | C_PROC, 2, {K_INT, K_SIGNUM}},
    {"time", R_DEC, 0, 1, {K_TIME_OUT}},
    {"futex", R_DEC, 0, 1, {K_FUTEX}},
    {"getdents64", R_DEC, C_DESC, 3, {K_INT, K_DIRENTS, K_ULONG}},
    {"set_tid_address", R_DEC, 0, 1, {K_PTR}},
    {"timer_create", R_DEC, 0, 3, {K_CLOCKID, K_PTR, K_PTR}},
    {"timer_settime", R_DEC, 0, 4, {K_INT, K_TIMER_FLAGS, K_PTR, K_PTR}},
    {"timer_gettime", R_DEC, 0, 2, {K_INT, K_PTR}},
    {"timer_getoverrun", R_DEC, 0, 1, {K_INT}},
    {"timer_delete", R_DEC, 0, 1, {K_INT}},
    {"clock_settime", R_DEC, 0, 2, {K_CLOCKID, K_TIMESPEC_IN}},
    {"clock_gettime", R_DEC, 0, 2, {K_CLOCKID, K_TIMESPEC_OUT}},
    {"clock_getres", R_DEC, 0, 2, {K_CLOCKID, K_TIMESPEC_OUT}},
    {"clock_nanosleep", R_DEC, 0, 4, {K_CLOCKID, K_TIMER_FLAGS, K_TIMESPEC_IN, K_TIMESPEC_REM}},
    {"exit_group", R_NONE, C_PROC, 1, {K_INT}},
    {"tgkill", R_DEC, C_SIG | C_PROC, 3, {K_INT, K_INT, K_SIGNUM}},
    {"utimes", R_DEC, C_FILE, 2, {K_PATH, K_TIMEVAL2}},
    {"waitid", R_DEC, C_PROC, 5, {K_IDTYPE, K_INT, K_SIGINFO_OUT, K_WOPTS, K_RUSAGE}},
    {"openat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_OFLAGS, K_OMODE}},
    {"mkdirat", R_DEC, C_FILE | C_DESC, 3, {K_DIRFD, K_PATH, K_OCT}},
    {"fchownat", R_DEC, C_FILE | C_DESC, 5, {K_DIRFD, K_PATH, K_ID, K_ID, K_ATFLAGS}},
    {"futimesat", R_DEC, C_FILE | C_DESC, 3, {K_DIRFD, K_PATH, K_TIMEVAL2}},
    {"mknodat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_OCT, K_HEX}},
    {"newfstatat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_STAT_OUT, K_ATFLAGS}},
    {"unlinkat", R_DEC, C_FILE | C_DESC, 3, {K_DIRFD, K_PATH, K_ATFLAGS}},
    {"renameat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_DIRFD, K_PATH}},
    {"linkat", R_DEC, C_FILE | C_DESC, 5, {K_DIRFD, K_PATH, K_DIRFD, K_PATH, K_ATFLAGS}},
    {"symlinkat", R_DEC, C_FILE | C_DESC, 3, {K_PATH, K_DIRFD, K_PATH}},
    {"readlinkat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_STR_RET, K_ULONG}},
    {"fchmodat", R_DEC, C_FILE | C_DESC, 3, {K_DIRFD, K_PATH, K_OCT}},
    {"faccessat", R_DEC, C_FILE | C_DESC, 3, {K_DIRFD, K_PATH, K_ACCESS}},
    {"pselect6", R_SELECT, C_DESC, 6, {K_INT, K_FDSET, K_FDSET, K_FDSET, K_TIMESPEC_IN, K_PSEL_MASK}},
    {"ppoll", R_POLL, C_DESC, 5, {K_POLLFDS, K_UINT, K_TIMESPEC_IN, K_SIGSET_IN, K_ULONG}},
    {"set_robust_list", R_DEC, 0, 2, {K_PTR, K_ULONG}},
    {"get_robust_list", R_DEC, 0, 3, {K_INT, K_PTR, K_PTR}},
    {"utimensat", R_DEC, C_FILE | C_DESC, 4, {K_DIRFD, K_PATH, K_TIMESPEC2, K_ATFLAGS}},
    {"dup3", R_DEC, C_DESC, 3, {K_INT, K_INT, K_FDFLAGS}},
    {"pipe2", R_DEC, C_DESC, 2, {K_PIPEFDS, K_FDFLAGS}},
    {"rt_tgsigqueueinfo", R_DEC, C_SIG | C_PROC, 4, {K_INT, K_INT, K_SIGNUM, K_PTR}},
    {"prlimit64", R_DEC, 0, 4, {K_INT, K_RLIM_RES, K_RLIMIT_IN, K_RLIMIT_OUT}},
    {"renameat2", R_DEC, C_FILE | C_DESC, 5, {K_DIRFD, K_PATH, K_DIRFD, K_PATH, K_RENAME_FLAGS}},
    {"getrandom", R_DEC, 0, 3, {K_BUF_HEX_OUT, K_ULONG, K_GRND_FLAGS}},
    {"clone3", R_DEC, C_PROC, 1, {K_CLONE3}},
    {"socket", R_DEC, C_NET | C_DESC, 3, {K_SOCKDOM, K_SOCKTYPE, K_INT}},
    {"connect", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_UINT}},
    {"accept", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_PTR}},
    {"sendto", R_DEC, C_NET | C_DESC, 6, {K_INT, K_BUF_IN, K_ULONG, K_MSGFLAGS, K_PTR, K_UINT}},
    {"recvfrom", R_DEC, C_NET | C_DESC, 6, {K_INT, K_BUF_OUT, K_ULONG, K_MSGFLAGS, K_PTR, K_PTR}},
    {"sendmsg", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_MSGFLAGS}},
    {"recvmsg", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_MSGFLAGS}},
    {"sendmmsg", R_DEC, C_NET | C_DESC, 4, {K_INT, K_PTR, K_UINT, K_MSGFLAGS}},
    {"recvmmsg", R_DEC, C_NET | C_DESC, 5, {K_INT, K_PTR, K_UINT, K_MSGFLAGS, K_TIMESPEC_IN}},
    {"shutdown", R_DEC, C_NET | C_DESC, 2, {K_INT, K_SHUTHOW}},
    {"bind", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_UINT}},
    {"listen", R_DEC, C_NET | C_DESC, 2, {K_INT, K_INT}},
    {"getsockname", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_PTR}},
    {"getpeername", R_DEC, C_NET | C_DESC, 3, {K_INT, K_PTR, K_PTR}},
    {"socketpair", R_DEC, C_NET | C_DESC, 4, {K_SOCKDOM, K_SOCKTYPE, K_INT, K_PIPEFDS}},
    {"setsockopt", R_DEC, C_NET | C_DESC, 5, {K_INT, K_SOCKLEVEL, K_INT, K_PTR, K_UINT}},
    {"getsockopt", R_DEC, C_NET | C_DESC, 5, {K_INT, K_SOCKLEVEL, K_INT, K_PTR, K_PTR}},
    {"accept4", R_DEC, C_NET | C_DESC, 4, {K_INT, K_PTR, K_PTR, K_SOCKTYPE}},
    {"shmget", R_DEC, C_IPC, 3, {K_IPCKEY, K_ULONG, K_IPCFLAGS}},
    {"shmat", R_HEX, C_IPC | C_MEM, 3, {K_INT, K_PTR, K_SHMATFLAGS}},
    {"shmctl", R_DEC, C_IPC, 3, {K_INT, K_IPCCMD, K_PTR}},
    {"shmdt", R_DEC, C_IPC | C_MEM, 1, {K_PTR}},
    {"semget", R_DEC, C_IPC, 3, {K_IPCKEY, K_INT, K_IPCFLAGS}},
    {"semop", R_DEC, C_IPC, 3, {K_INT, K_PTR, K_UINT}},
    {"semtimedop", R_DEC, C_IPC, 4, {K_INT, K_PTR, K_UINT, K_TIMESPEC_IN}},
    {"semctl", R_DEC, C_IPC, 4, {K_INT, K_INT, K_IPCCMD, K_HEX}},
    {"msgget", R_DEC, C_IPC, 2, {K_IPCKEY, K_IPCFLAGS}},
    {"msgsnd", R_DEC, C_IPC, 4, {K_INT, K_PTR, K_ULONG, K_IPCFLAGS}},
    {"msgrcv", R_DEC, C_IPC, 5, {K_INT, K_PTR, K_ULONG, K_LONG, K_IPCFLAGS}},
    {"msgctl", R_DEC, C_IPC, 3, {K_INT, K_IPCCMD, K_PTR}},
};

// Calls the kernel does not implement but libcs try (they get ENOSYS): named, raw args.
static const struct { uint16_t nr; uint8_t nargs; const char *name; } absent[] = {
    {25, 5, "mremap"}, {28, 3, "madvise"}, {78, 3, "getdents"}, {204, 3, "sched_getaffinity"},
    {324, 2, "membarrier"}, {332, 5, "statx"}, {334, 4, "rseq"},
    {437, 4, "openat2"}, {439, 4, "faccessat2"}};
static struct decoder absent_decoders[sizeof absent / sizeof absent[0]];

// A call the kernel does not implement (not in syscalls.def): strace's raw form.
static const struct decoder raw_decoder = {NULL, R_DEC, 0, 6, {K_HEX, K_HEX, K_HEX, K_HEX, K_HEX, K_HEX}};
static const struct decoder *decoder_of[NSYS]; // by number, from the names (setup_decoders)

// ---- state ------------------------------------------------------------------------------

struct call {
  const struct decoder *d;
  uint64_t nr, a[6];
  int64_t ret;
  int nargs; // arguments shown (an optional last one may be left out)
  int next;  // the first argument not printed yet
  bool shown;
  struct timespec t0;
};

struct tracee {
  struct proc_session s; // proc:PID/trace; mem and regs/int, opened when first needed
  bool launched;  // the program strace started (its status is strace's)
  bool started;   // past its first exec (the launched program), or attached
  bool announced; // counted in nprinted: its first stop has been seen
  bool in_call;   // between a syscall-entry stop and its exit
  bool stepping;  // single-stepping into a handler to read the siginfo
  bool attached;  // by -p: detaching says so
  bool gone;
  int stepsig;
  struct call c;
};

static struct {
  bool follow, summary, lines, lazy_flush;
  int tstamps, strsize;
  bool tdelta;
  const char *outname;
  FILE *out;
  bool filtered; // -e trace= given: the filter is not "everything"
  bool negated;  // -e trace=!SET: calls outside the kernel's table are shown too
  uint8_t filter[NSYS / 8];
} opt = {.strsize = 32, .lines = true};

static struct tracee *tracees[MAXTRACEES];
static int ntracees, nannounced;
static struct tracee *line_owner; // whose line is open (entry printed, no newline yet)
static struct tracee *cur;        // the tracee whose memory formatters read
static uint64_t stop_flags;
static volatile sig_atomic_t fatal_sig;
static int exit_status = -1; // the launched program's wait status

static struct count {
  uint64_t calls, errors, ns;
} counts[NSYS + 1]; // the last slot collects numbers outside the table

// ---- output -----------------------------------------------------------------------------
// A line is built in L, then written out by emit(), which keeps track of the column (for
// strace's alignment of " = " at column 40).

static struct {
  char *p;
  size_t len, cap;
} L;
static size_t column;

static void reserve(size_t more) {
  if (L.len + more + 1 <= L.cap)
    return;
  size_t cap = L.cap ? L.cap : 256;
  while (cap < L.len + more + 1)
    cap *= 2;
  char *p = realloc(L.p, cap);
  if (!p) {
    fprintf(stderr, "strace: out of memory\n");
    exit(1);
  }
  L.p = p, L.cap = cap;
}

__attribute__((format(printf, 1, 2))) static void put(const char *fmt, ...) {
  va_list ap;
  for (int tries = 0; tries < 2; tries++) { // usually the room is there at once
    va_start(ap, fmt);
    size_t room = L.cap - L.len;
    int n = vsnprintf(L.p ? L.p + L.len : NULL, room, fmt, ap);
    va_end(ap);
    if ((size_t)n < room) {
      L.len += n;
      return;
    }
    reserve(n);
  }
}

static void putc_(char c) {
  reserve(1);
  L.p[L.len++] = c;
}

static void emit(void) {
  if (!L.len)
    return;
  fwrite(L.p, 1, L.len, opt.out);
  char *nl = memrchr(L.p, '\n', L.len);
  column = nl ? (size_t)(L.p + L.len - nl - 1) : column + L.len;
  L.len = 0;
}

// strace's result column: one space, then spaces up to column 40.
static void pad_result(void) {
  char *nl = L.len ? memrchr(L.p, '\n', L.len) : NULL;
  size_t col = nl ? (size_t)(L.p + L.len - nl - 1) : column + L.len;
  size_t n = col < 39 ? 40 - col : 1;
  reserve(n);
  memset(L.p + L.len, ' ', n);
  L.len += n;
}

static const char *err_name(int e, const char **msg) {
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (errnos[i].err == e) {
      *msg = errnos[i].msg;
      return errnos[i].name;
    }
  static char name[32], text[40];
  snprintf(name, sizeof name, "ERRNO_%d", e);
  snprintf(text, sizeof text, "Unknown error %d", e);
  *msg = text;
  return name;
}

static const char *err_msg(int e) {
  const char *msg;
  err_name(e, &msg);
  return msg;
}

static void put_signame(uint64_t sig) {
  if (sig > 0 && sig < 32)
    put("SIG%s", sig_names[sig]);
  else if (sig == 32)
    put("SIGRTMIN");
  else if (sig > 32 && sig <= 64)
    put("SIGRT_%d", (int)sig - 32);
  else
    put("%d", (int)sig);
}

static const char *xlat_name(const struct xlat *x, uint64_t v) {
  for (; x->name; x++)
    if (x->val == v)
      return x->name;
  return NULL;
}

static void put_xval(const struct xlat *x, uint64_t v, bool hex) {
  const char *name = xlat_name(x, v);
  if (name)
    put("%s", name);
  else
    put(hex ? "%#lx" : "%ld", (long)v);
}

// The table's flags that v has, '|'-joined; leftover bits in hex; `zero` for none.
static void put_flags(const struct xlat *x, uint64_t v, const char *zero, bool any) {
  for (; x->name; x++)
    if (x->val && (v & x->val) == x->val) {
      put("%s%s", any ? "|" : "", x->name);
      any = true;
      v &= ~x->val;
    }
  if (v)
    put("%s%#lx", any ? "|" : "", (unsigned long)v);
  else if (!any)
    put("%s", zero ? zero : "0");
}

static void put_ptr(uint64_t v) {
  if (v)
    put("%#lx", (unsigned long)v);
  else
    put("NULL");
}

// ---- the tracee's memory --------------------------------------------------------------
// The session's handles to proc:PID/mem and regs/int are dropped at exec (the kernel
// fails old handles with ESRCH once the program changed).

// Up to n bytes at addr; fewer where the mapping ends. -1 if none can be read.
static ssize_t peek_some(uint64_t addr, void *buf, size_t n) {
  return proc_peek(&cur->s, addr, buf, n);
}

static bool peek(uint64_t addr, void *buf, size_t n) {
  return addr && peek_some(addr, buf, n) == (ssize_t)n;
}

// The same, but where the bytes cannot be read, the address is shown instead.
static bool peek_or_ptr(uint64_t addr, void *buf, size_t n) {
  if (peek(addr, buf, n))
    return true;
  put_ptr(addr);
  return false;
}

static bool peek_regs(struct tracee *t, struct user_regs_struct *r) {
  return proc_get_regs(&t->s, r) == 0;
}

// ---- strings ----------------------------------------------------------------------------

// Quote as strace does: C escapes for \t \n \v \f \r " \, octal for other unprintable
// bytes (three digits when an octal digit follows, so the escape stays unambiguous).
static void put_quoted(const unsigned char *s, size_t n, bool hex) {
  static const char esc_from[] = "\t\n\v\f\r\"\\", esc_to[] = "tnvfr\"\\";
  putc_('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = s[i];
    const char *e = ch ? strchr(esc_from, ch) : NULL;
    if (hex)
      put("\\x%02x", ch);
    else if (e)
      put("\\%c", esc_to[e - esc_from]);
    else if (ch >= 0x20 && ch < 0x7f)
      putc_(ch);
    else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
      put("\\%03o", ch);
    else
      put("\\%o", ch);
  }
  putc_('"');
}

// len bytes at addr (a buffer), at most -s of them, "..." when cut.
static void put_buf(uint64_t addr, uint64_t len, bool hex) {
  size_t show = len < (uint64_t)opt.strsize ? len : (size_t)opt.strsize;
  unsigned char *b = malloc(show + 1);
  if (!addr || !b || (show && !peek(addr, b, show))) {
    put_ptr(addr);
  } else {
    put_quoted(b, show, hex);
    if (len > show)
      put("...");
  }
  free(b);
}

// A NUL-terminated string at addr, at most max bytes of it, "..." when longer.
static void put_cstr(uint64_t addr, size_t max) {
  char *b = malloc(max + 1);
  ssize_t got = b && addr ? peek_some(addr, b, max + 1) : -1;
  size_t n = got > 0 ? strnlen(b, got) : 0;
  if (got <= 0 || (n == (size_t)got && n <= max)) // unreadable, or no NUL before a hole
    put_ptr(addr);
  else {
    put_quoted((unsigned char *)b, n > max ? max : n, false);
    if (n > max)
      put("...");
  }
  free(b);
}

// ---- structures -------------------------------------------------------------------------

static void put_sigset_val(uint64_t set) {
  if (__builtin_popcountll(set) > 32) { // strace shows the complement of a mostly full set
    putc_('~');
    set = ~set;
  }
  putc_('[');
  const char *sep = "";
  for (int sig = 1; sig <= 64; sig++) {
    if (!(set >> (sig - 1) & 1))
      continue;
    if (sig < 32)
      put("%s%s", sep, sig_names[sig]);
    else if (sig == 32)
      put("%sRTMIN", sep);
    else
      put("%sRT_%d", sep, sig - 32);
    sep = " ";
  }
  putc_(']');
}

static void put_sigset(uint64_t addr) {
  uint64_t set;
  if (peek_or_ptr(addr, &set, sizeof set))
    put_sigset_val(set);
}

static void put_sigaction(uint64_t addr) {
  struct { uint64_t handler, flags, restorer, mask; } sa;
  if (!peek_or_ptr(addr, &sa, sizeof sa))
    return;
  if (sa.handler <= 1)
    put("{sa_handler=%s, sa_mask=", sa.handler ? "SIG_IGN" : "SIG_DFL");
  else
    put("{sa_handler=%#lx, sa_mask=", (unsigned long)sa.handler);
  put_sigset_val(sa.mask);
  put(", sa_flags=");
  put_flags(x_saflags, sa.flags, "0", false);
  if (sa.flags & 0x04000000)
    put(", sa_restorer=%#lx", (unsigned long)sa.restorer);
  putc_('}');
}


static bool is_fault(int sig) { return sig == 4 || sig == 5 || sig == 7 || sig == 8 || sig == 11; }

static void put_sicode(int sig, int code) {
  static const struct xlat generic[] = {
      {0, "SI_USER"}, {0x80, "SI_KERNEL"}, {(uint64_t)-1, "SI_QUEUE"}, {(uint64_t)-2, "SI_TIMER"},
      {(uint64_t)-3, "SI_MESGQ"}, {(uint64_t)-4, "SI_ASYNCIO"}, {(uint64_t)-5, "SI_SIGIO"},
      {(uint64_t)-6, "SI_TKILL"}, {0, NULL}};
  static const char *const chld[] = {"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED",
                                     "CLD_STOPPED", "CLD_CONTINUED"};
  static const char *const segv[] = {"SEGV_MAPERR", "SEGV_ACCERR"};
  const char *name = xlat_name(generic, (uint64_t)(int64_t)code);
  if (sig == SIGCHLD && code >= 1 && code <= 6)
    name = chld[code - 1];
  else if (sig == SIGSEGV && code >= 1 && code <= 2)
    name = segv[code - 1];
  else if (sig == SIGTRAP && code >= 1 && code <= 2)
    name = code == 1 ? "TRAP_BRKPT" : "TRAP_TRACE";
  if (name)
    put("%s", name);
  else
    put("%d", code);
}

static void put_siginfo(const struct linux_siginfo *si) {
  put("{si_signo=");
  put_signame(si->signo);
  put(", si_code=");
  put_sicode(si->signo, si->code);
  if (is_fault(si->signo) && (si->code > 0)) {
    put(", si_addr=");
    put_ptr(si->addr);
  } else if (si->signo == SIGCHLD && si->code > 0) {
    put(", si_pid=%d, si_uid=%u, si_status=", si->c.pid, si->c.uid);
    if (si->code == 2 || si->code == 3) // killed, dumped: the status is a signal
      put_signame(si->c.status);
    else
      put("%d", si->c.status);
    put(", si_utime=0, si_stime=0");
  } else if (si->code <= 0) { // sent by a process
    put(", si_pid=%d, si_uid=%u", si->c.pid, si->c.uid);
  }
  putc_('}');
}

static void put_timespec(uint64_t addr, const char *frac) {
  int64_t ts[2];
  if (peek_or_ptr(addr, ts, sizeof ts))
    put("{tv_sec=%ld, %s=%ld}", (long)ts[0], frac, (long)ts[1]);
}

static void put_mode(uint32_t m) {
  const char *type = xlat_name(x_mode_type, m & 0170000);
  if (type)
    put("%s|", type);
  put_flags(x_mode_bits, m & 07000, "", false);
  if (m & 07000)
    putc_('|');
  put("%#03o", m & 0777);
}

static void put_stat(uint64_t addr) {
  struct stat st;
  if (!peek_or_ptr(addr, &st, sizeof st))
    return;
  put("{st_mode=");
  put_mode(st.st_mode);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    uint64_t d = st.st_rdev;
    put(", st_rdev=makedev(%#lx, %#lx), ...}", (unsigned long)((d >> 8 & 0xfff) | (d >> 32 & ~0xfffUL)),
        (unsigned long)((d & 0xff) | (d >> 12 & ~0xffUL)));
  } else {
    put(", st_size=%ld, ...}", (long)st.st_size);
  }
}

static void put_wstatus(int s) {
  if (WIFEXITED(s))
    put("[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(s));
  else if (WIFSIGNALED(s)) {
    put("[{WIFSIGNALED(s) && WTERMSIG(s) == ");
    put_signame(WTERMSIG(s));
    put("%s}]", WCOREDUMP(s) ? " && WCOREDUMP(s)" : "");
  } else if (WIFSTOPPED(s)) {
    put("[{WIFSTOPPED(s) && WSTOPSIG(s) == ");
    put_signame(WSTOPSIG(s));
    put("}]");
  } else if (WIFCONTINUED(s))
    put("[{WIFCONTINUED(s)}]");
  else
    put("[%#x]", s);
}

static void put_termios(uint64_t addr) {
  struct { uint32_t i, o, c, l; } t;
  if (!peek_or_ptr(addr, &t, sizeof t))
    return;
  put("{c_iflag=");
  put_flags(x_iflag, t.i, "0", false);
  put(", c_oflag=");
  for (size_t k = 0; k < sizeof o_delays / sizeof o_delays[0]; k++)
    put("%s%u|", o_delays[k].prefix, (t.o & o_delays[k].mask) >> o_delays[k].shift);
  put_flags(x_oflag, t.o & 0377, "0", false);
  put(", c_cflag=");
  put_xval(x_baud, t.c & 010017, true);
  put("|CS%u", 5 + ((t.c & 060) >> 4));
  put_flags(x_cflag, t.c & ~(uint32_t)010077, "", true);
  put(", c_lflag=");
  put_flags(x_lflag, t.l, "0", false);
  put(", ...}");
}

// RLIM_INFINITY, or strace's "N*1024" for multiples of 1024.
static void put_rlim(uint64_t v, bool is64) {
  if (v == UINT64_MAX)
    put(is64 ? "RLIM64_INFINITY" : "RLIM_INFINITY");
  else if (v && v % 1024 == 0)
    put("%lu*1024", (unsigned long)(v / 1024));
  else
    put("%lu", (unsigned long)v);
}

static void put_rlimit(uint64_t addr, bool is64) {
  uint64_t r[2];
  if (!peek_or_ptr(addr, r, sizeof r))
    return;
  put("{rlim_cur=");
  put_rlim(r[0], is64);
  put(", rlim_max=");
  put_rlim(r[1], is64);
  putc_('}');
}

// An fd_set of nfds bits: "[0 3]".
static void put_fdset(uint64_t addr, int nfds) {
  uint8_t set[128];
  size_t n = nfds > 0 ? ((size_t)nfds + 7) / 8 : 0;
  if (!addr || n > sizeof set || !peek(addr, set, n)) {
    put_ptr(addr);
    return;
  }
  const char *sep = "";
  putc_('[');
  for (int fd = 0; fd < nfds; fd++)
    if (set[fd / 8] >> (fd % 8) & 1) {
      put("%s%d", sep, fd);
      sep = " ";
    }
  putc_(']');
}

// ---- argument formatters: one per kind --------------------------------------------------

#define ARG (c->a[i])
#define FAILED (c->ret < 0 && c->ret > -4096)

static void f_int(const struct call *c, int i) { put("%d", (int)ARG); }
static void f_uint(const struct call *c, int i) { put("%u", (unsigned)ARG); }
static void f_long(const struct call *c, int i) { put("%ld", (long)ARG); }
static void f_ulong(const struct call *c, int i) { put("%lu", (unsigned long)ARG); }
static void f_hex(const struct call *c, int i) { put("%#lx", (unsigned long)ARG); }
static void f_ptr(const struct call *c, int i) { put_ptr(ARG); }
static void f_oct(const struct call *c, int i) { put("%#03o", (unsigned)ARG); }
static void f_signum(const struct call *c, int i) { put_signame((int)ARG); }
static void f_path(const struct call *c, int i) { put_cstr(ARG, MAXPATH); }
static void f_str(const struct call *c, int i) { put_cstr(ARG, opt.strsize); }
static void f_buf_in(const struct call *c, int i) { put_buf(ARG, c->a[i + 1], false); }
static void f_sigset_in(const struct call *c, int i) { put_sigset(ARG); }
static void f_sigact_in(const struct call *c, int i) { put_sigaction(ARG); }
static void f_timespec_in(const struct call *c, int i) { put_timespec(ARG, "tv_nsec"); }
static void f_timeval_in(const struct call *c, int i) { put_timespec(ARG, "tv_usec"); }
static void f_envp(const struct call *c, int i);

static void f_dirfd(const struct call *c, int i) {
  if ((int)ARG == -100)
    put("AT_FDCWD");
  else
    put("%d", (int)ARG);
}

static void f_id(const struct call *c, int i) {
  if ((uint32_t)ARG == UINT32_MAX)
    put("-1");
  else
    put("%u", (unsigned)ARG);
}

// Output arguments: what the call stored (put_stored) on success, the address otherwise.
static void put_out(const struct call *c, int i,
                    void (*put_stored)(const struct call *, int)) {
  if (FAILED)
    put_ptr(ARG);
  else
    put_stored(c, i);
}

static void buf_stored(const struct call *c, int i) {
  put_buf(ARG, c->ret, c->d->k[i] == K_BUF_HEX_OUT);
}
static void timespec_stored(const struct call *c, int i) {
  put_timespec(ARG, c->d->k[i] == K_TIMEVAL_OUT ? "tv_usec" : "tv_nsec");
}

static void f_buf_out(const struct call *c, int i) { put_out(c, i, buf_stored); }
static void f_sigset_out(const struct call *c, int i) { put_out(c, i, f_sigset_in); }
static void f_sigact_out(const struct call *c, int i) { put_out(c, i, f_sigact_in); }
static void f_timespec_out(const struct call *c, int i) {
  put_out(c, i, timespec_stored);
}

// nanosleep's remainder: only filled when a signal cut the sleep short.
static void f_timespec_rem(const struct call *c, int i) {
  if (c->ret == -EINTR)
    put_timespec(ARG, "tv_nsec");
  else
    put_ptr(ARG);
}

static void stat_stored(const struct call *c, int i) { put_stat(ARG); }
static void f_stat_out(const struct call *c, int i) { put_out(c, i, stat_stored); }

// getcwd, readlink: the string the call stored, of the returned length.
static void f_str_ret(const struct call *c, int i) {
  size_t n = c->ret > MAXPATH ? MAXPATH : (size_t)c->ret;
  char *b = malloc(n + 1);
  if (FAILED || !b || (n && !peek(ARG, b, n)))
    put_ptr(ARG);
  else
    put_quoted((unsigned char *)b, strnlen(b, n), false);
  free(b);
}

static void put_open_flags(uint64_t v) {
  static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  put("%s", acc[v & 3]);
  put_flags(x_open, v & ~3UL, "", true);
}

static void f_oflags(const struct call *c, int i) { put_open_flags(ARG); }

static void f_xval(const struct call *c, int i);
static void f_flags(const struct call *c, int i);

// socket(2)'s type: the kind, then SOCK_NONBLOCK|SOCK_CLOEXEC (accept4: the flags alone).
static void f_socktype(const struct call *c, int i) {
  if (ARG & 0xf)
    put_xval(x_socktype, ARG & 0xf, true);
  put_flags(x_sockflags, ARG & ~0xfUL, ARG & 0xf ? "" : "0", ARG & 0xf);
}

// An IPC key: IPC_PRIVATE or hex, as strace.
static void f_ipckey(const struct call *c, int i) {
  if ((int)ARG == 0)
    put("IPC_PRIVATE");
  else
    put("%#x", (unsigned)ARG);
}

// *get and msg flags: the named bits, then the permission bits in octal.
static void f_ipcflags(const struct call *c, int i) {
  uint64_t perm = ARG & 0777;
  bool any = false;
  for (const struct xlat *x = x_ipcflags; x->name; x++)
    if (ARG & x->val) {
      put("%s%s", any ? "|" : "", x->name);
      any = true;
    }
  if (perm || !any)
    put("%s%#lo", any ? "|" : "", (unsigned long)perm);
}

static void f_mapflags(const struct call *c, int i) {
  put_xval(x_maptype, ARG & 0xf, true);
  put_flags(x_map, ARG & ~0xfUL, "", true);
}

// rt_sigreturn's argument is the frame on the stack: strace shows the mask it restores.
static void f_sigreturn(const struct call *c, int i) {
  struct user_regs_struct r;
  uint64_t mask;
  (void)c, (void)i;
  // rsp points at the ucontext (the return address was popped); its sigmask follows the
  // flags, link, stack_t (40 bytes) and the 256-byte sigcontext.
  if (peek_regs(cur, &r) && peek(r.rsp + 296, &mask, sizeof mask)) {
    put("{mask=");
    put_sigset_val(mask);
    putc_('}');
  } else {
    put("{mask=?}");
  }
}

static void f_siginfo_out(const struct call *c, int i) {
  struct linux_siginfo si;
  if (FAILED || !peek(ARG, &si, sizeof si))
    put_ptr(ARG);
  else
    put_siginfo(&si);
}

static void f_stack(const struct call *c, int i) {
  struct { uint64_t sp; int32_t flags, pad; uint64_t size; } ss;
  if ((c->d->k[i] == K_STACK_OUT && FAILED) || !peek(ARG, &ss, sizeof ss)) {
    put_ptr(ARG);
    return;
  }
  put("{ss_sp=");
  put_ptr(ss.sp);
  put(", ss_flags=");
  put_flags(x_ss, (uint32_t)ss.flags, "0", false);
  put(", ss_size=%lu}", (unsigned long)ss.size);
}

// utimensat's pair: UTIME_NOW and UTIME_OMIT by name.
static void f_timespec2(const struct call *c, int i) {
  int64_t ts[4];
  if (!peek_or_ptr(ARG, ts, sizeof ts))
    return;
  putc_('[');
  for (int k = 0; k < 2; k++) {
    int64_t nsec = ts[2 * k + 1];
    if (nsec == (1 << 30) - 1 || nsec == (1 << 30) - 2)
      put("%s", nsec == (1 << 30) - 1 ? "UTIME_NOW" : "UTIME_OMIT");
    else
      put("{tv_sec=%ld, tv_nsec=%ld}", (long)ts[2 * k], (long)nsec);
    put(k ? "]" : ", ");
  }
}

static void f_timeval2(const struct call *c, int i) {
  int64_t tv[4];
  if (peek_or_ptr(ARG, tv, sizeof tv))
    put("[{tv_sec=%ld, tv_usec=%ld}, {tv_sec=%ld, tv_usec=%ld}]", (long)tv[0], (long)tv[1],
        (long)tv[2], (long)tv[3]);
}

static void f_utimbuf(const struct call *c, int i) {
  int64_t t[2];
  if (peek_or_ptr(ARG, t, sizeof t))
    put("{actime=%ld, modtime=%ld}", (long)t[0], (long)t[1]);
}

// time(&t), getresuid(&r, &e, &s), sendfile's offset: one integer behind a pointer.
static void f_numptr(const struct call *c, int i) {
  int64_t v = 0;
  enum kind k = c->d->k[i];
  size_t size = k == K_IDPTR_OUT ? 4 : 8;
  if ((k != K_OFFPTR && FAILED) || !peek(ARG, &v, size))
    put_ptr(ARG);
  else if (k == K_IDPTR_OUT)
    put("[%u]", (unsigned)v);
  else
    put("[%ld]", (long)v);
}

static void f_pipefds(const struct call *c, int i) {
  int32_t fds[2];
  if (FAILED || !peek(ARG, fds, sizeof fds))
    put_ptr(ARG);
  else
    put("[%d, %d]", fds[0], fds[1]);
}

// execve's argv: the strings, at most -s of them.
static void f_argv(const struct call *c, int i) {
  uint64_t p;
  if (!peek_or_ptr(ARG, &p, sizeof p))
    return;
  putc_('[');
  for (int n = 0; peek(ARG + 8 * n, &p, sizeof p) && p; n++) {
    if (n == opt.strsize) {
      put(", ...");
      break;
    }
    if (n)
      put(", ");
    put_cstr(p, opt.strsize);
  }
  putc_(']');
}

static void f_envp(const struct call *c, int i) {
  uint64_t p;
  int n = 0;
  if (!peek_or_ptr(ARG, &p, sizeof p))
    return;
  while (n < 100000 && peek(ARG + 8 * n, &p, sizeof p) && p)
    n++;
  put("%#lx /* %d var%s */", (unsigned long)ARG, n, n == 1 ? "" : "s");
}

// futex(uaddr, op, val, timeout or val2, uaddr2, val3): the arguments the op uses.
static const char *const futex_ops[] = {"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE",
                                        "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI",
                                        "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET",
                                        "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
                                        "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
static void f_futex(const struct call *c, int i) {
  int op = c->a[1], cmd = op & ~(128 | 256);
  (void)i;
  put("%#lx, ", (unsigned long)c->a[0]);
  if (cmd < (int)(sizeof futex_ops / sizeof futex_ops[0]))
    put("%s%s%s", futex_ops[cmd], op & 128 ? "_PRIVATE" : "", op & 256 ? "|FUTEX_CLOCK_REALTIME" : "");
  else
    put("%#x", op);
  if (cmd == 6 || cmd == 13) { // LOCK_PI, LOCK_PI2: no value, an absolute timeout
    put(", ");
    put_timespec(c->a[3], "tv_nsec");
    return;
  }
  if (cmd == 7 || cmd == 8) // UNLOCK_PI, TRYLOCK_PI: the address alone
    return;
  put(", %u", (unsigned)c->a[2]);
  if (cmd == 0 || cmd == 9) {
    put(", ");
    put_timespec(c->a[3], "tv_nsec");
  } else if (cmd == 3 || cmd == 4 || cmd == 5)
    put(", %u, %#lx", (unsigned)c->a[3], (unsigned long)c->a[4]);
  if (cmd == 4 || cmd == 5 || cmd == 9 || cmd == 10)
    put(", %#x", (unsigned)c->a[5]);
}

// clone3(args, size): the structure's address and size (strace decodes the fields).
static void f_clone3(const struct call *c, int i) {
  (void)i;
  put("%#lx, %lu", (unsigned long)c->a[0], (unsigned long)c->a[1]);
}

// clone(flags, newsp, parent_tid, child_tid, tls), shown as strace names them.
static void f_clone(const struct call *c, int i) {
  uint64_t flags = c->a[0];
  (void)i;
  put("child_stack=");
  put_ptr(c->a[1]);
  put(", flags=");
  put_flags(x_clone, flags & ~0xffUL, "", false);
  if (flags & 0xff) {
    put("%s", flags & ~0xffUL ? "|" : "");
    put_signame(flags & 0xff);
  } else if (!(flags & ~0xffUL))
    put("0");
  if (flags & 0x100000)
    put(", parent_tid=%#lx", (unsigned long)c->a[2]);
  if (flags & 0x80000)
    put(", tls=%#lx", (unsigned long)c->a[4]);
  if (flags & 0x1200000)
    put(", child_tidptr=%#lx", (unsigned long)c->a[3]);
}

static void f_wstatus(const struct call *c, int i) {
  int32_t s;
  if (c->ret <= 0 || !peek(ARG, &s, sizeof s))
    put_ptr(ARG);
  else
    put_wstatus(s);
}

static void f_rusage(const struct call *c, int i) {
  int64_t t[4];
  if (FAILED || !peek(ARG, t, sizeof t))
    put_ptr(ARG);
  else
    put("{ru_utime={tv_sec=%ld, tv_usec=%ld}, ru_stime={tv_sec=%ld, tv_usec=%ld}, ...}",
        (long)t[0], (long)t[1], (long)t[2], (long)t[3]);
}

// fcntl's third argument exists for some commands only, and means what the command says.
static bool fcntl_has_arg(uint64_t cmd) { return !(cmd == 1 || cmd == 3 || cmd == 9 || cmd == 11 || cmd == 1032); }

static void f_fcntl_arg(const struct call *c, int i) {
  switch (c->a[1]) {
  case 2: put("%s", ARG & 1 ? "FD_CLOEXEC" : "0"); break; // F_SETFD
  case 4: put_open_flags(ARG); break;                      // F_SETFL
  case 0: case 8: case 10: case 1030: case 1031: put("%d", (int)ARG); break;
  default: put_ptr(ARG);
  }
}

// ioctl requests whose argument the kernel fills (shown at exit), or reads, or that take
// no argument at all.
enum { IO_PTR, IO_TERMIOS, IO_WINSZ, IO_INTPTR, IO_INT, IO_NONE };
static const struct { uint32_t req; uint8_t type, out; } ioctl_args[] = {
    {0x5401, IO_TERMIOS, 1}, {0x5402, IO_TERMIOS, 0}, {0x5403, IO_TERMIOS, 0},
    {0x5404, IO_TERMIOS, 0}, {0x5413, IO_WINSZ, 1},   {0x5414, IO_WINSZ, 0},
    {0x540f, IO_INTPTR, 1},  {0x5429, IO_INTPTR, 1},  {0x541b, IO_INTPTR, 1},
    {0x5411, IO_INTPTR, 1},  {0x5410, IO_INTPTR, 0},  {0x5421, IO_INTPTR, 0},
    {0x540e, IO_INT, 0},     {0x5409, IO_INT, 0},     {0x540a, IO_INT, 0},
    {0x540b, IO_INT, 0},     {0x5422, IO_NONE, 0},    {0x5450, IO_NONE, 0},
    {0x5451, IO_NONE, 0}};

static int ioctl_arg_index(uint64_t req) {
  for (size_t k = 0; k < sizeof ioctl_args / sizeof ioctl_args[0]; k++)
    if (ioctl_args[k].req == (uint32_t)req)
      return k;
  return -1;
}

static void f_ioctl_arg(const struct call *c, int i) {
  int k = ioctl_arg_index(c->a[1]);
  int type = k < 0 ? IO_PTR : ioctl_args[k].type;
  int32_t v;
  uint16_t ws[4];
  if (type == IO_INT)
    put("%d", (int)ARG);
  else if (type == IO_PTR || (k >= 0 && ioctl_args[k].out && FAILED))
    put_ptr(ARG);
  else if (type == IO_TERMIOS)
    put_termios(ARG);
  else if (type == IO_WINSZ && peek(ARG, ws, sizeof ws))
    put("{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", ws[0], ws[1], ws[2], ws[3]);
  else if (type == IO_INTPTR && peek(ARG, &v, sizeof v))
    put("[%d]", v);
  else
    put_ptr(ARG);
}

static void f_uname(const struct call *c, int i) {
  char u[2][65];
  if (FAILED || !peek(ARG, u, sizeof u)) {
    put_ptr(ARG);
    return;
  }
  put("{sysname=");
  put_quoted((unsigned char *)u[0], strnlen(u[0], 65), false);
  put(", nodename=");
  put_quoted((unsigned char *)u[1], strnlen(u[1], 65), false);
  put(", ...}");
}

static void f_rlimit(const struct call *c, int i) {
  if (c->d->k[i] == K_RLIMIT_OUT && FAILED)
    put_ptr(ARG);
  else
    put_rlimit(ARG, c->nr == NR_PRLIMIT64);
}

static void f_sysinfo(const struct call *c, int i) {
  struct sysinfo s;
  if (FAILED || !peek(ARG, &s, sizeof s)) {
    put_ptr(ARG);
    return;
  }
  put("{uptime=%ld, loads=[%lu, %lu, %lu], totalram=%lu, freeram=%lu, sharedram=%lu, "
      "bufferram=%lu, totalswap=%lu, freeswap=%lu, procs=%u, totalhigh=%lu, freehigh=%lu, "
      "mem_unit=%u}",
      s.uptime, s.loads[0], s.loads[1], s.loads[2], s.totalram, s.freeram, s.sharedram,
      s.bufferram, s.totalswap, s.freeswap, s.procs, s.totalhigh, s.freehigh, s.mem_unit);
}

// readv/writev's vector: each buffer as a string; for readv, only what was read.
static void f_iov(const struct call *c, int i) {
  bool out = c->d->k[i] == K_IOV_OUT;
  uint64_t iov[2], left = out ? (uint64_t)c->ret : UINT64_MAX;
  int n = (int)c->a[i + 1];
  if ((out && FAILED) || n < 0 || !peek(ARG, iov, sizeof iov)) {
    put_ptr(ARG);
    return;
  }
  putc_('[');
  for (int k = 0; k < n && peek(ARG + 16 * k, iov, sizeof iov); k++) {
    if (k == opt.strsize) {
      put(", ...");
      break;
    }
    uint64_t len = iov[1] < left ? iov[1] : left;
    put("%s{iov_base=", k ? ", " : "");
    put_buf(iov[0], len, false);
    put(", iov_len=%lu}", (unsigned long)iov[1]);
    left -= len;
  }
  putc_(']');
}

// poll's array: the events asked for (entry) or, for the result, the revents.
static void put_pollfds(uint64_t addr, uint64_t n, bool revents) {
  struct { int32_t fd; int16_t events, revents; } p;
  const char *sep = "";
  putc_('[');
  for (uint64_t k = 0; k < n && k < 1024 && peek(addr + 8 * k, &p, sizeof p); k++) {
    if (revents && !p.revents)
      continue;
    put("%s{fd=%d, %s=", sep, p.fd, revents ? "revents" : "events");
    put_flags(x_poll, (uint16_t)(revents ? p.revents : p.events), "0", false);
    putc_('}');
    sep = ", ";
  }
  putc_(']');
}

static void f_pollfds(const struct call *c, int i) {
  uint64_t probe;
  if (peek_or_ptr(ARG, &probe, sizeof probe))
    put_pollfds(ARG, c->a[i + 1], false);
}

static void f_fdset(const struct call *c, int i) { put_fdset(ARG, (int)c->a[0]); }

// pselect6's sixth argument: {sigset pointer, size}.
static void f_psel_mask(const struct call *c, int i) {
  uint64_t m[2];
  if (!peek_or_ptr(ARG, m, sizeof m))
    return;
  putc_('{');
  if (m[0])
    put_sigset(m[0]);
  else
    put("NULL");
  put(", %lu}", (unsigned long)m[1]);
}

// getdents64: strace shows the buffer's address and how many entries it got.
static void f_dirents(const struct call *c, int i) {
  size_t n = c->ret > 0 ? (size_t)c->ret : 0;
  uint8_t *b = malloc(n + 1);
  int entries = 0;
  if (FAILED || !b || (n && !peek(ARG, b, n))) {
    put_ptr(ARG);
    free(b);
    return;
  }
  for (size_t off = 0; off + 19 <= n; entries++) {
    uint16_t reclen;
    memcpy(&reclen, b + off + 16, sizeof reclen); // d_ino, d_off, then d_reclen
    if (!reclen)
      break;
    off += reclen;
  }
  put("%#lx /* %d entr%s */", (unsigned long)ARG, entries, entries == 1 ? "y" : "ies");
  free(b);
}

static void f_prctl(const struct call *c, int i) {
  size_t k = 0, n = sizeof prctls / sizeof prctls[0];
  (void)i;
  while (k < n && prctls[k].opt != c->a[0])
    k++;
  if (k == n) { // unknown: the raw arguments
    put("%#lx, %#lx, %#lx, %#lx, %#lx", (unsigned long)c->a[0], (unsigned long)c->a[1],
        (unsigned long)c->a[2], (unsigned long)c->a[3], (unsigned long)c->a[4]);
    return;
  }
  put("%s", prctls[k].name);
  switch (prctls[k].shape) {
  case 's': put(", "); put_cstr(c->a[1], 16); break;
  case 'S': put(", "); put_signame(c->a[1]); break;
  case 'p': put(", "); put_ptr(c->a[1]); break;
  case 'd': put(", %lu", (unsigned long)c->a[1]); break;
  }
}

static void f_statfs(const struct call *c, int i) {
  struct { uint64_t type, bsize, blocks, bfree, bavail, files, ffree; int32_t fsid[2];
           uint64_t namelen, frsize, flags, spare[4]; } f;
  if (FAILED || !peek(ARG, &f, sizeof f)) {
    put_ptr(ARG);
    return;
  }
  put("{f_type=");
  put_xval(x_fs_magic, f.type, true);
  put(", f_bsize=%lu, f_blocks=%lu, f_bfree=%lu, f_bavail=%lu, f_files=%lu, f_ffree=%lu, "
      "f_fsid={val=[%d, %d]}, f_namelen=%lu, f_frsize=%lu, f_flags=",
      (unsigned long)f.bsize, (unsigned long)f.blocks, (unsigned long)f.bfree,
      (unsigned long)f.bavail, (unsigned long)f.files, (unsigned long)f.ffree, f.fsid[0],
      f.fsid[1], (unsigned long)f.namelen, (unsigned long)f.frsize);
  put_flags(x_st_flags, f.flags, "0", false);
  putc_('}');
}

// setgroups(n, list) / getgroups(n, list) = count.
static void f_groups(const struct call *c, int i) {
  bool out = c->d->k[i] == K_GROUPS_OUT;
  int64_t n = out ? c->ret : (int64_t)c->a[i - 1];
  uint32_t g;
  if ((out && (FAILED || c->a[i - 1] == 0)) || n < 0 || (n && !peek(ARG, &g, sizeof g))) {
    put_ptr(ARG);
    return;
  }
  putc_('[');
  for (int64_t k = 0; k < n && k < 64 && peek(ARG + 4 * k, &g, sizeof g); k++)
    put("%s%u", k ? ", " : "", g);
  putc_(']');
}

// What each kind prints with, when, and (for named values and flags) which table.
static const struct kind_info {
  void (*fmt)(const struct call *, int);
  bool at_exit;
  const struct xlat *tab;
  const char *zero; // flags: the name of no flag
  bool hex;         // named values: unknown ones in hex, not decimal
} kinds[NKINDS] = {
    [K_INT] = {f_int}, [K_UINT] = {f_uint}, [K_LONG] = {f_long}, [K_ULONG] = {f_ulong},
    [K_HEX] = {f_hex}, [K_PTR] = {f_ptr}, [K_DIRFD] = {f_dirfd}, [K_ID] = {f_id},
    [K_PATH] = {f_path}, [K_STR] = {f_str}, [K_BUF_IN] = {f_buf_in},
    [K_BUF_OUT] = {f_buf_out, true}, [K_BUF_HEX_OUT] = {f_buf_out, true},
    [K_STR_RET] = {f_str_ret, true}, [K_OCT] = {f_oct}, [K_OFLAGS] = {f_oflags},
    [K_OMODE] = {f_oct}, [K_FDFLAGS] = {f_flags, false, x_open, "0"},
    [K_ATFLAGS] = {f_flags, false, x_at, "0"}, [K_ACCESS] = {f_flags, false, x_access, "F_OK"},
    [K_PTRACE_REQ] = {f_xval, false, x_ptrace},
    [K_WHENCE] = {f_xval, false, x_whence}, [K_PROT] = {f_flags, false, x_prot, "PROT_NONE"},
    [K_MAPFLAGS] = {f_mapflags}, [K_SIGNUM] = {f_signum},
    [K_SIGHOW] = {f_xval, false, x_sighow}, [K_SIGSET_IN] = {f_sigset_in},
    [K_SIGSET_OUT] = {f_sigset_out, true}, [K_SIGACT_IN] = {f_sigact_in},
    [K_SIGACT_OUT] = {f_sigact_out, true}, [K_SIGRETURN] = {f_sigreturn},
    [K_SIGINFO_OUT] = {f_siginfo_out, true}, [K_STACK_IN] = {f_stack},
    [K_STACK_OUT] = {f_stack, true}, [K_TIMESPEC_IN] = {f_timespec_in},
    [K_TIMESPEC_OUT] = {f_timespec_out, true}, [K_TIMESPEC_REM] = {f_timespec_rem, true},
    [K_TIMEVAL_IN] = {f_timeval_in}, [K_TIMEVAL_OUT] = {f_timespec_out, true},
    [K_TIMESPEC2] = {f_timespec2}, [K_TIMEVAL2] = {f_timeval2}, [K_UTIMBUF] = {f_utimbuf},
    [K_TIME_OUT] = {f_numptr, true}, [K_STAT_OUT] = {f_stat_out, true},
    [K_PIPEFDS] = {f_pipefds, true}, [K_ARGV] = {f_argv}, [K_ENVP] = {f_envp},
    [K_CLONE] = {f_clone}, [K_FUTEX] = {f_futex}, [K_CLONE3] = {f_clone3}, [K_WSTATUS] = {f_wstatus, true}, [K_WOPTS] = {f_flags, false, x_wait, "0"},
    [K_RUSAGE] = {f_rusage, true}, [K_FCNTL_CMD] = {f_xval, false, x_fcntl},
    [K_FCNTL_ARG] = {f_fcntl_arg}, [K_IOCTL_REQ] = {f_xval, false, x_ioctl, NULL, true},
    [K_IOCTL_ARG] = {f_ioctl_arg}, [K_UNAME] = {f_uname, true},
    [K_RLIM_RES] = {f_xval, false, x_rlimit}, [K_RLIMIT_IN] = {f_rlimit},
    [K_RLIMIT_OUT] = {f_rlimit, true}, [K_SYSINFO] = {f_sysinfo, true}, [K_IOV_IN] = {f_iov},
    [K_IOV_OUT] = {f_iov, true}, [K_POLLFDS] = {f_pollfds}, [K_FDSET] = {f_fdset},
    [K_PSEL_MASK] = {f_psel_mask}, [K_DIRENTS] = {f_dirents, true},
    [K_ARCH_CODE] = {f_xval, false, x_arch, NULL, true}, [K_CLOCKID] = {f_xval, false, x_clock},
    [K_TIMER_FLAGS] = {f_flags, false, x_timer, "0"}, [K_PRCTL] = {f_prctl},
    [K_REBOOT_MAGIC] = {f_xval, false, x_reboot_magic, NULL, true}, [K_REBOOT_CMD] = {f_xval, false, x_reboot_cmd, NULL, true},
    [K_GROUPS_IN] = {f_groups}, [K_GROUPS_OUT] = {f_groups, true},
    [K_IDPTR_OUT] = {f_numptr, true}, [K_OFFPTR] = {f_numptr},
    [K_RENAME_FLAGS] = {f_flags, false, x_rename, "0"}, [K_GRND_FLAGS] = {f_flags, false, x_grnd, "0"},
    [K_SOCKDOM] = {f_xval, false, x_af}, [K_SOCKTYPE] = {f_socktype},
    [K_MSGFLAGS] = {f_flags, false, x_msg, "0"}, [K_SHUTHOW] = {f_xval, false, x_shut},
    [K_SOCKLEVEL] = {f_xval, false, x_soclevel},
    [K_IPCKEY] = {f_ipckey}, [K_IPCFLAGS] = {f_ipcflags},
    [K_IPCCMD] = {f_xval, false, x_ipccmd}, [K_SHMATFLAGS] = {f_flags, false, x_shmat, "0"},
    [K_STATFS_OUT] = {f_statfs, true}, [K_IDTYPE] = {f_xval, false, x_idtype},
    [K_ITIMER] = {f_xval, false, x_itimer}, [K_FLOCK_OP] = {f_flags, false, x_flock, "0"},
    [K_MREMAP_FLAGS] = {f_flags, false, x_mremap, "0"}, [K_MADVICE] = {f_xval, false, x_madv},
};

static void f_xval(const struct call *c, int i) {
  const struct kind_info *ki = &kinds[c->d->k[i]];
  put_xval(ki->tab, ki->hex ? ARG : (uint64_t)(int64_t)(int)ARG, ki->hex);
}

static void f_flags(const struct call *c, int i) {
  const struct kind_info *ki = &kinds[c->d->k[i]];
  put_flags(ki->tab, ARG, ki->zero, false);
}

// ---- lines ------------------------------------------------------------------------------

// The kernel's name for nr, or strace's raw form for a number it does not know.
static const char *name_of(uint64_t nr) {
  static char raw[32];
  if (nr < NSYS && sys_names[nr])
    return sys_names[nr];
  if (nr < NSYS && decoder_of[nr])
    return decoder_of[nr]->name;
  snprintf(raw, sizeof raw, "syscall_%#lx", (unsigned long)nr);
  return raw;
}

static const char *call_name(const struct call *c) { return name_of(c->nr); }

static void put_timestamp(void) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (opt.tstamps >= 3) {
    put("%ld.%06ld ", (long)ts.tv_sec, ts.tv_nsec / 1000);
    return;
  }
  localtime_r(&ts.tv_sec, &tm);
  put("%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (opt.tstamps == 2)
    put(".%06ld", ts.tv_nsec / 1000);
  putc_(' ');
}

// Start a line for t. Like strace: with -f and -o every line names its process ("PID  ");
// on stderr, "[pid N] " once more than one process is traced.
static void leader(const struct tracee *t) {
  if (line_owner) { // someone's call is still open: it continues later
    put(" <unfinished ...>\n");
    line_owner = NULL;
  }
  if (opt.follow && opt.outname)
    put("%-5ld ", t->s.pid);
  else if (nannounced > 1)
    put("[pid %5ld] ", t->s.pid);
  if (opt.tstamps)
    put_timestamp();
}

// The arguments from c->next on: up to the first one the kernel fills, or all of them at
// exit. The separator after the last one printed stays, as in strace's partial lines.
static bool at_exit(const struct call *c, int i) {
  int io = c->d->k[i] == K_IOCTL_ARG ? ioctl_arg_index(c->a[1]) : -1;
  return kinds[c->d->k[i]].at_exit || (io >= 0 && ioctl_args[io].out);
}

static void put_args(struct call *c, bool exiting) {
  for (; c->next < c->nargs; c->next++) {
    if (!exiting && at_exit(c, c->next))
      return;
    kinds[c->d->k[c->next]].fmt(c, c->next);
    if (c->next + 1 < c->nargs)
      put(", ");
  }
}

// The optional last argument: open's mode without O_CREAT/O_TMPFILE, fcntl's for the GET
// commands, ioctl's for requests that take none.
static int shown_args(const struct call *c) {
  int n = c->d->nargs;
  enum kind last = n ? c->d->k[n - 1] : K_INT;
  if (last == K_OMODE && !(c->a[n - 2] & 020000100))
    n--;
  else if (last == K_FCNTL_ARG && !fcntl_has_arg(c->a[1]))
    n--;
  else if (last == K_IOCTL_ARG && ioctl_arg_index(c->a[1]) >= 0 &&
           ioctl_args[ioctl_arg_index(c->a[1])].type == IO_NONE)
    n--;
  return n;
}

static void print_entry(struct tracee *t) {
  struct call *c = &t->c;
  cur = t;
  leader(t);
  put("%s(", call_name(c));
  c->next = 0;
  put_args(c, false);
  emit();
  line_owner = t;
}

// The result, after strace's alignment: "= 3", "= -1 ENOENT (No such file or directory)".
static void put_result(const struct call *c) {
  int64_t r = c->ret;
  const char *msg;
  pad_result();
  if (c->d->ret == R_NONE)
    put("= ?");
  else if (r < 0 && r > -4096) {
    const char *name = err_name(-r, &msg);
    put(-r >= 512 ? "= ? %s (%s)" : "= -1 %s (%s)", name, msg); // >= 512: restart codes
  } else
    switch (c->d->ret) {
    case R_HEX: put("= %#lx", (unsigned long)r); break;
    case R_OCT: put("= %#03lo", (unsigned long)r); break;
    default: put("= %ld", (long)r);
    }
}

static void put_result_detail(const struct call *c);

static void print_exit(struct tracee *t) {
  struct call *c = &t->c;
  struct timespec now;
  cur = t;
  if (line_owner != t) {
    leader(t);
    put("<... %s resumed>", call_name(c));
  }
  line_owner = NULL;
  put_args(c, true);
  putc_(')');
  put_result(c);
  put_result_detail(c);
  if (opt.tdelta) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ns = (now.tv_sec - c->t0.tv_sec) * 1000000000L + now.tv_nsec - c->t0.tv_nsec;
    put(" <%ld.%06ld>", ns / 1000000000, ns / 1000 % 1000000);
  }
  putc_('\n');
  emit();
}

static bool fdset_any(uint64_t addr, int nfds) {
  uint8_t set[128];
  size_t n = nfds > 0 ? ((size_t)nfds + 7) / 8 : 0;
  if (!addr || !n || n > sizeof set || !peek(addr, set, n))
    return false;
  for (size_t k = 0; k < n; k++)
    if (set[k])
      return true;
  return false;
}

// What strace adds after some results: fcntl's flags, poll's revents, select's ready sets,
// the signal rt_sigtimedwait took.
static void put_result_detail(const struct call *c) {
  int64_t r = c->ret;
  if (r < 0 && r > -4096)
    return;
  if (c->d->ret == R_FCNTL && c->a[1] == 3) { // F_GETFL
    put(" (flags ");
    put_open_flags(r);
    putc_(')');
  } else if (c->d->ret == R_FCNTL && c->a[1] == 1 && r) { // F_GETFD
    put(" (flags %s)", r & 1 ? "FD_CLOEXEC" : "0");
  } else if ((c->d->ret == R_POLL || c->d->ret == R_SELECT) && r == 0) {
    put(" (Timeout)");
  } else if (c->d->ret == R_POLL) {
    put(" (");
    put_pollfds(c->a[0], c->a[1], true);
    putc_(')');
  } else if (c->d->ret == R_SELECT) {
    static const char *const set_names[] = {"in", "out", "except"};
    const char *sep = " (";
    for (int k = 0; k < 3; k++)
      if (fdset_any(c->a[1 + k], (int)c->a[0])) {
        put("%s%s ", sep, set_names[k]);
        put_fdset(c->a[1 + k], (int)c->a[0]);
        sep = ", ";
      }
    if (*sep == ',')
      putc_(')');
  } else if (c->d->ret == R_SIG) {
    put(" (");
    put_signame(r);
    putc_(')');
  }
}

// "--- SIGUSR1 {si_signo=SIGUSR1, ...} ---"; without a siginfo, what the stop told.
static void print_signal(struct tracee *t, int sig, const struct linux_siginfo *si) {
  leader(t);
  put("--- ");
  put_signame(sig);
  putc_(' ');
  if (si)
    put_siginfo(si);
  else {
    put("{si_signo=");
    put_signame(sig);
    putc_('}');
  }
  put(" ---\n");
  emit();
}

// The end: an open call never returns ("= ?"), then "+++ exited with N +++".
static void print_death(struct tracee *t, int status) {
  if (t->in_call && t->c.shown) {
    bool pending = t->c.next < t->c.nargs; // arguments the call never filled
    if (line_owner != t) {
      leader(t);
      put("<... %s resumed>", call_name(&t->c));
      pending = t->c.nr != NR_EXIT && t->c.nr != NR_EXIT_GROUP;
    }
    put(pending ? " <unfinished ...>)" : ")");
    line_owner = NULL;
    pad_result();
    put("= ?\n");
  }
  leader(t);
  if (WIFSIGNALED(status)) {
    put("+++ killed by ");
    put_signame(WTERMSIG(status));
    put("%s +++\n", WCOREDUMP(status) ? " (core dumped)" : "");
  } else {
    put("+++ exited with %d +++\n", WEXITSTATUS(status));
  }
  emit();
}

// ---- -c: the summary table -------------------------------------------------------------

static void count_call(const struct call *c) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct count *n = &counts[c->nr < NSYS ? c->nr : NSYS];
  n->calls++;
  n->errors += c->ret < 0 && c->ret > -4096;
  n->ns += (now.tv_sec - c->t0.tv_sec) * 1000000000L + now.tv_nsec - c->t0.tv_nsec;
}

static int by_time(const void *a, const void *b) {
  const struct count *x = &counts[*(const int *)a], *y = &counts[*(const int *)b];
  if (x->ns != y->ns)
    return x->ns < y->ns ? 1 : -1;
  return *(const int *)a - *(const int *)b;
}

static void summary_row(double pct, uint64_t ns, uint64_t calls, uint64_t errors, const char *name) {
  fprintf(opt.out, "%6.2f %11.6f %11lu %9lu ", pct, ns / 1e9,
          (unsigned long)(calls ? ns / 1000 / calls : 0), (unsigned long)calls);
  if (errors)
    fprintf(opt.out, "%9lu %s\n", (unsigned long)errors, name);
  else
    fprintf(opt.out, "%9s %s\n", "", name);
}

static void print_summary(void) {
  static const char dashes[] = "------ ----------- ----------- --------- --------- ----------------\n";
  int order[NSYS + 1], n = 0;
  uint64_t ns = 0, calls = 0, errors = 0;
  for (int k = 0; k <= NSYS; k++)
    if (counts[k].calls) {
      order[n++] = k;
      ns += counts[k].ns, calls += counts[k].calls, errors += counts[k].errors;
    }
  qsort(order, n, sizeof order[0], by_time);
  fprintf(opt.out, "%% time     seconds  usecs/call     calls    errors syscall\n%s", dashes);
  for (int k = 0; k < n; k++) {
    const struct count *x = &counts[order[k]];
    summary_row(ns ? 100.0 * x->ns / ns : 0, x->ns, x->calls, x->errors,
                order[k] < NSYS ? name_of(order[k]) : "unknown");
  }
  fprintf(opt.out, "%s", dashes);
  summary_row(100, ns, calls, errors, "total");
}

// ---- sessions ---------------------------------------------------------------------------

// A tracee with no session yet (NULL if there are too many).
static struct tracee *new_tracee(void) {
  return ntracees < MAXTRACEES ? calloc(1, sizeof(struct tracee)) : NULL;
}

// t's session is open: it counts from now on.
static struct tracee *add_tracee(struct tracee *t) {
  tracees[ntracees++] = t;
  return t;
}

// Resume t from its stop; the flags also say where it stops next.
static void resume(struct tracee *t, uint64_t extra) {
  if (proc_resume(&t->s, stop_flags | extra) < 0 && errno != ESRCH)
    fprintf(stderr, "strace: resuming %ld: %s\n", t->s.pid, err_msg(errno));
}

static void write_filter(struct tracee *t, const uint8_t *bits) {
  if (proc_set_sysfilter(&t->s, bits, NSYS / 8) < 0)
    fprintf(stderr, "strace: proc:%ld/sysfilter: %s\n", t->s.pid, err_msg(errno));
}

static bool wanted(uint64_t nr) {
  if (!opt.filtered)
    return true;
  return nr < NSYS ? opt.filter[nr / 8] >> (nr % 8) & 1 : opt.negated;
}

// t's first stop: it now counts for the "[pid N]" prefixes.
static void announce(struct tracee *t, bool say) {
  if (t->announced)
    return;
  t->announced = true;
  nannounced++;
  if (say) {
    emit();
    fflush(opt.out);
    fprintf(stderr, "strace: Process %ld attached\n", t->s.pid);
    if (opt.out == stderr)
      column = 0;
  }
}

// ---- events -----------------------------------------------------------------------------

static void on_entry(struct tracee *t, const struct proc_event *ev) {
  struct call *c = &t->c;
  struct user_regs_struct r;
  *c = (struct call){.nr = ev->a, .a = {ev->b, ev->c, ev->d, ev->e, ev->f}};
  c->d = c->nr < NSYS && decoder_of[c->nr] ? decoder_of[c->nr] : &raw_decoder;
  c->shown = wanted(c->nr);
  t->in_call = true;
  // The stop carries five arguments; mmap's offset and pselect6's mask are the sixth.
  if (c->d->nargs == 6 && c->shown && opt.lines && peek_regs(t, &r))
    c->a[5] = r.r9;
  c->nargs = shown_args(c);
  if (opt.summary || opt.tdelta) // (a clock_gettime is a system call here: no vDSO)
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
  if (c->shown && opt.lines)
    print_entry(t);
}

static void finish_call(struct tracee *t) {
  t->in_call = false;
  if (!t->c.shown)
    return;
  if (opt.summary)
    count_call(&t->c);
  if (opt.lines)
    print_exit(t);
}

static void on_exit_stop(struct tracee *t, const struct proc_event *ev) {
  // (No nr check: rt_sigreturn's exit stop reports -1, the number it left in orig_rax.)
  if (!t->in_call) // attached between entry and exit
    return;
  t->c.ret = (int64_t)ev->b;
  finish_call(t);
}

// A successful execve has no exit stop: the exec stop is its end. The launched program
// gets the user's filter now that the exec that matters has happened.
static void on_exec(struct tracee *t) {
  static const uint8_t all[NSYS / 8] = {[0 ... NSYS / 8 - 1] = 0xff};
  proc_drop_files(&t->s);
  if (t->in_call && t->c.nr == NR_EXECVE) {
    t->c.ret = 0;
    finish_call(t);
  }
  if (!t->started) {
    t->started = true;
    write_filter(t, opt.filtered ? opt.filter : all);
  }
}

// For a handled signal, step to the handler's first instruction, where the siginfo is.
static void on_signal(struct tracee *t, int sig, uint64_t handler) {
  if (handler > 1 && t->started) {
    t->stepping = true;
    t->stepsig = sig;
    resume(t, PROC_STOP_SINGLESTEP);
    return;
  }
  if (t->started)
    print_signal(t, sig, NULL);
  resume(t, 0);
}

static void on_step(struct tracee *t) {
  struct user_regs_struct r;
  struct linux_siginfo si;
  if (!t->stepping)
    return;
  t->stepping = false;
  cur = t;
  // The handler's second argument (rsi) points at the siginfo in the frame.
  bool ok = peek_regs(t, &r) && peek(r.rsi, &si, sizeof si) && si.signo == t->stepsig;
  print_signal(t, t->stepsig, ok ? &si : NULL);
}

// -f: the new process is held stopped until its own session is opened.
static void on_clone(int pid) {
  struct tracee *t = new_tracee();
  struct proc_session s;
  if (!t) { // too many: a session opened and closed lets it run untraced
    if (proc_attach(&s, pid, 0) == 0)
      proc_close(&s);
    return;
  }
  if (proc_attach(&t->s, pid, 0) < 0) {
    free(t);
    return; // gone already
  }
  add_tracee(t);
  t->started = true;
  if (opt.filtered)
    write_filter(t, opt.filter);
}

static void on_exited(struct tracee *t, int status) {
  if (opt.lines) {
    cur = t;
    print_death(t, status);
  }
  if (t->launched)
    exit_status = status;
  t->gone = true;
}

static void on_event(struct tracee *t, const struct proc_event *ev) {
  switch (ev->cause) {
  case PROC_EVENT_CLONE: // the parent does not stop
    if (opt.follow)
      on_clone(ev->a);
    return;
  case PROC_EVENT_EXITED: on_exited(t, ev->a); return;
  case PROC_STOP_SIGNAL: on_signal(t, ev->a, ev->b); return;
  case PROC_STOP_PRE_SYSCALL: on_entry(t, ev); break;
  case PROC_STOP_POST_SYSCALL: on_exit_stop(t, ev); break;
  case PROC_STOP_EXEC: on_exec(t); break;
  case PROC_STOP_SINGLESTEP: on_step(t); break;
  case PROC_STOP_INTERRUPT: announce(t, !opt.outname && !t->attached); break;
  default: break; // a stop strace did not ask for: let it go on
  }
  resume(t, 0);
}

// A fatal signal that arrives while strace waits in its one blocking call jumps back to
// trace_loop; one that arrives elsewhere is seen before the next wait. (No ppoll with a
// signal mask: with one tracee the blocking read alone is the wait, a third cheaper.)
static sigjmp_buf wake;
static volatile sig_atomic_t waiting;

static void on_fatal(int sig) {
  fatal_sig = sig;
  if (waiting) {
    waiting = 0;
    siglongjmp(wake, 1);
  }
}

static void service(struct tracee *t, bool blocking) {
  struct proc_event ev[16];
  waiting = blocking;
  if (fatal_sig) // (checked after `waiting` is set: a signal now cannot be missed)
    return;
  ssize_t n = proc_read_events(&t->s, ev, sizeof ev / sizeof ev[0]);
  waiting = 0;
  if (n < 0 && errno != EINTR)
    t->gone = true; // ESRCH: the session is over
  for (ssize_t k = 0; k < n && !t->gone; k++)
    on_event(t, &ev[k]);
}

static void reap(void) {
  int kept = 0;
  for (int k = 0; k < ntracees; k++) {
    struct tracee *t = tracees[k];
    if (!t->gone) {
      tracees[kept++] = t;
      continue;
    }
    if (line_owner == t)
      line_owner = NULL;
    nannounced -= t->announced;
    proc_close(&t->s);
    free(t);
  }
  ntracees = kept;
}

// Wait for whichever session has an event.
static void trace_loop(void) {
  static struct pollfd pfd[MAXTRACEES];
  while (ntracees > 0 && !fatal_sig) {
    if (!opt.lazy_flush)
      fflush(opt.out);
    if (sigsetjmp(wake, 0)) // (no mask to save: the handler runs with SA_NODEFER)
      break;
    int n = ntracees;
    if (n == 1) {
      service(tracees[0], true);
      reap();
      continue;
    }
    for (int k = 0; k < n; k++)
      pfd[k] = (struct pollfd){tracees[k]->s.trace, POLLIN, 0};
    waiting = 1;
    int r = fatal_sig ? -1 : poll(pfd, n, -1);
    waiting = 0;
    for (int k = 0; k < n && r > 0; k++)
      if (pfd[k].revents)
        service(tracees[k], false);
    reap();
  }
}

// On SIGINT/SIGTERM/...: close every session, so every tracee goes on untraced. The
// program strace started gets the same signal, as Linux strace does.
static void detach_all(void) {
  for (int k = 0; k < ntracees; k++) {
    struct tracee *t = tracees[k];
    if (line_owner == t) {
      put(" <detached ...>\n");
      emit();
      line_owner = NULL;
    }
    long pid = t->s.pid;
    if (t->launched)
      kill(pid, fatal_sig);
    proc_close(&t->s);
    if (!t->launched)
      fprintf(stderr, "strace: Process %ld detached\n", pid);
    t->gone = true;
  }
}

// ---- starting -----------------------------------------------------------------------------

static struct sigaction old_int, old_quit;

// Launch mode: ^C and ^\ go to the program (strace reports how it ended); -p mode: they
// detach. SIGTERM and SIGHUP always make strace detach.
static void setup_signals(bool launching) {
  static const int fatal[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE};
  struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_NODEFER};
  sigaction(SIGINT, NULL, &old_int);
  sigaction(SIGQUIT, NULL, &old_quit);
  for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++) {
    bool ignore = launching && (fatal[k] == SIGINT || fatal[k] == SIGQUIT);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(fatal[k], ignore ? &ign : &sa, NULL);
  }
}

// The child, before it waits for the session: ^C and ^\ are the program's again.
static void child_signals(void *arg) {
  (void)arg;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
}

// Start the program held until its session exists, with a sysfilter of only execve:
// nothing it does before the exec stops.
static void launch(const char *path, char **argv) {
  static const uint8_t only_execve[NSYS / 8] = {[NR_EXECVE / 8] = 1 << (NR_EXECVE % 8)};
  struct tracee *t = new_tracee();
  const struct proc_launch how = {.path = path, .argv = argv, .stops = stop_flags,
                                  .sysfilter = only_execve, .sysfilter_len = sizeof only_execve,
                                  .setup = child_signals};
  if (!t || proc_launch(&t->s, &how) < 0) {
    fprintf(stderr, "strace: cannot start %s: %s\n", path, err_msg(t ? errno : ENOMEM));
    exit(1);
  }
  add_tracee(t);
  t->launched = true;
  announce(t, false);
}

// Attach to one thread, stopped at once (even blocked in a call); the first event is
// the interrupt. must: a failure ends strace (the thread named by -p; the others may
// have exited meanwhile).
static void attach_one(long pid, bool must) {
  struct tracee *t = new_tracee();
  if (!t || proc_attach(&t->s, pid, O_TRUNC) < 0) {
    if (!must) {
      free(t);
      return;
    }
    fprintf(stderr, "strace: attach: open(proc:%ld/trace): %s\n", pid,
            err_msg(!t ? ENOMEM : errno == ENOENT ? ESRCH : errno));
    exit(1);
  }
  add_tracee(t);
  t->started = t->attached = true;
  if (opt.filtered)
    write_filter(t, opt.filter);
  announce(t, true);
}

// -p PID: every thread of PID's process (proc:PID/task/), as Linux's strace.
static void attach(const char *arg) {
  char *end, path[64];
  long pid = strtol(arg, &end, 10);
  if (*arg == 0 || *end || pid <= 0 || pid > 0x7fffffff) {
    fprintf(stderr, "strace: Invalid process id: '%s'\n", arg);
    exit(1);
  }
  attach_one(pid, true);
  proc_path(path, sizeof path, pid, "task");
  DIR *d = opendir(path);
  for (struct dirent *e; d && (e = readdir(d));) {
    long tid = strtol(e->d_name, &end, 10);
    if (tid > 0 && !*end && tid != pid)
      attach_one(tid, false);
  }
  if (d)
    closedir(d);
}

// PROGRAM as strace finds it: a path with a '/', else the first match on $PATH.
static char *find_program(const char *name) {
  struct stat st;
  if (strchr(name, '/'))
    return stat(name, &st) == 0 ? strdup(name) : NULL;
  const char *path = getenv("PATH");
  char *dirs = strdup(path && *path ? path : "/bin:/usr/bin:/sbin:/usr/sbin"), *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *full = malloc(strlen(d) + strlen(name) + 2);
    sprintf(full, "%s/%s", d, name);
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
      free(dirs);
      return full;
    }
    free(full);
  }
  free(dirs);
  errno = ENOENT;
  return NULL;
}

// ---- options ----------------------------------------------------------------------------

static void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "strace: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'strace -h' for more information.\n");
  exit(1);
}

static void usage(void) {
  printf("usage: strace [-fcCT] [-t[t[t]]] [-e trace=SET] [-o FILE] [-s SIZE] "
         "{-p PID | PROGRAM [ARGS...]}\n"
         "  -f        follow forks, vforks and clones\n"
         "  -c        count time, calls and errors per system call; print a summary\n"
         "  -C        like -c, and print the calls too\n"
         "  -e trace=SET  trace only SET: names, %%file, %%process, %%signal, %%desc,\n"
         "            %%memory, all, none, separated by commas; a leading ! negates\n"
         "  -o FILE   write the trace to FILE instead of stderr\n"
         "  -p PID    attach to process PID (every thread); SIGINT or SIGTERM detaches\n"
         "  -s SIZE   show at most SIZE bytes of strings (default 32)\n"
         "  -t -tt -ttt  prefix lines with the time of day, with microseconds, or epoch\n"
         "  -T        show the time spent in each call\n");
  exit(0);
}

static const struct { const char *name; int cls; } classes[] = {
    {"file", C_FILE}, {"process", C_PROC}, {"signal", C_SIG}, {"desc", C_DESC}, {"memory", C_MEM},
    {"ipc", C_IPC}, {"network", C_NET}};

// One element of a trace set: a name, a %class, "all" or "none".
static bool add_to_set(const char *word) {
  if (!strcmp(word, "all") || !strcmp(word, "none")) {
    memset(opt.filter, *word == 'a' ? 0xff : 0, sizeof opt.filter);
    return true;
  }
  for (size_t k = 0; *word == '%' && k < sizeof classes / sizeof classes[0]; k++)
    if (!strcmp(word + 1, classes[k].name)) {
      for (int nr = 0; nr < NSYS; nr++)
        if (decoder_of[nr] && (decoder_of[nr]->cls & classes[k].cls))
          opt.filter[nr / 8] |= 1 << (nr % 8);
      return true;
    }
  for (int nr = 0; nr < NSYS; nr++)
    if ((sys_names[nr] || decoder_of[nr]) && !strcmp(word, name_of(nr))) {
      opt.filter[nr / 8] |= 1 << (nr % 8);
      return true;
    }
  return false;
}

static void parse_trace_set(const char *spec) {
  if (!strncmp(spec, "trace=", 6))
    spec += 6;
  else if (strchr(spec, '='))
    usage_error("invalid qualifier '%.*s' (only trace= is supported)", (int)(strchr(spec, '=') - spec), spec);
  opt.negated = *spec == '!';
  spec += opt.negated;
  memset(opt.filter, 0, sizeof opt.filter);
  char *list = strdup(spec), *save = NULL;
  for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
    if (!add_to_set(w)) {
      fprintf(stderr, "strace: invalid system call '%s'\n", w);
      exit(1);
    }
  free(list);
  if (opt.negated)
    for (size_t k = 0; k < sizeof opt.filter; k++)
      opt.filter[k] = ~opt.filter[k];
  opt.filtered = true;
}

static int parse_size(const char *arg) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (!*arg || *end || v < 0 || v > 1 << 24)
    usage_error("invalid -s argument: '%s'", arg);
  return v;
}

// Returns the -p argument, or NULL.
static const char *parse_options(int argc, char **argv) {
  const char *pid = NULL;
  int ch;
  opterr = 0; // our own messages, in strace's words
  while ((ch = getopt(argc, argv, "+hfcCe:o:p:s:tT")) != -1)
    switch (ch) {
    case 'h': usage(); break;
    case 'f': opt.follow = true; break;
    case 'c': opt.summary = true, opt.lines = false; break;
    case 'C': opt.summary = opt.lines = true; break;
    case 'e': parse_trace_set(optarg); break;
    case 'o': opt.outname = optarg; break;
    case 'p': pid = optarg; break;
    case 's': opt.strsize = parse_size(optarg); break;
    case 't': opt.tstamps++; break;
    case 'T': opt.tdelta = true; break;
    default:
      if (optopt && strchr("eops", optopt))
        usage_error("option requires an argument -- '%c'", optopt);
      usage_error("invalid option -- '%c'", optopt);
    }
  if (optind == argc && !pid)
    usage_error("must have PROG [ARGS] or -p PID");
  return pid;
}

static void setup_decoders(void) {
  for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++) {
    struct decoder *d = &absent_decoders[k];
    *d = (struct decoder){absent[k].name, R_DEC, 0, absent[k].nargs, {K_HEX, K_HEX, K_HEX, K_HEX, K_HEX, K_HEX}};
    if (!sys_names[absent[k].nr]) // (the kernel may have gained it)
      decoder_of[absent[k].nr] = d;
  }
  for (int nr = 0; nr < NSYS; nr++)
    for (size_t k = 0; sys_names[nr] && k < sizeof decoders / sizeof decoders[0]; k++)
      if (!strcmp(decoders[k].name, sys_names[nr]))
        decoder_of[nr] = &decoders[k];
}

static void open_output(void) {
  struct stat st;
  opt.out = stderr;
  if (opt.outname && !(opt.out = fopen(opt.outname, "we"))) {
    fprintf(stderr, "strace: Can't fopen '%s': %s\n", opt.outname, err_msg(errno));
    exit(1);
  }
  // A file only needs writing when its buffer fills; a terminal or pipe is read live.
  opt.lazy_flush = opt.outname && fstat(fileno(opt.out), &st) == 0 &&
                   (S_ISREG(st.st_mode) || !strcmp(opt.outname, "/dev/null"));
  setvbuf(opt.out, NULL, _IOFBF, 1 << 16);
}

int main(int argc, char **argv) {
  setup_decoders(); // before -e, which looks names up
  const char *pid = parse_options(argc, argv);
  char *path = NULL;
  if (optind < argc && !(path = find_program(argv[optind]))) {
    fprintf(stderr, "strace: Can't stat '%s': %s\n", argv[optind], err_msg(errno));
    return 1;
  }
  open_output();
  stop_flags = PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL | PROC_STOP_EXEC |
               (opt.lines ? PROC_STOP_SIGNAL : 0) | (opt.follow ? PROC_EVENT_CLONE : 0);
  setup_signals(path != NULL);
  pid_t launched = 0;
  if (path) {
    launch(path, argv + optind);
    launched = tracees[0]->s.pid;
  }
  if (pid)
    attach(pid);
  trace_loop();
  if (fatal_sig)
    detach_all();
  if (opt.summary)
    print_summary();
  fflush(opt.out);
  int status;
  if (launched && !fatal_sig && waitpid(launched, &status, 0) == launched && exit_status < 0)
    exit_status = status;
  if (fatal_sig)
    return 128 + fatal_sig;
  if (exit_status < 0)
    return 0;
  return WIFSIGNALED(exit_status) ? 128 + WTERMSIG(exit_status) : WEXITSTATUS(exit_status);
}
