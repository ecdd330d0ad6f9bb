// AF_UNIX sockets, as Linux's unix(7).
//
// A socket is a struct usock held by its open file and by the sockets whose peer it is
// (refs). What a socket receives waits in its queue as messages: a datagram or a
// seqpacket record is one message; a stream's writes are messages too, which reads
// consume across (small writes are appended to the last one, so a byte stream does not
// cost a header per byte). Messages carry the descriptors passed with them
// (SCM_RIGHTS) and the sender's credentials (SCM_CREDENTIALS).
//
// Memory: every byte queued, headers included, counts against a limit (the sender's
// SO_SNDBUF for connections, the receiver's SO_RCVBUF for datagrams), so no sender can
// fill the kernel. A descriptor in flight holds its file. A socket whose only
// references are in flight in queues no live socket can reach (sent over itself, or a
// cycle of sockets each in another's queue, then closed) is garbage: unix_gc finds
// and frees it, as Linux's unix_gc does.
//
// Waiting: a process waits on the socket whose state it needs to change (a reader on
// its own socket, a writer on the receiver's, connect and accept on the listener), and
// everything that changes a socket wakes its channel and the pollers.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "path.h"
#include "proc.h"
#include "ramfs.h"
#include "scheme.h"
#include "signal.h"
#include "unix.h"
#include "vm.h"

#define BUF_DEFAULT 212992 // Linux's net.core.wmem_default and wmem_max
#define SNDBUF_MIN 4608
#define RCVBUF_MIN 2304
#define SCM_MAX_FD 253
#define SOMAXCONN 4096
#define STREAM_CHUNK 65536 // a stream write is queued in messages of at most this
#define SMALL_CAP 512      // a stream message is made this big, to take the next writes
#define SHUT_RCV 1
#define SHUT_SEND 2
#define HDR sizeof(struct umsg)

// SOL_SOCKET options, Linux's values.
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVTIMEO 20 // (x86-64's struct timeval is already 64-bit: _NEW is the same)
#define SO_SNDTIMEO 21
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

struct ucred_k {
  int32_t pid;
  uint32_t uid, gid;
};

struct umsg {
  struct umsg *next;
  size_t len, off, cap;      // bytes in data; consumed by stream reads; room
  struct file **fds;         // SCM_RIGHTS in flight (holding their files), or NULL
  int nfds;
  struct ucred_k cred;       // the sender's, or what it passed with SCM_CREDENTIALS
  uint8_t from[SUN_LEN_MAX]; // the sender's address (datagrams), fromlen bytes
  uint32_t fromlen;
  uint8_t data[];
};

enum ustate { U_NEW, U_LISTEN, U_CONN };

// Every field is the kernel's single lock's (proc.h).
struct usock {
  int type;
  enum ustate state;
  bool closed;               // its file is gone (or, never accepted, its listener's)
  int refs;                  // its file, and every usock whose peer it is
  int shut;                  // SHUT_RCV, SHUT_SEND: what no longer flows, seen from here
  int err;                   // SO_ERROR, reported once
  bool passcred;             // SO_PASSCRED
  size_t sndbuf, rcvbuf;
  int64_t rcvtimeo, sndtimeo; // SO_RCVTIMEO/SNDTIMEO in µs: 0 none, TIMEO_NOWAIT never wait
  struct usock *peer;        // connected to (held), or NULL
  struct umsg *head, *tail;  // received, oldest first
  size_t queued;             // memory the queue holds, headers included
  struct umsg *spare;        // a consumed small message kept for the next one sent here:
                             // a ping-pong then never goes to the allocator
  uint8_t addr[SUN_LEN_MAX]; // bound address, addrlen bytes (0: unbound)
  uint32_t addrlen;
  struct rnode *node;        // the file-tree name it is bound to (held), or NULL
  struct usock *anext;       // the abstract namespace's list
  struct ucred_k cred;       // whoever made it (for SO_PEERCRED of those connecting)
  struct ucred_k peercred;   // the peer's when it connected
  bool has_peercred;
  // Listening: connections not yet accepted (each held by the queue), oldest first.
  int backlog, nconn;
  struct usock *conn_head, *conn_tail, *cnext;
  struct file *file;         // its open file (while it has one), for the collector
  struct usock *all_prev, *all_next; // every socket, for the collector
  int gc_inflight, gc_refs;  // the collector's: references in flight; from outside
  bool gc_cand, gc_alive;
};

#define TIMEO_NOWAIT (-1) // a negative tv_sec: Linux then never waits (EAGAIN at once)

static struct usock *abstract_names; // sockets bound to abstract addresses
static struct usock all_socks = {   // every socket, in a ring through this one (which is
    .all_prev = &all_socks, .all_next = &all_socks}; // none), for the collector
#define EACH_SOCK(s) for (struct usock *s = all_socks.all_next; s != &all_socks; s = s->all_next)
static int in_flight;                // socket files held by queued messages
static bool gc_running;
static uint32_t autobind_seq;
static const struct scheme unix_scheme;

// ---- sockets ----
static struct ucred_k real_cred(void) {
  struct proc *p = myproc();
  return (struct ucred_k){.pid = p->tgid, .uid = p->ruid, .gid = p->rgid};
}

static struct ucred_k eff_cred(void) {
  struct proc *p = myproc();
  return (struct ucred_k){.pid = p->tgid, .uid = p->euid, .gid = p->egid};
}

static struct usock *sock_new(int type) {
  struct usock *s = kmalloc(sizeof *s);
  if (!s)
    return NULL;
  *s = (struct usock){.type = type, .refs = 1, .sndbuf = BUF_DEFAULT, .rcvbuf = BUF_DEFAULT,
                      .cred = eff_cred(), .all_prev = &all_socks, .all_next = all_socks.all_next};
  s->all_next->all_prev = s->all_prev->all_next = s;
  return s;
}

static void sock_free(struct usock *s) {
  s->all_prev->all_next = s->all_next;
  s->all_next->all_prev = s->all_prev;
  kfree(s);
}

