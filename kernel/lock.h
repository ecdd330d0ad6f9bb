// File locks (lock.c): fcntl(2)'s record locks, owned by a process (F_SETLK...) or by
// an open file (F_OFD_SETLK...), and flock(2)'s whole-file locks, owned by an open
// file. A lock is on the object a file is open on: its scheme's f->priv (the ramfs node
// for files; the pipe for pipes and FIFOs), the same for every open of it.
#pragma once
#include "types.h"

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

struct file;
struct proc;
struct fdtable;

// A byte range [start, end] (end UINT64_MAX: to the end of any file) of type F_RDLCK,
// F_WRLCK or F_UNLCK.
struct lockreq {
  int type;
  uint64_t start, end;
  int pid; // F_GETLK's answer: the holder (-1: an open file's lock)
};

// fcntl: ofd selects F_OFD_* (owner: the open file) over F_* (owner: the process's
// descriptor table, shared by its threads).
// wait: F_SETLKW. Returns 0, -EAGAIN (held by another), -EDEADLK (waiting would
// deadlock: process locks only), -ENOLCK, or -ERESTARTSYS.
int lock_set(struct file *f, bool ofd, const struct lockreq *req, bool wait);
// F_GETLK: the first lock in the way of req, or req->type = F_UNLCK if none.
void lock_get(struct file *f, bool ofd, struct lockreq *req);
int lock_flock(struct file *f, int op); // flock(2)'s operation, checked
// A descriptor of f in table t closes: t's process locks on f's object go (POSIX's
// rule: any descriptor, even another than the one that locked; a process's threads
// share t).
void lock_close(const struct fdtable *t, struct file *f);
// The last reference to f goes: its open-file and flock locks go.
void lock_file_gone(struct file *f);
