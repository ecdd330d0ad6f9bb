// Signals. In this first stage every signal takes its default action, and every
// default action that is not "ignore" ends the process with that signal.
#include "proc.h"
#include "signal.h"

// Default action "ignore" (Linux): SIGCHLD, SIGCONT, SIGURG (23), SIGWINCH (28).
static bool default_ignored(int sig) {
  return sig == SIGCHLD || sig == SIGCONT || sig == 23 || sig == 28;
}

// A synchronous fault: cannot be blocked or ignored, so it always ends the process.
void signal_force(struct proc *p, const struct siginfo_k *info) {
  p->pending |= 1ull << (info->signo - 1);
  p->fatal_sig = info->signo;
}

void signal_send(struct proc *p, const struct siginfo_k *info) {
  if (info->signo == 0 || p->state == P_ZOMBIE)
    return;
  if (default_ignored(info->signo))
    return;
  p->pending |= 1ull << (info->signo - 1);
  if (info->signo == SIGKILL)
    p->killed = true;
  if (p->state == P_SLEEPING)
    p->wake_reason = -EINTR, p->state = P_RUNNABLE; // interrupt a blocking call
}

// On the way back to user mode: act on what is pending.
void signal_deliver(void) {
  struct proc *p = myproc();
  if (p->killed)
    proc_exit(SIGKILL);
  if (p->fatal_sig)
    proc_exit(p->fatal_sig);
  for (int sig = 1; sig <= NSIG; sig++)
    if (p->pending & (1ull << (sig - 1)))
      proc_exit(sig); // wait status: the low 7 bits hold the signal
}