// A socket file goes into a queued message (d 1) or leaves one (d -1).
static void flight(struct file *f, int d) {
  if (unix_is_socket(f))
    in_flight += d;
}

static struct usock *sock_get(struct usock *s) {
  s->refs++;
  return s;
}

static void msg_free(struct umsg *m) {
  for (int i = 0; i < m->nfds; i++)
    flight(m->fds[i], -1);
  for (int i = 0; i < m->nfds; i++)
    file_put(m->fds[i]);
  kfree(m->fds);
  kfree(m);
}

static void sock_put(struct usock *s) {
  if (--s->refs > 0)
    return;
  sock_free(s);
}

static void changed(struct usock *s) {
  wakeup(s);
  poll_notify();
}

// When a call with timeout timeo (µs, SO_RCVTIMEO/SNDTIMEO) that starts now gives up:
// a tick count, 0 for never, or 1 (long past) for a timeout that never waits.
static uint64_t deadline_of(int64_t timeo) {
  if (timeo == TIMEO_NOWAIT)
    return 1;
  if (!timeo)
    return 0;
  return ticks + ((uint64_t)timeo * HZ + 999999) / 1000000 + 1;
}

// Block until woken, unless the file or the call says not to, or the deadline (a tick,
// 0: none) passed: then EAGAIN, as Linux. A signal ends a wait with a timeout with EINTR
// (never restarted, as Linux's sock_intr_errno), one without it with -ERESTARTSYS.
static int wait_for(struct file *f, int flags, void *chan, uint64_t deadline) {
  if ((f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT) || (deadline && deadline <= ticks))
    return -EAGAIN;
  int r = sleep_until(chan, deadline);
  if (r < 0)
    return deadline ? -EINTR : r;
  return 0; // (woken or timed out: the caller looks again, and the next wait says which)
}

static void unbind(struct usock *s) {
  if (s->node) {
    ramfs_sock_unbind(s->node);
    s->node = NULL;
  }
  for (struct usock **pp = &abstract_names; *pp; pp = &(*pp)->anext)
    if (*pp == s) {
      *pp = s->anext;
      break;
    }
}

static void queue_drop(struct usock *s) {
  while (s->head) {
    struct umsg *m = s->head;
    s->head = m->next;
    msg_free(m);
  }
  s->tail = NULL;
  s->queued = 0;
  kfree(s->spare);
  s->spare = NULL;
}

// The socket's file is gone (or the listener of a connection never accepted is): as
// Linux, the peer of a connection sees its end, and a reset if data was left unread.
static void sock_release(struct usock *s, bool embryo) {
  s->closed = true;
  s->file = NULL;
  unbind(s);
  while (s->conn_head) {
    struct usock *c = s->conn_head;
    s->conn_head = c->cnext;
    sock_release(c, true);
  }
  struct usock *peer = s->peer;
  if (peer) {
    if (s->type != SOCK_DGRAM) {
      peer->shut = SHUT_RCV | SHUT_SEND;
      if (s->head || embryo)
        peer->err = ECONNRESET;
    }
    s->peer = NULL;
    changed(peer);
    sock_put(peer);
  }
  queue_drop(s);
  changed(s);
  sock_put(s);
}

static int file_new(struct usock *s, int flags, struct file **out) {
  struct file *f = kmalloc(sizeof *f);
  if (!f)
    return -ENOMEM;
  *f = (struct file){.scheme = &unix_scheme, .refs = 1,
                     .flags = O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0), .priv = s};
  s->file = f;
  *out = f;
  return 0;
}

bool unix_is_socket(const struct file *f) { return f->scheme == &unix_scheme; }

// The type socket(2) asks for: SOCK_RAW is a datagram socket here, as in Linux.
static int check_type(int type, int protocol) {
  if (protocol && protocol != AF_UNIX)
    return -EPROTONOSUPPORT;
  switch (type) {
  case SOCK_STREAM:
  case SOCK_DGRAM:
  case SOCK_SEQPACKET: return type;
  case SOCK_RAW: return SOCK_DGRAM;
  default: return -ESOCKTNOSUPPORT;
  }
}

int unix_socket(int type, int protocol, struct file **out) {
  int t = check_type(type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol);
  if (t < 0)
    return t;
  struct usock *s = sock_new(t);
  if (!s)
    return -ENOMEM;
  int r = file_new(s, type, out);
  if (r < 0)
    sock_free(s);
  return r;
}

int unix_socketpair(int type, int protocol, struct file **a, struct file **b) {
  int t = check_type(type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol);
  if (t < 0)
    return t;
  struct usock *x = sock_new(t), *y = sock_new(t);
  int r = x && y ? file_new(x, type, a) : -ENOMEM;
  if (r == 0 && (r = file_new(y, type, b)) < 0)
    kfree(*a);
  if (r < 0) {
    if (x)
      sock_free(x);
    if (y)
      sock_free(y);
    return r;
  }
  x->peer = sock_get(y), y->peer = sock_get(x);
  x->state = y->state = U_CONN;
  x->peercred = y->peercred = eff_cred();
  x->has_peercred = y->has_peercred = true;
  return 0;
}

// ---- addresses ----
// Check a user's sockaddr_un (len bytes): 0 for a name, 1 for the bare family (bind's
// "pick a name for me").
static int addr_check(const uint8_t *addr, uint32_t len) {
  if (len < 2 || len > SUN_LEN_MAX || addr[0] != AF_UNIX || addr[1] != 0)
    return -EINVAL;
  return len == 2;
}

