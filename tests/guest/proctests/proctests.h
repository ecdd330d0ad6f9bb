// What the proctests files share (main.c describes the suite): the kid protocol, the
// proc: file helpers, the trace helpers, the probes, and each section's table of tests.
#pragma once
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "proc.h"
#include "utest.h"

#define PAGE 4096UL
#define TEST_DEADLINE_MS 15000 // a test still running after this is killed and fails
#define EVENT_WAIT_MS 5000   // how long a tracer waits for an event before failing
#define SETTLE_MS 40         // time given to a process to do what it must not do
// The wait status's core-dump bit: set, as on Linux, when a signal whose default action
// is a core dump (SIGTRAP, SIGSEGV...) ends a process, though no core file is written.
#define CORE_BIT 0x80
typedef struct user_regs_struct regs_t;
typedef struct user_fpregs_struct fpregs_t;
_Static_assert(sizeof(regs_t) == 216, "proc:PID/regs/int is 216 bytes");
_Static_assert(sizeof(fpregs_t) == 512, "proc:PID/regs/float is 512 bytes");

// rflags bits
#define FL_CF 0x1UL
#define FL_PF 0x4UL
#define FL_AF 0x10UL
#define FL_ZF 0x40UL
#define FL_SF 0x80UL
#define FL_TF 0x100UL
#define FL_IF 0x200UL
#define FL_DF 0x400UL
#define FL_OF 0x800UL
#define FL_IOPL 0x3000UL
#define FL_NT 0x4000UL
#define FL_RF 0x10000UL
#define FL_VM 0x20000UL
#define FL_AC 0x40000UL
#define FL_VIF 0x80000UL
#define FL_VIP 0x100000UL
#define FL_ID 0x200000UL
#define POPEN(pid, file, flags) popen_at(__LINE__, (pid), (file), (flags))
#define regs_get(pid, r) regs_get_at(__LINE__, (pid), (r))

// The target is in a trace stop of the named kind (status says State t, TraceStop name).
#define EXPECT_STOP(pid, name)                                                           \
  do {                                                                                   \
    const char *st_ = status_field((pid), "State");                                      \
    if (st_[0] != 't')                                                                   \
      fail_at(__LINE__, "State of %ld is '%s', want t (a trace stop)", (long)(pid), st_);  \
    const char *ts_ = status_field((pid), "TraceStop");                                  \
    if (strcmp(ts_, (name)) != 0)                                                        \
      fail_at(__LINE__, "TraceStop of %ld is '%s', want %s", (long)(pid), ts_, (name));   \
  } while (0)
#define TRACE(pid, flags) trace_open_at(__LINE__, (pid), (flags))
#define TSET(tfd, flags) tset_at(__LINE__, (tfd), (flags))

// Every system call's entry and exit stop.
#define SYSCALL_STOPS (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL)
#define KID_TRACED(k, body, stops) kid_traced_at(__LINE__, (k), (body), (stops))
#define EV_NEXT(tfd) ev_next_at(__LINE__, (tfd))
#define EV_EXPECT(tfd, cause) ev_expect_at(__LINE__, (tfd), (cause))
#define EV_SYSCALL(tfd, flags, cause, nr) ev_syscall_at(__LINE__, (tfd), (flags), (cause), (nr))
#define ATTACH_STOPPED(pid) attach_stopped_at(__LINE__, (pid), 0)
#define KID_STOPPED(k, body) kid_stopped_at(__LINE__, (k), (body))
#define EXPECT_EXITED(tfd, status) expect_exited_at(__LINE__, (tfd), (status))
#define KID_END(k, tfd, status) kid_end_at(__LINE__, (k), (tfd), (status))

// A target ("kid"): a forked child that takes one-byte commands on a pipe and answers
// on another. The kid's ends are in g_kcmd and g_kres (it closes the parent's ends).
struct kid {
  long pid;
  int cmd; // the parent writes commands here
  int res; // and reads answers here
};

// Two processes in order: one opens the gate (a byte down a pipe), the other passes it
// once it is open.
struct gate {
  int rd, wr;
};

// A process shows another (the test) a target: show() sends the target's pid and waits
// until the test, which took it with shown(), says seen().
struct show {
  int pid[2];
  struct gate done;
};

