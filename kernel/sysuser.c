// Users and groups (Linux's rules for real, effective and saved ids), and small
// per-process settings: umask, prctl; and sendfile.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "regs.h"
#include "scheme.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"

static bool is_root(void) { return myproc()->euid == 0; }

// Credentials belong to the process: a change made by one thread holds for all of them
// (what glibc and musl make Linux do by signalling every thread).
static long creds_changed(long r) {
  if (r == 0)
    proc_share_creds(myproc());
  return r;
}
#define KEEP ((uint32_t)-1)

// setresuid/setresgid: an unprivileged process may set each id only to one of its
// current real, effective or saved ids.
static bool allowed(uint32_t v, uint32_t r, uint32_t e, uint32_t s) {
  return v == KEEP || is_root() || v == r || v == e || v == s;
}

static long set_res(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t nr, uint32_t ne, uint32_t ns) {
  if (!allowed(nr, *r, *e, *s) || !allowed(ne, *r, *e, *s) || !allowed(ns, *r, *e, *s))
    return -EPERM;
  if (nr != KEEP)
    *r = nr;
  if (ne != KEEP)
    *e = ne;
  if (ns != KEEP)
    *s = ns;
  return 0;
}

long sys_setresuid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_res(&p->ruid, &p->euid, &p->suid, ARG0, ARG1, ARG2));
}

long sys_setresgid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_res(&p->rgid, &p->egid, &p->sgid, ARG0, ARG1, ARG2));
}

// setuid, setgid: root sets all three; others only the effective id, to the real or
// saved one.
static long set_id(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t v) {
  if (v == KEEP)
    return -EINVAL;
  if (is_root())
    return set_res(r, e, s, v, v, v);
  return v == *r || v == *s ? (*e = v, 0) : -EPERM;
}

long sys_setuid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_id(&p->ruid, &p->euid, &p->suid, ARG0));
}

long sys_setgid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_id(&p->rgid, &p->egid, &p->sgid, ARG0));
}

// setreuid: the saved id follows the effective one when the real id is set or the
// effective id becomes different from the old real id (Linux).
static long set_re(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t nr, uint32_t ne) {
  uint32_t old_r = *r;
  if (nr != KEEP && !is_root() && nr != *r && nr != *e)
    return -EPERM;
  if (ne != KEEP && !is_root() && ne != *r && ne != *e && ne != *s)
    return -EPERM;
  if (nr != KEEP)
    *r = nr;
  if (ne != KEEP)
    *e = ne;
  if (nr != KEEP || (ne != KEEP && ne != old_r))
    *s = *e;
  return 0;
}

long sys_setreuid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_re(&p->ruid, &p->euid, &p->suid, ARG0, ARG1));
}

long sys_setregid(struct trapframe *tf) {
  struct proc *p = myproc();
  return creds_changed(set_re(&p->rgid, &p->egid, &p->sgid, ARG0, ARG1));
}

static long put_res(uint64_t ur, uint64_t ue, uint64_t us, uint32_t r, uint32_t e, uint32_t s) {
  if (copyout(ur, &r, 4) < 0 || copyout(ue, &e, 4) < 0 || copyout(us, &s, 4) < 0)
    return -EFAULT;
  return 0;
}

long sys_getresuid(struct trapframe *tf) {
  struct proc *p = myproc();
  return put_res(ARG0, ARG1, ARG2, p->ruid, p->euid, p->suid);
}

long sys_getresgid(struct trapframe *tf) {
  struct proc *p = myproc();
  return put_res(ARG0, ARG1, ARG2, p->rgid, p->egid, p->sgid);
}

// Supplementary groups: kept and reported (permission checks use the effective gid).
long sys_getgroups(struct trapframe *tf) {
  struct proc *p = myproc();
  int n = ARG0;
  if (n < 0)
    return -EINVAL;
  if (n == 0)
    return p->ngroups;
  if (n < p->ngroups)
    return -EINVAL;
  return copyout(ARG1, p->groups, p->ngroups * sizeof(uint32_t)) < 0 ? -EFAULT : p->ngroups;
}

long sys_setgroups(struct trapframe *tf) {
  struct proc *p = myproc();
  uint32_t g[NGROUPS];
  if (!is_root())
    return -EPERM;
  if (ARG0 > NGROUPS)
    return -EINVAL;
  if (copyin(g, ARG1, ARG0 * sizeof(uint32_t)) < 0)
    return -EFAULT;
  memcpy(p->groups, g, ARG0 * sizeof(uint32_t));
  p->ngroups = ARG0;
  return creds_changed(0);
}

long sys_umask(struct trapframe *tf) {
  struct proc *p = myproc();
  uint32_t old = p->fs->umask;
  p->fs->umask = ARG0 & 0777;
  return old;
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_SET_NAME 15
#define PR_GET_NAME 16

long sys_prctl(struct trapframe *tf) {
  struct proc *p = myproc();
  switch (ARG0) {
  case PR_SET_NAME: {
    char name[16];
    long n = copyinstr(name, ARG1, sizeof name);
    if (n == -EFAULT)
      return n;
    if (n < 0) { // longer than 15 bytes: Linux keeps the first 15
      if (copyin(name, ARG1, 15) < 0)
        return -EFAULT;
      name[15] = 0;
    }
    memcpy(p->name, name, sizeof name);
    return 0;
  }
  case PR_GET_NAME:
    return copyout(ARG1, p->name, sizeof p->name);
  case PR_SET_PDEATHSIG:
    return ARG1 <= NSIG ? 0 : -EINVAL;
  case PR_GET_PDEATHSIG: {
    int zero = 0;
    return copyout(ARG1, &zero, 4);
  }
  }
  return -EINVAL;
}

long sys_sendfile(struct trapframe *tf) {
  struct file *out = file_get(ARG0), *in = file_get(ARG1);
  if (!out || !in || !file_can_read(in) || !file_writable(out) || !out->scheme->write)
    return -EBADF;
  // As Linux, input must be a file with offsets: bytes taken from a stream (a pipe, a
  // terminal) that the output then refused would be lost.
  if (!in->scheme->seek)
    return ARG2 ? -ESPIPE : -EINVAL;
  int64_t off = 0;
  if (ARG2) {
    if (copyin(&off, ARG2, 8) < 0)
      return -EFAULT;
    if (off < 0)
      return -EINVAL;
  }
  uint64_t pos = ARG2 ? (uint64_t)off : in->off;
  size_t n = MIN(ARG3, 1u << 30), done = 0;
  char *buf = kmalloc(PAGE_SIZE);
  if (!buf)
    return -ENOMEM;
  long r = 0;
  while (done < n) {
    r = file_read(in, buf, MIN(n - done, PAGE_SIZE), pos);
    if (r <= 0)
      break;
    long w = out->scheme->write(out, buf, r, out->off);
    if (w <= 0) {
      r = w;
      break;
    }
    out->off += w, pos += w, done += w;
    // A short transfer: return what moved.
    if (w < r || (size_t)r < MIN(n - done + r, PAGE_SIZE))
      break;
  }
  kfree(buf);
  if (ARG2) {
    off = pos;
    copyout(ARG2, &off, 8);
  } else {
    in->off = pos;
  }
  return done ? (long)done : r;
}