// The file-tree path of a name (not abstract) into buf (PATH_MAX_K), clean, absolute.
static int addr_path(const uint8_t *addr, uint32_t len, char *buf) {
  char raw[SUN_LEN_MAX], scheme[SCHEME_NAME_MAX];
  const char *rest;
  size_t n = strnlen((const char *)addr + 2, len - 2);
  memcpy(raw, addr + 2, n);
  raw[n] = 0;
  int r = path_scheme(raw, scheme, &rest);
  if (r == 0 && scheme[0])
    r = -EINVAL; // only the root file tree has socket names
  if (r == 0 && path_clean(myproc()->fs->cwd, raw, buf, PATH_MAX_K) < 0)
    r = -ENAMETOOLONG;
  return r;
}

static struct usock *abstract_find(const uint8_t *addr, uint32_t len) {
  for (struct usock *s = abstract_names; s; s = s->anext)
    if (s->addrlen == len && memcmp(s->addr, addr, len) == 0)
      return s;
  return NULL;
}

// The socket addr names, held for the caller.
static int lookup(const uint8_t *addr, uint32_t len, struct usock **out) {
  int r = addr_check(addr, len);
  if (r != 0)
    return r < 0 ? r : -EINVAL;
  void *s;
  if (addr[2] == 0) {
    s = abstract_find(addr, len);
    r = s ? 0 : -ECONNREFUSED;
  } else {
    char *buf = kmalloc(PATH_MAX_K);
    r = buf ? addr_path(addr, len, buf) : -ENOMEM;
    if (r == 0)
      r = ramfs_sock_find(buf, &s);
    kfree(buf);
  }
  if (r == 0)
    *out = sock_get(s);
  return r;
}

static int bind_abstract(struct usock *s, const uint8_t *addr, uint32_t len) {
  if (abstract_find(addr, len))
    return -EADDRINUSE;
  memcpy(s->addr, addr, len);
  s->addrlen = len;
  s->anext = abstract_names;
  abstract_names = s;
  return 0;
}

// bind with only the family: a free abstract name of five hex digits, as Linux's.
static int autobind(struct usock *s) {
  static const char hex[] = "0123456789abcdef";
  uint8_t a[8] = {AF_UNIX, 0, 0};
  for (int tries = 0; tries < 0x100000; tries++) {
    uint32_t v = autobind_seq++ & 0xfffff;
    for (int i = 0; i < 5; i++)
      a[3 + i] = hex[(v >> (16 - 4 * i)) & 15];
    if (!abstract_find(a, sizeof a))
      return bind_abstract(s, a, sizeof a);
  }
  return -ENOSPC;
}

int unix_bind(struct file *f, const void *addr, uint32_t len) {
  struct usock *s = f->priv;
  const uint8_t *a = addr;
  int r = addr_check(a, len);
  if (r < 0)
    return r;
  if (s->addrlen)
    return -EINVAL;
  if (r == 1)
    return autobind(s);
  if (a[2] == 0)
    return bind_abstract(s, a, len);
  char *buf = kmalloc(PATH_MAX_K);
  r = buf ? addr_path(a, len, buf) : -ENOMEM;
  if (r == 0)
    r = ramfs_mksock(buf, 0777, s, &s->node);
  kfree(buf);
  if (r == 0) { // Linux keeps the name as given, up to its NUL
    s->addrlen = 2 + strnlen((const char *)a + 2, len - 2) + 1;
    memcpy(s->addr, a, s->addrlen - 1);
    s->addr[s->addrlen - 1] = 0;
  }
  return r;
}

int unix_name(struct file *f, bool peer, void *addr, uint32_t *len) {
  struct usock *s = f->priv;
  if (peer) {
    if (s->type == SOCK_DGRAM ? !s->peer : s->state != U_CONN)
      return -ENOTCONN;
    s = s->peer;
    if (!s) { // the peer of a connection has closed: nameless now
      *len = 2;
      memcpy(addr, (uint8_t[]){AF_UNIX, 0}, 2);
      return 0;
    }
  }
  if (!s->addrlen) {
    *len = 2;
    memcpy(addr, (uint8_t[]){AF_UNIX, 0}, 2);
    return 0;
  }
  *len = s->addrlen;
  memcpy(addr, s->addr, s->addrlen);
  return 0;
}

// ---- connections ----
int unix_listen(struct file *f, int backlog) {
  struct usock *s = f->priv;
  if (s->type == SOCK_DGRAM)
    return -EOPNOTSUPP;
  if (s->state == U_CONN || !s->addrlen)
    return -EINVAL;
  s->backlog = (unsigned)backlog > SOMAXCONN ? SOMAXCONN : backlog;
  s->state = U_LISTEN;
  s->cred = eff_cred(); // what those who connect see as SO_PEERCRED
  changed(s);
  return 0;
}

// A datagram socket's connect sets (or, for AF_UNSPEC, clears) where sends go.
static int dgram_connect(struct usock *s, const uint8_t *addr, uint32_t len) {
  struct usock *t = NULL;
  if (!(len >= 2 && addr[0] == 0 && addr[1] == 0)) { // not AF_UNSPEC
    int r = lookup(addr, len, &t);
    if (r < 0)
      return r;
    if (t->type != s->type) {
      sock_put(t);
      return -EPROTOTYPE;
    }
  }
  if (s->peer)
    sock_put(s->peer);
  s->peer = t;
  s->state = t ? U_CONN : U_NEW;
  if (t) {
    s->peercred = t->cred;
    s->has_peercred = true;
  }
  return 0;
}

// A new socket for the server's side of a connection from s to listener l.
static struct usock *embryo_new(struct usock *l, struct usock *s) {
  struct usock *n = sock_new(l->type);
  if (!n)
    return NULL;
  n->state = U_CONN;
  n->sndbuf = l->sndbuf, n->rcvbuf = l->rcvbuf, n->passcred = l->passcred;
  memcpy(n->addr, l->addr, l->addrlen);
  n->addrlen = l->addrlen;
  n->cred = l->cred;
  n->peercred = eff_cred(), n->has_peercred = true;
  s->peercred = l->cred, s->has_peercred = true;
  n->peer = sock_get(s);
  s->peer = sock_get(n);
  return n;
}

