// The proc: scheme (procfs.c): a process's registers, memory, and trace session as
// files. See docs/proc.md.
#pragma once

struct scheme;
extern const struct scheme proc_scheme;