// ---- helpers.c ----
extern int g_argc;
extern char **g_argv;
extern int g_kcmd, g_kres;
extern volatile uint64_t g_counter;
void become(unsigned uid);
void kid_start(struct kid *k, void (*body)(void));
void kid_send(const struct kid *k, int byte);
void kid_recv(const struct kid *k, void *buf, size_t n);
int kid_get(void);
void kid_put(const void *buf, size_t n);
bool readable(int fd, int ms);
struct gate gate_new(void);
void gate_open(const struct gate *g);
void gate_pass(const struct gate *g);
struct show show_new(void);
void show(const struct show *s, long pid);
long shown(const struct show *s);
void seen(const struct show *s);
void kid_spin(void);
void kid_read_exit(void);
const char *ppath(long pid, const char *file);
int popen_at(int line, long pid, const char *file, int flags);
void regs_get_at(int line, long pid, regs_t *r);
long regs_put(long pid, const regs_t *r);
void fpu_get(long pid, fpregs_t *f);
long fpu_put(long pid, const fpregs_t *f);
void dbg_get(long pid, uint64_t v[6]);
long dbg_put(long pid, const uint64_t v[6]);
long mem_pread(int fd, void *buf, size_t n, uint64_t addr);
long mem_pwrite(int fd, const void *buf, size_t n, uint64_t addr);
uint64_t peek64(long pid, const volatile void *addr);
const char *status_field(long pid, const char *key);
bool wait_state(long pid, const char *want);
const char *cause_name(uint64_t c);
int trace_open_at(int line, long pid, int flags);
void tset_at(int line, int tfd, uint64_t flags);
int kid_traced_at(int line, struct kid *k, void (*body)(void), uint64_t stops);
struct proc_event ev_next_at(int line, int tfd);
struct proc_event ev_expect_at(int line, int tfd, uint64_t cause);
struct proc_event ev_syscall_at(int line, int tfd, uint64_t flags, uint64_t cause, long nr);
int attach_stopped_at(int line, long pid, int flags);
int kid_stopped_at(int line, struct kid *k, void (*body)(void));
void expect_exited_at(int line, int tfd, int status);
void kid_end_at(int line, const struct kid *k, int tfd, int status);
Elf64_Ehdr read_ehdr(int fd);
uint64_t elf_entry(const char *path);
uint64_t file_offset_of(const char *path, uint64_t va);

// ---- probes.c ----
void *main_addr(void);      // (an address in this program's text)
int poke_target(int x);     // a function the breakpoint tests patch
int never_called(int x);    // a function whose text is overwritten in a target
extern char step_probe[], step_a[], step_b[], step_c[], step_d[], step_e[], step_end[];
extern char flags_probe[], flags_after[];
extern char regs_probe[], regs_after[];
extern char gs_probe[], gs_after[];
extern char exit77_probe[];
extern char bp_probe[], bp_after[];
extern char xmm_hold[];
extern char spin_probe[], spin_end[];
extern char fork_probe[], fork_syscall[], fork_after[];
extern char movss_probe[], movss_int3[];
extern volatile unsigned char spin_flag; // spin_probe loops until a signal handler sets it
uint64_t step_probe_fn(void) __asm__("step_probe");
uint64_t flags_probe_fn(void) __asm__("flags_probe");
void regs_probe_fn(uint64_t out[6]) __asm__("regs_probe");
uint64_t gs_probe_fn(void) __asm__("gs_probe");
int bp_probe_fn(void) __asm__("bp_probe");
void xmm_hold_fn(const void *in, void *out, int fd) __asm__("xmm_hold");
uint64_t spin_probe_fn(void) __asm__("spin_probe");
long fork_probe_fn(void) __asm__("fork_probe");
void movss_probe_fn(const uint16_t *sel) __asm__("movss_probe");

// ---- kid bodies and steps that more than one section uses ----
void kid_exec_wait(void);
void wait_for_exec(long pid);
void kid_write_x(void);
extern int g_gpipe[2];
extern const char g_hi[];
void kid_read_then_getppid(void);
extern uint64_t (*g_probe)(void);
extern int (*g_probe_ok)(uint64_t);
void kid_probe(void);
int marker_stop(struct kid *k, const char *after, uint64_t cause, regs_t *r);
int start_at_marker(struct kid *k, uint64_t (*probe)(void), int (*ok)(uint64_t), const char *after, regs_t *r);
void kid_poke(void);
int usr1_stop(struct kid *k);
void finish_read_exit(struct kid *k, int tfd, int code);
void pattern(unsigned char *p, size_t n, unsigned seed);

// ---- each section's tests ----
// NAME_tests[] and its length NAME_ntests, at the end of NAME.c; main.c runs the
// sections in this order.
#define SECTIONS(X)                                                                      \
  X(lifecycle) X(fork) X(syscalls) X(steps) X(signals) X(regs) X(fpregs) X(mem) X(perm)  \
  X(badinput) X(tree) X(threads)
#define DECLARE_SECTION(name)                                                            \
  extern const struct ut_test name##_tests[];                                            \
  extern const size_t name##_ntests;
SECTIONS(DECLARE_SECTION)