static int stream_connect(struct file *f, struct usock *s, struct usock *l) {
  uint64_t deadline = deadline_of(s->sndtimeo);
  if (l->type != s->type)
    return -EPROTOTYPE;
  for (;;) {
    if (s->state == U_CONN)
      return -EISCONN;
    if (l->closed || l->state != U_LISTEN)
      return -ECONNREFUSED;
    if (l->nconn <= l->backlog)
      break;
    int r = wait_for(f, 0, l, deadline);
    if (r < 0)
      return r;
  }
  struct usock *n = embryo_new(l, s);
  if (!n)
    return -ENOMEM;
  if (l->conn_tail)
    l->conn_tail->cnext = n;
  else
    l->conn_head = n;
  l->conn_tail = n;
  l->nconn++;
  s->state = U_CONN;
  changed(l);
  return 0;
}

int unix_connect(struct file *f, const void *addr, uint32_t len) {
  struct usock *s = f->priv, *l;
  if (s->type == SOCK_DGRAM)
    return dgram_connect(s, addr, len);
  if (s->state == U_LISTEN)
    return -EINVAL;
  if (s->state == U_CONN)
    return -EISCONN;
  int r = lookup(addr, len, &l);
  if (r < 0)
    return r;
  r = stream_connect(f, s, l);
  sock_put(l);
  return r;
}

int unix_accept(struct file *f, int flags, struct file **out) {
  struct usock *l = f->priv;
  if (l->type == SOCK_DGRAM)
    return -EOPNOTSUPP;
  if (l->state != U_LISTEN)
    return -EINVAL;
  uint64_t deadline = deadline_of(l->rcvtimeo);
  while (!l->conn_head) {
    int r = wait_for(f, 0, l, deadline);
    if (r < 0)
      return r;
    if (l->state != U_LISTEN)
      return -EINVAL;
  }
  struct usock *n = l->conn_head;
  int r = file_new(n, flags, out); // the file takes the queue's reference
  if (r < 0)
    return r;
  l->conn_head = n->cnext;
  if (!l->conn_head)
    l->conn_tail = NULL;
  n->cnext = NULL;
  l->nconn--;
  changed(l);
  return 0;
}

int unix_shutdown(struct file *f, int how) {
  struct usock *s = f->priv;
  if (how < 0 || how > 2)
    return -EINVAL; // unconnected is fine, as in Linux: it applies when connected
  int mine = how + 1; // SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 -> SHUT_RCV 1, SHUT_SEND 2, both
  s->shut |= mine;
  if (s->peer && s->type != SOCK_DGRAM) {
    s->peer->shut |= (mine & SHUT_RCV ? SHUT_SEND : 0) | (mine & SHUT_SEND ? SHUT_RCV : 0);
    changed(s->peer);
  }
  changed(s);
  return 0;
}

// ---- moving data ----
// Copy n bytes between the user's iovecs (starting skip bytes in) and k.
static int iov_copy_slow(const struct unix_io *io, size_t skip, void *k, size_t n, bool out) {
  for (int i = 0; i < io->iovcnt && n; i++) {
    if (skip >= io->iov[i].len) {
      skip -= io->iov[i].len;
      continue;
    }
    size_t c = MIN(n, io->iov[i].len - skip);
    uint64_t u = io->iov[i].base + skip;
    if ((out ? copyout(u, k, c) : copyin(k, u, c)) < 0)
      return -EFAULT;
    k = (uint8_t *)k + c, n -= c, skip = 0;
  }
  return 0;
}

// read, write, send, recv have one iovec: straight to copyin/copyout.
static inline int iov_copy(const struct unix_io *io, size_t skip, void *k, size_t n, bool out) {
  if (io->iovcnt != 1)
    return iov_copy_slow(io, skip, k, n, out);
  uint64_t u = io->iov[0].base + skip;
  return (out ? copyout(u, k, n) : copyin(k, u, n)) < 0 ? -EFAULT : 0;
}

static void sigpipe(int flags) {
  if (flags & MSG_NOSIGNAL)
    return;
  struct siginfo_k info = {.signo = SIGPIPE, .code = SI_USER, .pid = myproc()->tgid};
  signal_send_thread(myproc(), &info); // (the writing thread's, as Linux's)
}

// What travels with one send: descriptors (held) and credentials.
// fds is NULL unless SCM_RIGHTS came (then room for SCM_MAX_FD).
struct anc {
  struct file **fds;
  int nfds;
  struct ucred_k cred;
};

static void anc_drop(struct anc *a) {
  for (int i = 0; i < a->nfds; i++)
    file_put(a->fds[i]);
  kfree(a->fds);
  a->fds = NULL;
  a->nfds = 0;
}

static int cred_ok(const struct ucred_k *c) {
  struct proc *p = myproc();
  if (p->euid == 0)
    return 0;
  if (c->pid != p->pid)
    return -EPERM;
  if (c->uid != p->ruid && c->uid != p->euid && c->uid != p->suid)
    return -EPERM;
  if (c->gid != p->rgid && c->gid != p->egid && c->gid != p->sgid)
    return -EPERM;
  return 0;
}

