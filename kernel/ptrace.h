// ptrace(2): Linux's tracing interface, a second front door on the trace engine (trace.c).
// ptrace.c translates requests into engine operations and engine stops into wait
// statuses; it keeps no state of its own. See docs/ptrace.md.
#pragma once
#include "types.h"

struct proc;
struct proc_event;

// Requests (Linux's values).
#define PTRACE_TRACEME 0
#define PTRACE_PEEKTEXT 1
#define PTRACE_PEEKDATA 2
#define PTRACE_PEEKUSER 3
#define PTRACE_POKETEXT 4
#define PTRACE_POKEDATA 5
#define PTRACE_POKEUSER 6
#define PTRACE_CONT 7
#define PTRACE_KILL 8
#define PTRACE_SINGLESTEP 9
#define PTRACE_GETREGS 12
#define PTRACE_SETREGS 13
#define PTRACE_GETFPREGS 14
#define PTRACE_SETFPREGS 15
#define PTRACE_ATTACH 16
#define PTRACE_DETACH 17
#define PTRACE_SYSCALL 24
#define PTRACE_ARCH_PRCTL 30
#define PTRACE_SYSEMU 31
#define PTRACE_SYSEMU_SINGLESTEP 32
#define PTRACE_SETOPTIONS 0x4200
#define PTRACE_GETEVENTMSG 0x4201
#define PTRACE_GETSIGINFO 0x4202
#define PTRACE_SETSIGINFO 0x4203
#define PTRACE_GETREGSET 0x4204
#define PTRACE_SETREGSET 0x4205
#define PTRACE_SEIZE 0x4206
#define PTRACE_INTERRUPT 0x4207
#define PTRACE_LISTEN 0x4208
#define PTRACE_PEEKSIGINFO 0x4209
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#define PTRACE_GET_SYSCALL_INFO 0x420e

// Options (SETOPTIONS, SEIZE's data). The engine follows clones by them (trace.c).
#define PTRACE_O_TRACESYSGOOD 0x01
#define PTRACE_O_TRACEFORK 0x02
#define PTRACE_O_TRACEVFORK 0x04
#define PTRACE_O_TRACECLONE 0x08
#define PTRACE_O_TRACEEXEC 0x10
#define PTRACE_O_TRACEVFORKDONE 0x20
#define PTRACE_O_TRACEEXIT 0x40
#define PTRACE_O_TRACESECCOMP 0x80
#define PTRACE_O_EXITKILL 0x100000
#define PTRACE_O_SUSPEND_SECCOMP 0x200000
#define PTRACE_O_MASK 0x3000ff

// Events (a stop's status >> 16).
#define PTRACE_EVENT_FORK 1
#define PTRACE_EVENT_VFORK 2
#define PTRACE_EVENT_CLONE 3
#define PTRACE_EVENT_EXEC 4
#define PTRACE_EVENT_VFORK_DONE 5
#define PTRACE_EVENT_EXIT 6
#define PTRACE_EVENT_STOP 128

long ptrace_request(long req, int pid, uint64_t addr, uint64_t data);
// wait4's side: a stop or exit of one of tracer's tracees matching pid (as wait4's pid).
// Returns the tracee's pid with *status, 0 if nothing is reportable now (*have: some
// tracee matched), never blocks.
struct waitres;
int ptrace_wait(struct proc *tracer, int idtype, int id, int options, struct waitres *res,
                bool *have);
void ptrace_wait_yield(struct proc *tracer);
// process_vm_readv/writev: pid's memory through the one memory path (vm_copy).
long ptrace_vm_rw(int pid, uint64_t liov, unsigned long lcnt, uint64_t riov, unsigned long rcnt,
                  uint64_t flags, bool write);
