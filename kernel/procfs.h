// The proc: scheme (procfs.c): a process's registers, memory, and trace session as
// files. See docs/proc.md.
#pragma once

struct scheme;
extern const struct scheme proc_scheme;
struct proc;
// May me look into t (its registers, memory; trace it)? Both tracing doors ask this.
bool procfs_may_look(const struct proc *me, const struct proc *t);