// Parse sendmsg's control messages (cmsghdr: 64-bit length, level, type, then data).
static int anc_parse(const struct unix_io *io, struct anc *a) {
  const uint8_t *c = io->control;
  size_t left = io->controllen;
  *a = (struct anc){.cred = real_cred()};
  while (left >= 16) {
    uint64_t len;
    int32_t level, type;
    memcpy(&len, c, 8), memcpy(&level, c + 8, 4), memcpy(&type, c + 12, 4);
    if (len < 16 || len > left)
      goto inval;
    if (level == SOL_SOCKET && type == SCM_RIGHTS) {
      size_t n = (len - 16) / 4;
      if (a->nfds + n > SCM_MAX_FD)
        goto inval;
      if (!a->fds && !(a->fds = kmalloc(SCM_MAX_FD * sizeof *a->fds))) {
        anc_drop(a);
        return -ENOMEM;
      }
      for (size_t i = 0; i < n; i++) {
        int32_t fd;
        memcpy(&fd, c + 16 + 4 * i, 4);
        struct file *f = file_get(fd);
        if (!f) {
          anc_drop(a);
          return -EBADF;
        }
        a->fds[a->nfds++] = file_dup(f);
      }
    } else if (level == SOL_SOCKET && type == SCM_CREDENTIALS) {
      if (len != 16 + sizeof(struct ucred_k))
        goto inval;
      memcpy(&a->cred, c + 16, sizeof a->cred);
      if (cred_ok(&a->cred) < 0) {
        anc_drop(a);
        return -EPERM;
      }
    } else if (level == SOL_SOCKET) {
      goto inval;
    }
    len = ALIGN_UP(len, 8);
    if (len >= left)
      break;
    c += len, left -= len;
  }
  return 0;
inval:
  anc_drop(a);
  return -EINVAL;
}

// A message for t of n bytes (room for cap) from the user's data at skip, with a's
// descriptors, which it takes.
static struct umsg *msg_new(struct usock *t, const struct unix_io *io, size_t skip, size_t n,
                            size_t cap, struct anc *a, struct usock *from, int *err) {
  struct umsg *m;
  if (cap == SMALL_CAP && t->spare) {
    m = t->spare, t->spare = NULL;
    m->next = NULL, m->off = 0, m->fds = NULL, m->nfds = 0;
  } else if (!(m = kmalloc(HDR + cap))) {
    *err = -ENOMEM;
    return NULL;
  }
  m->len = n, m->cap = cap, m->cred = a->cred;
  m->fromlen = from ? from->addrlen : 0;
  if (m->fromlen)
    memcpy(m->from, from->addr, from->addrlen);
  if ((*err = iov_copy(io, skip, m->data, n, false)) < 0) {
    kfree(m);
    return NULL;
  }
  m->fds = a->fds, m->nfds = a->nfds; // the message takes them
  a->fds = NULL, a->nfds = 0;
  for (int i = 0; i < m->nfds; i++)
    flight(m->fds[i], 1);
  return m;
}

static void enqueue(struct usock *t, struct umsg *m) {
  if (t->tail)
    t->tail->next = m;
  else
    t->head = m;
  t->tail = m;
  t->queued += HDR + m->cap;
  changed(t);
}

// Append what fits of the user's data at skip to t's last message; how much did.
static size_t stream_append(struct usock *t, const struct unix_io *io, size_t skip, size_t n,
                            const struct anc *a) {
  struct umsg *m = t->tail;
  if (!m || m->nfds || a->nfds || m->cred.pid != a->cred.pid || m->cred.uid != a->cred.uid ||
      m->cred.gid != a->cred.gid)
    return 0;
  n = MIN(n, m->cap - m->len);
  if (!n || iov_copy(io, skip, m->data + m->len, n, false) < 0)
    return 0; // a fault is found again (and reported) by msg_new
  m->len += n;
  changed(t);
  return n;
}

static long stream_send(struct file *f, struct usock *s, struct unix_io *io, struct anc *a, int flags,
                        uint64_t deadline) {
  if (io->namelen)
    return s->state == U_CONN ? -EISCONN : -EOPNOTSUPP;
  if (s->state != U_CONN)
    return -ENOTCONN;
  bool record = s->type == SOCK_SEQPACKET;
  if (record && io->len + 32 > s->sndbuf)
    return -EMSGSIZE;
  size_t sent = 0;
  long r = 0;
  int err;
  if (!record && !io->len)
    return 0; // nothing to send, so nothing goes (descriptors included), as Linux
  do {
    struct usock *t = s->peer;
    if ((s->shut & SHUT_SEND) || !t || t->closed || (t->shut & SHUT_RCV)) {
      sigpipe(flags);
      r = -EPIPE;
      break;
    }
    size_t want = record ? io->len : MIN(io->len - sent, STREAM_CHUNK);
    size_t room = s->sndbuf > t->queued ? s->sndbuf - t->queued : 0;
    size_t took = record ? 0 : stream_append(t, io, sent, want, a);
    if (took) {
      sent += took;
      continue;
    }
    if (room < HDR + (record ? want : MIN(want, SMALL_CAP))) {
      if ((r = wait_for(f, flags, t, deadline)) < 0)
        break;
      continue;
    }
    size_t n = record ? want : MIN(want, room - HDR);
    struct umsg *m = msg_new(t, io, sent, n, record ? n : MAX(n, (size_t)SMALL_CAP), a, NULL, &err);
    if (!m) {
      r = err;
      break;
    }
    enqueue(t, m);
    sent += n;
  } while (sent < io->len);
  anc_drop(a);
  return sent ? (long)sent : r;
}

static long dgram_send(struct file *f, struct usock *s, struct unix_io *io, struct anc *a, int flags,
                       uint64_t deadline) {
  struct usock *t;
  long r;
  if (io->namelen) {
    if ((r = lookup(io->name, io->namelen, &t)) < 0)
      return r;
  } else if (s->peer) {
    t = sock_get(s->peer);
  } else {
    return -ENOTCONN;
  }
  if (io->len + 32 > s->sndbuf) {
    r = -EMSGSIZE;
    goto out;
  }
  for (;;) {
    if (t->type != SOCK_DGRAM) {
      r = -EPROTOTYPE;
      goto out;
    }
    if (t->closed) {
      if (t == s->peer) { // the peer is gone: no longer connected
        s->peer = NULL;
        s->state = U_NEW;
        sock_put(t);
      }
      r = -ECONNREFUSED;
      goto out;
    }
    if (t->peer && t->peer != s) {
      r = -EPERM; // it only takes datagrams from the socket it connected to
      goto out;
    }
    if (t->shut & SHUT_RCV) {
      sigpipe(flags);
      r = -EPIPE;
      goto out;
    }
    if (!t->head || t->queued + HDR + io->len <= t->rcvbuf)
      break;
    if ((r = wait_for(f, flags, t, deadline)) < 0)
      goto out;
  }
  int err;
  struct umsg *m = msg_new(t, io, 0, io->len, io->len, a, s, &err);
  r = err;
  if (m) {
    enqueue(t, m);
    r = io->len;
  }
out:
  anc_drop(a);
  sock_put(t);
  return r;
}

