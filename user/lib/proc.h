// The client side of the proc: scheme (docs/proc.md), written once for regs, strace,
// gdbserver, bench and the tests: a proc:PID/FILE path, a session on a process (launch a
// program stopped, or attach), its events, resuming, registers and memory.
//
// A session is proc:PID/trace held open plus the process's register and memory files,
// each opened when first needed. An exec makes those handles fail with ESRCH: after an
// exec stop, proc_drop_files() and they are opened again on next use.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <unistd.h>
#include <vitrine/procabi.h>

_Static_assert(sizeof(struct user_regs_struct) == 216, "proc:PID/regs/int");
_Static_assert(sizeof(struct user_fpregs_struct) == 512, "proc:PID/regs/float");

// "proc:PID/FILE" into buf. Returns its length, or -1 (ENAMETOOLONG) if it does not fit.
int proc_path(char *buf, size_t cap, long pid, const char *file);

// open("proc:PID/FILE", flags): a descriptor, or -1 with errno.
int proc_open(long pid, const char *file, int flags);

// ---- a child held until its tracer is ready ----
// proc_fork_held is fork(), except that the child returns only once the parent calls
// proc_release: the parent opens the child's trace session and says where it stops
// first, so the child does nothing untraced. `setup` (may be NULL) runs in the child
// before it waits. If the parent closes the hold without releasing, the child exits 127.
struct proc_hold {
  int go; // the parent's end of the pipe the child waits on
};
pid_t proc_fork_held(struct proc_hold *h, void (*setup)(void *), void *arg);
int proc_release(struct proc_hold *h);
void proc_abandon(struct proc_hold *h);

// ---- sessions ----
enum proc_file { PROC_REGS_INT, PROC_REGS_FLOAT, PROC_REGS_DEBUG, PROC_MEM, PROC_NFILES };

struct proc_session {
  long pid;                 // 0: no session
  int trace;                // proc:PID/trace (O_RDWR), -1 when closed
  int files[PROC_NFILES];   // opened (O_RDWR) when first needed; -1 until then
  struct proc_event q[16];  // events read but not yet taken (proc_next_event)
  int qn, qi;
};
#define PROC_SESSION_INIT {.pid = 0, .trace = -1, .files = {-1, -1, -1, -1}}

// Open a session on a running process. flags: O_TRUNC stops it at once (even in a
// blocking call), its first event then PROC_STOP_INTERRUPT; O_EXCL makes closing the
// session kill it. 0, or -1 with errno.
int proc_attach(struct proc_session *s, long pid, int flags);

// Start a program under a session that exists before it runs a single instruction.
struct proc_launch {
  const char *path;         // the file to run (execvp: a name without '/' is looked up
                            // on PATH); NULL: argv[0]
  char *const *argv;
  uint64_t stops;           // where it stops first, e.g. PROC_STOP_EXEC
  const uint8_t *sysfilter; // if not NULL: proc:PID/sysfilter, written before it runs
  size_t sysfilter_len;
  void (*setup)(void *);    // run in the child before it execs (may be NULL)
  void *arg;
};
// 0 with s open on the new process (not stopped yet: it runs until its first stop);
// -1 with errno, and no child left behind. A failed exec ends the child with 127.
int proc_launch(struct proc_session *s, const struct proc_launch *how);

// Close everything: the process goes on untraced. s is then PROC_SESSION_INIT.
void proc_close(struct proc_session *s);

// ---- events and resuming ----
// (proc_resume and proc_read_events are inline: a tracer runs them at every stop, and
// strace's cost per traced call is a benchmark figure.)

// Where to stop next; also resumes the process from its stop (docs/proc.md).
static inline int proc_resume(struct proc_session *s, uint64_t flags) {
  return write(s->trace, &flags, sizeof flags) == sizeof flags ? 0 : -1;
}

ssize_t proc_take_queued(struct proc_session *s, struct proc_event *ev, size_t max);

// One read of up to max events (those proc_next_event read ahead first). The count, or
// -1 with errno (ESRCH: the session is over; EAGAIN; EINTR).
static inline ssize_t proc_read_events(struct proc_session *s, struct proc_event *ev,
                                       size_t max) {
  if (s->qi < s->qn)
    return proc_take_queued(s, ev, max);
  ssize_t n = read(s->trace, ev, max * sizeof *ev);
  return n < 0 ? -1 : n / (ssize_t)sizeof *ev;
}

int proc_set_sysfilter(struct proc_session *s, const uint8_t *bits, size_t n);
// The next event, blocking (restarted after a signal). -1 when there is none to come.
int proc_next_event(struct proc_session *s, struct proc_event *ev);
// Events already read ahead: proc_next_event will not block.
bool proc_event_queued(const struct proc_session *s);

// ---- registers and memory ----
// The descriptor of one of the process's files, opened now if need be; -1 with errno.
int proc_file(struct proc_session *s, enum proc_file f);
void proc_drop_files(struct proc_session *s); // after an exec: the old handles are dead
int proc_get_regs(struct proc_session *s, struct user_regs_struct *r);
int proc_set_regs(struct proc_session *s, const struct user_regs_struct *r);
int proc_get_fpregs(struct proc_session *s, struct user_fpregs_struct *f);
int proc_set_fpregs(struct proc_session *s, const struct user_fpregs_struct *f);
int proc_get_debug(struct proc_session *s, uint64_t dr[6]); // dr0..dr3, dr6, dr7
int proc_set_debug(struct proc_session *s, const uint64_t dr[6]);
// Up to n bytes at addr (fewer where the mapping ends): the count, or -1 with errno.
ssize_t proc_peek(struct proc_session *s, uint64_t addr, void *buf, size_t n);
ssize_t proc_poke(struct proc_session *s, uint64_t addr, const void *buf, size_t n);