long unix_send(struct file *f, struct unix_io *io, int flags) {
  struct usock *s = f->priv;
  if (flags & MSG_OOB)
    return -EOPNOTSUPP;
  struct anc a = {.cred = real_cred()};
  long r = io->controllen ? anc_parse(io, &a) : 0;
  uint64_t deadline = deadline_of(s->sndtimeo);
  if (r == 0)
    r = s->type == SOCK_DGRAM ? dgram_send(f, s, io, &a, flags, deadline)
                              : stream_send(f, s, io, &a, flags, deadline);
  return r;
}

// Ancillary data for a receiver: its SCM_CREDENTIALS if it asked (SO_PASSCRED), then
// the message's descriptors, installed as far as the buffer has room (the rest closed,
// MSG_CTRUNC). With peek the message keeps its own.
static void anc_deliver(struct usock *s, struct umsg *m, struct unix_io *io, int flags, bool peek) {
  uint8_t *c = io->control;
  size_t cap = io->controllen, used = 0;
  if (s->passcred && m) {
    size_t len = 16 + sizeof m->cred;
    if (cap - used >= len) {
      uint64_t l = len;
      int32_t lv = SOL_SOCKET, ty = SCM_CREDENTIALS;
      memcpy(c + used, &l, 8), memcpy(c + used + 8, &lv, 4), memcpy(c + used + 12, &ty, 4);
      memcpy(c + used + 16, &m->cred, sizeof m->cred);
      used += MIN(ALIGN_UP(len, 8), cap - used);
    } else {
      io->flags |= MSG_CTRUNC;
    }
  }
  if (m && m->nfds) {
    size_t room = cap - used >= 16 ? (cap - used - 16) / 4 : 0;
    int n = 0, total = m->nfds;
    if (!peek) { // they leave the message first (a close below may run the collector)
      m->nfds = 0;
      for (int i = 0; i < total; i++)
        flight(m->fds[i], -1);
    }
    for (int i = 0; i < total; i++) {
      struct file *fl = peek ? file_dup(m->fds[i]) : m->fds[i];
      int fd = (size_t)n < room ? fd_install(fl, 0, flags & MSG_CMSG_CLOEXEC) : -1;
      if (fd < 0) {
        file_put(fl);
        io->flags |= MSG_CTRUNC;
        continue;
      }
      memcpy(c + used + 16 + 4 * n++, &fd, 4);
    }
    if (n) {
      uint64_t l = 16 + 4 * n;
      int32_t lv = SOL_SOCKET, ty = SCM_RIGHTS;
      memcpy(c + used, &l, 8), memcpy(c + used + 8, &lv, 4), memcpy(c + used + 12, &ty, 4);
      used += MIN(ALIGN_UP(l, 8), cap - used);
    }
  }
  io->controllen = used;
}

static void dequeue(struct usock *s) {
  struct umsg *m = s->head;
  s->head = m->next;
  if (!s->head)
    s->tail = NULL;
  s->queued -= HDR + m->cap;
  if (m->cap == SMALL_CAP && !m->fds && !s->spare) // (a message that had descriptors
    s->spare = m;                                  // goes: its array would be lost)
  else
    msg_free(m);
}

static bool same_cred(const struct ucred_k *a, const struct ucred_k *b) {
  return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

// A stream read: across messages, but not past one carrying descriptors, nor (for a
// receiver of credentials) into one with other credentials. got: read already (by
// an earlier round of MSG_WAITALL), which starts no new message with those either.
static long stream_take(struct usock *s, struct unix_io *io, size_t got, int flags) {
  bool peek = flags & MSG_PEEK, more = got != 0;
  struct umsg *first = s->head, *m = first;
  struct ucred_k cred = first->cred; // (first may be consumed before the next is looked at)
  while (m && got < io->len) {
    if ((m != first || more) && (m->nfds || (s->passcred && !same_cred(&m->cred, &cred))))
      break;
    size_t n = MIN(m->len - m->off, io->len - got);
    if (iov_copy(io, got, m->data + m->off, n, true) < 0)
      return got ? (long)got : -EFAULT;
    got += n;
    bool had_fds = m->nfds;
    if (m == first && io->control) {
      anc_deliver(s, m, io, flags, peek);
      io->control = NULL; // delivered
    } else if (m == first && had_fds && !peek) {
      io->flags |= MSG_CTRUNC; // nowhere to put them: closed, as Linux
      int n = m->nfds;
      m->nfds = 0;
      for (int i = 0; i < n; i++)
        flight(m->fds[i], -1);
      for (int i = 0; i < n; i++)
        file_put(m->fds[i]);
    }
    if (peek)
      m = m->next;
    else if ((m->off += n) == m->len)
      m = m->next, dequeue(s);
    if (had_fds)
      break;
  }
  return got;
}

// One record (datagram, seqpacket): what does not fit is lost (MSG_TRUNC).
static long record_take(struct usock *s, struct unix_io *io, int flags, uint32_t namecap) {
  struct umsg *m = s->head;
  size_t n = MIN(m->len, io->len);
  if (iov_copy(io, 0, m->data, n, true) < 0)
    return -EFAULT;
  if (m->len > io->len)
    io->flags |= MSG_TRUNC;
  if (s->type == SOCK_DGRAM && namecap) {
    memcpy(io->name, m->from, m->fromlen);
    io->namelen = m->fromlen;
  }
  long r = flags & MSG_TRUNC ? (long)m->len : (long)n;
  if (io->control) {
    anc_deliver(s, m, io, flags, flags & MSG_PEEK);
    io->control = NULL;
  }
  if (!(flags & MSG_PEEK))
    dequeue(s);
  return r;
}

long unix_recv(struct file *f, struct unix_io *io, int flags) {
  if (flags & MSG_OOB)
    return -EOPNOTSUPP; // no out-of-band data here
  struct usock *s = f->priv;
  if (s->type == SOCK_STREAM && s->state != U_CONN)
    return -EINVAL;
  if (s->type == SOCK_SEQPACKET && s->state != U_CONN)
    return -ENOTCONN;
  bool stream = s->type == SOCK_STREAM;
  bool waitall = stream && (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
  uint32_t namecap = io->name != NULL;
  io->namelen = 0;
  size_t got = 0;
  long r = 0;
  uint64_t deadline = deadline_of(s->rcvtimeo);
  for (;;) {
    if (s->head && (io->len || !stream)) {
      if (!stream)
        r = record_take(s, io, flags, namecap);
      else if ((r = stream_take(s, io, got, flags)) >= 0)
        got = r;
      changed(s); // room for writers
      if (r < 0 || !stream || !waitall || got == io->len)
        break;
    } else if (s->head || got) {
      r = got;
      break;
    } else if (s->err) {
      r = -s->err;
      s->err = 0;
      break;
    }
    if (s->shut & SHUT_RCV) {
      r = got;
      break;
    }
    int w = wait_for(f, flags, s, deadline);
    if (w < 0) {
      r = got ? (long)got : w;
      break;
    }
  }
  if (stream && namecap && s->peer && s->peer->addrlen) {
    memcpy(io->name, s->peer->addr, s->peer->addrlen);
    io->namelen = s->peer->addrlen;
  }
  if (io->control) // nothing came with the data
    io->controllen = 0;
  return r;
}

// ---- options ----
int unix_getsockopt(struct file *f, int level, int name, void *val, uint32_t *len) {
  struct usock *s = f->priv;
  int v;
  if (level != SOL_SOCKET)
    return -EOPNOTSUPP;
  switch (name) {
  case SO_TYPE: v = s->type; break;
  case SO_ERROR: v = s->err, s->err = 0; break;
  case SO_SNDBUF: v = s->sndbuf; break;
  case SO_RCVBUF: v = s->rcvbuf; break;
  case SO_PASSCRED: v = s->passcred; break;
  case SO_ACCEPTCONN: v = s->state == U_LISTEN; break;
  case SO_DOMAIN: v = AF_UNIX; break;
  case SO_PROTOCOL: v = 0; break;
  case SO_REUSEADDR:
  case SO_KEEPALIVE: v = 0; break;
  case SO_RCVTIMEO:
  case SO_SNDTIMEO:
  case SO_RCVTIMEO_NEW:
  case SO_SNDTIMEO_NEW: {
    int64_t t = name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW ? s->rcvtimeo : s->sndtimeo;
    int64_t tv[2] = {t > 0 ? t / 1000000 : 0, t > 0 ? t % 1000000 : 0};
    *len = MIN(*len, sizeof tv);
    memcpy(val, tv, *len);
    return 0;
  }
  case SO_PEERCRED: {
    struct ucred_k c = s->has_peercred ? s->peercred : (struct ucred_k){0, -1u, -1u};
    *len = MIN(*len, sizeof c);
    memcpy(val, &c, *len);
    return 0;
  }
  default: return -ENOPROTOOPT;
  }
  *len = MIN(*len, sizeof v);
  memcpy(val, &v, *len);
  return 0;
}

// SO_RCVTIMEO/SO_SNDTIMEO from a struct timeval, as Linux's sock_set_timeout: usec out
// of range is EDOM, {0, 0} waits forever, a negative tv_sec never waits.
static int set_timeout(int64_t *timeo, const void *val, uint32_t len) {
  int64_t tv[2];
  if (len < sizeof tv)
    return -EINVAL;
  memcpy(tv, val, sizeof tv);
  if (tv[1] < 0 || tv[1] >= 1000000)
    return -EDOM;
  if (tv[0] < 0)
    *timeo = TIMEO_NOWAIT;
  else if (tv[0] >= INT64_MAX / 1000000 - 1)
    *timeo = 0; // (beyond what can be waited for: forever, as Linux's MAX_SCHEDULE_TIMEOUT)
  else
    *timeo = tv[0] * 1000000 + tv[1];
  return 0;
}

int unix_setsockopt(struct file *f, int level, int name, const void *val, uint32_t len) {
  struct usock *s = f->priv;
  int v;
  if (level != SOL_SOCKET)
    return -EOPNOTSUPP;
  if (name == SO_RCVTIMEO || name == SO_SNDTIMEO || name == SO_RCVTIMEO_NEW ||
      name == SO_SNDTIMEO_NEW)
    return set_timeout(name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW ? &s->rcvtimeo : &s->sndtimeo,
                       val, len);
  if (len < sizeof v)
    return -EINVAL;
  memcpy(&v, val, sizeof v);
  // Linux doubles the size asked for (its bookkeeping), within wmem_max and a floor.
  uint32_t dbl = (uint32_t)MIN((uint32_t)v, (uint32_t)BUF_DEFAULT) * 2;
  switch (name) {
  case SO_SNDBUF: s->sndbuf = MAX(dbl, (uint32_t)SNDBUF_MIN); break;
  case SO_RCVBUF: s->rcvbuf = MAX(dbl, (uint32_t)RCVBUF_MIN); break;
  case SO_PASSCRED: s->passcred = v != 0; break;
  case SO_REUSEADDR:
  case SO_KEEPALIVE: break;
  default: return -ENOPROTOOPT;
  }
  changed(s);
  return 0;
}

// ---- the socket as an open file ----
static long sock_read(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  (void)off;
  struct iovec_k iov = {ubuf, n};
  struct unix_io io = {.iov = &iov, .iovcnt = 1, .len = n};
  return unix_recv(f, &io, 0);
}

static long sock_write(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  (void)off;
  struct iovec_k iov = {ubuf, n};
  struct unix_io io = {.iov = &iov, .iovcnt = 1, .len = n};
  return unix_send(f, &io, 0);
}

// Not used (the direct transfers serve every read and write), but file_io wants them.
static long sock_read_k(struct file *f, void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)n, (void)off;
  return -EINVAL;
}
static long sock_write_k(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)buf, (void)n, (void)off;
  return -EINVAL;
}

// ---- the collector of sockets only in flight (Linux's unix_gc) ----
// The messages a socket holds: its queue's, and those of the connections waiting for
// its accept (they become its sockets' own).
#define EACH_HELD_MSG(s, c, m)                                                           \
  for (struct usock *c = (s); c; c = c == (s) ? (s)->conn_head : c->cnext)              \
    for (struct umsg *m = c->head; m; m = m->next)

static struct usock *sock_of(struct file *f) {
  return unix_is_socket(f) ? f->priv : NULL;
}

// Candidates: sockets with a file, every reference to which is in a queued message.
static void gc_candidates(void) {
  EACH_SOCK(s)
    s->gc_inflight = 0, s->gc_cand = s->gc_alive = false;
  EACH_SOCK(s)
    for (struct umsg *m = s->head; m; m = m->next)
      for (int i = 0; i < m->nfds; i++)
        if (sock_of(m->fds[i]))
          sock_of(m->fds[i])->gc_inflight++;
  EACH_SOCK(s)
    if (s->file && s->gc_inflight && s->file->refs == s->gc_inflight)
      s->gc_cand = true, s->gc_refs = s->gc_inflight;
}

// A candidate stays if something outside the candidates' queues holds it (gc_refs left
// over once their references are taken off), or a socket that stays holds it.
static void gc_mark(void) {
  EACH_SOCK(s)
    if (s->gc_cand)
      EACH_HELD_MSG(s, c, m)
        for (int i = 0; i < m->nfds; i++)
          if (sock_of(m->fds[i]) && sock_of(m->fds[i])->gc_cand)
            sock_of(m->fds[i])->gc_refs--;
  for (bool more = true; more;) {
    more = false;
    EACH_SOCK(s) {
      if (!s->gc_cand || s->gc_alive || s->gc_refs <= 0)
        continue;
      s->gc_alive = more = true;
      EACH_HELD_MSG(s, c, m)
        for (int i = 0; i < m->nfds; i++)
          if (sock_of(m->fds[i]) && sock_of(m->fds[i])->gc_cand)
            sock_of(m->fds[i])->gc_refs = MAX(sock_of(m->fds[i])->gc_refs, 1);
    }
  }
}

// Run when a socket file is closed or loses a reference while sockets are in flight.
// The garbage's queues are taken whole first, then freed: that closes the garbage
// (its last references were in them), whose release finds its queues empty.
static void unix_gc(void) {
  if (gc_running || in_flight <= 0)
    return;
  gc_running = true;
  gc_candidates();
  gc_mark();
  struct umsg *dead = NULL;
  EACH_SOCK(s) {
    if (!s->gc_cand || s->gc_alive)
      continue;
    for (struct usock *c = s; c; c = c == s ? s->conn_head : c->cnext) {
      if (c->tail) {
        c->tail->next = dead;
        dead = c->head;
      }
      c->head = c->tail = NULL;
      c->queued = 0;
    }
  }
  while (dead) {
    struct umsg *m = dead;
    dead = m->next;
    msg_free(m);
  }
  gc_running = false;
}

static void sock_close(struct file *f) {
  sock_release(f->priv, false);
  unix_gc();
}

// A reference to the file went, others stay: it may now be held only in flight.
static void sock_unref(struct file *f) {
  (void)f;
  unix_gc();
}

static int sock_poll(struct file *f) {
  struct usock *s = f->priv;
  int m = s->err ? POLLERR : 0;
  if (s->state == U_LISTEN)
    return m | (s->conn_head ? POLLIN : 0);
  if (s->shut == (SHUT_RCV | SHUT_SEND) || (s->type != SOCK_DGRAM && s->state == U_NEW))
    m |= POLLHUP;
  if (s->head || (s->shut & SHUT_RCV))
    m |= POLLIN;
  struct usock *t = s->peer;
  if (s->type == SOCK_DGRAM)
    return m | (!t || t->closed || !t->head || t->queued < t->rcvbuf / 4 ? POLLOUT : 0);
  if (s->state == U_NEW || (t && !t->closed && !(s->shut & SHUT_SEND) && t->queued * 4 <= s->sndbuf))
    m |= POLLOUT;
  return m;
}

static int sock_stat(struct file *f, struct stat *st) {
  *st = (struct stat){.st_mode = S_IFSOCK | 0777, .st_nlink = 1, .st_blksize = 4096,
                      .st_ino = (uint64_t)f->priv >> 4, .st_dev = 0x8};
  st->st_uid = myproc()->euid, st->st_gid = myproc()->egid;
  return 0;
}

#define FIONREAD 0x541b
static long sock_ioctl(struct file *f, uint64_t req, uint64_t arg) {
  struct usock *s = f->priv;
  if (req != FIONREAD)
    return -ENOTTY;
  int n = 0;
  for (struct umsg *m = s->head; m; m = m->next) {
    n += m->len - m->off;
    if (s->type != SOCK_STREAM)
      break; // the next record's size
  }
  return copyout(arg, &n, sizeof n);
}

static int sock_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)rest, (void)flags, (void)mode;
  return -ENOENT; // sockets come only from socket(2), socketpair(2) and accept(2)
}

static const struct scheme unix_scheme = {
    .name = "unix", .open = sock_open, .read = sock_read_k, .write = sock_write_k,
    .read_direct = sock_read, .write_direct = sock_write, .close = sock_close,
    .stat = sock_stat, .poll = sock_poll, .ioctl = sock_ioctl, .unref = sock_unref,
};
