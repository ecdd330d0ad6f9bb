// Socket system calls: unpack the arguments (descriptors, addresses, msghdr, iovecs,
// control buffers) and call down into unix.c, the one family there is. Every other
// family is EAFNOSUPPORT, so a libc's lookups through a daemon's socket (nscd) find
// nothing rather than fail.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "regs.h"
#include "syscall.h"
#include "unix.h"
#include "vm.h"

#define IOV_MAX_K 1024
#define CONTROL_MAX 65536 // a bigger control buffer is ENOBUFS (Linux: optmem_max)

// The socket behind descriptor fd: -EBADF, -ENOTSOCK.
static int sock_arg(long fd, struct file **out) {
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  if (!unix_is_socket(f))
    return -ENOTSOCK;
  *out = f;
  return 0;
}

static long install(struct file *f, int type) {
  int fd = fd_install(f, 0, type & SOCK_CLOEXEC);
  if (fd < 0)
    file_put(f);
  return fd;
}

long sys_socket(struct trapframe *tf) {
  int domain = ARG0, type = ARG1, protocol = ARG2;
  struct file *f;
  if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (domain != AF_UNIX)
    return -EAFNOSUPPORT;
  int r = unix_socket(type, protocol, &f);
  return r < 0 ? r : install(f, type);
}

long sys_socketpair(struct trapframe *tf) {
  int domain = ARG0, type = ARG1, protocol = ARG2;
  struct file *a, *b;
  if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (domain != AF_UNIX)
    return -EAFNOSUPPORT;
  if (!user_range_ok(ARG3, 2 * sizeof(int)))
    return -EFAULT;
  int r = unix_socketpair(type, protocol, &a, &b);
  if (r < 0)
    return r;
  int fds[2] = {install(a, type), -1};
  if (fds[0] >= 0 && (fds[1] = install(b, type)) < 0)
    fd_close(fds[0]);
  if (fds[0] < 0) {
    file_put(b);
    return fds[0];
  }
  if (fds[1] < 0)
    return fds[1];
  if (copyout(ARG3, fds, sizeof fds) < 0) {
    fd_close(fds[0]), fd_close(fds[1]);
    return -EFAULT;
  }
  return 0;
}

// A sockaddr argument: copied in, len checked (0..SUN_LEN_MAX; more is EINVAL).
static int addr_in(uint64_t uaddr, uint64_t len, uint8_t *out) {
  if ((int)len < 0 || len > SUN_LEN_MAX)
    return -EINVAL;
  return copyin(out, uaddr, len) < 0 ? -EFAULT : 0;
}

// Give an address back: as much as *ulen has room for, and the full length in *ulen.
static int addr_out(uint64_t uaddr, uint64_t ulen, const void *addr, uint32_t len) {
  int32_t cap;
  if (!ulen)
    return 0;
  if (copyin(&cap, ulen, sizeof cap) < 0)
    return -EFAULT;
  if (cap < 0)
    return -EINVAL;
  if (copyout(uaddr, addr, MIN((uint32_t)cap, len)) < 0 || copyout(ulen, &len, sizeof len) < 0)
    return -EFAULT;
  return 0;
}

// bind, connect: a socket and an address.
static long with_addr(struct trapframe *tf, int (*fn)(struct file *, const void *, uint32_t)) {
  struct file *f;
  uint8_t addr[SUN_LEN_MAX];
  int r = sock_arg(ARG0, &f);
  if (r == 0)
    r = addr_in(ARG1, ARG2, addr);
  return r < 0 ? r : fn(f, addr, ARG2);
}

long sys_bind(struct trapframe *tf) { return with_addr(tf, unix_bind); }
long sys_connect(struct trapframe *tf) { return with_addr(tf, unix_connect); }

// listen, shutdown: a socket and a number.
static long with_int(struct trapframe *tf, int (*fn)(struct file *, int)) {
  struct file *f;
  int r = sock_arg(ARG0, &f);
  return r < 0 ? r : fn(f, ARG1);
}

long sys_listen(struct trapframe *tf) { return with_int(tf, unix_listen); }

static long do_accept(struct trapframe *tf, int flags) {
  struct file *f, *nf;
  uint8_t addr[SUN_LEN_MAX];
  uint32_t len;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  int r = sock_arg(ARG0, &f);
  if (r == 0 && ARG2) { // the length must be readable before anything is accepted
    int32_t cap;
    r = copyin(&cap, ARG2, sizeof cap) < 0 ? -EFAULT : cap < 0 ? -EINVAL : 0;
  }
  if (r == 0)
    r = unix_accept(f, flags, &nf);
  if (r < 0)
    return r;
  int fd = fd_install(nf, 0, flags & SOCK_CLOEXEC);
  if (fd < 0) {
    file_put(nf);
    return fd;
  }
  if (ARG1 && (unix_name(nf, true, addr, &len) < 0 || addr_out(ARG1, ARG2, addr, len) < 0)) {
    fd_close(fd);
    return -EFAULT;
  }
  return fd;
}

long sys_accept(struct trapframe *tf) { return do_accept(tf, 0); }
long sys_accept4(struct trapframe *tf) { return do_accept(tf, ARG3); }

static long name_of(struct trapframe *tf, bool peer) {
  struct file *f;
  uint8_t addr[SUN_LEN_MAX];
  uint32_t len;
  int r = sock_arg(ARG0, &f);
  if (r == 0)
    r = unix_name(f, peer, addr, &len);
  if (r == 0)
    r = ARG2 ? addr_out(ARG1, ARG2, addr, len) : -EFAULT;
  return r;
}

long sys_getsockname(struct trapframe *tf) { return name_of(tf, false); }
long sys_getpeername(struct trapframe *tf) { return name_of(tf, true); }

long sys_shutdown(struct trapframe *tf) { return with_int(tf, unix_shutdown); }

// ---- data ----
struct msghdr_k { // Linux's struct msghdr
  uint64_t name;
  uint32_t namelen, pad;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad2;
};

// The iovecs of a call into io (io->iov allocated, the caller frees it).
static int iov_in(struct unix_io *io, uint64_t uiov, uint64_t n) {
  if (n > IOV_MAX_K)
    return -EMSGSIZE;
  struct iovec_k *v = kmalloc(n * sizeof *v + 1);
  if (!v)
    return -ENOMEM;
  io->iov = v, io->iovcnt = n, io->len = 0;
  if (copyin(v, uiov, n * sizeof *v) < 0)
    return -EFAULT;
  for (uint64_t i = 0; i < n; i++) {
    if (v[i].len > INT64_MAX - io->len)
      return -EINVAL;
    if (!user_range_ok(v[i].base, v[i].len))
      return -EFAULT;
    io->len += v[i].len;
  }
  return 0;
}

// sendto, sendmsg: the data, the target address and the control messages.
static long send_common(long fd, struct unix_io *io, uint64_t uname, uint64_t namelen,
                        uint64_t ucontrol, uint64_t controllen, int flags) {
  struct file *f;
  uint8_t addr[SUN_LEN_MAX];
  int r = sock_arg(fd, &f);
  if (r == 0 && uname && namelen)
    r = addr_in(uname, namelen, addr);
  if (r < 0)
    return r;
  io->name = addr;
  io->namelen = uname ? namelen : 0;
  if (controllen > CONTROL_MAX)
    return -ENOBUFS;
  if (controllen) {
    if (!(io->control = kmalloc(controllen)))
      return -ENOMEM;
    io->controllen = controllen;
    if (copyin(io->control, ucontrol, controllen) < 0)
      return -EFAULT;
  }
  return unix_send(f, io, flags);
}

long sys_sendto(struct trapframe *tf) {
  struct iovec_k iov = {ARG1, ARG2};
  struct unix_io io = {.iov = &iov, .iovcnt = 1, .len = ARG2};
  if (!user_range_ok(ARG1, ARG2))
    return -EFAULT;
  return send_common(ARG0, &io, ARG4, ARG5, 0, 0, ARG3);
}

// One sendmsg of the msghdr at umsg.
static long sendmsg_one(long fd, uint64_t umsg, int flags) {
  struct msghdr_k m;
  struct unix_io io = {0};
  if (copyin(&m, umsg, sizeof m) < 0)
    return -EFAULT;
  long r = iov_in(&io, m.iov, m.iovlen);
  if (r == 0)
    r = send_common(fd, &io, m.name, m.namelen, m.control, m.controllen, flags);
  kfree((void *)io.iov);
  kfree(io.control);
  return r;
}

long sys_sendmsg(struct trapframe *tf) { return sendmsg_one(ARG0, ARG1, ARG2); }

long sys_recvfrom(struct trapframe *tf) {
  struct iovec_k iov = {ARG1, ARG2};
  uint8_t addr[SUN_LEN_MAX];
  struct unix_io io = {.iov = &iov, .iovcnt = 1, .len = ARG2, .name = ARG4 ? addr : NULL};
  struct file *f;
  long r = sock_arg(ARG0, &f);
  if (r == 0 && !user_range_ok(ARG1, ARG2))
    r = -EFAULT;
  if (r == 0)
    r = unix_recv(f, &io, ARG3);
  if (r >= 0 && ARG4 && addr_out(ARG4, ARG5, io.name, io.namelen) < 0)
    r = -EFAULT;
  return r;
}

// One recvmsg into the msghdr at umsg.
static long recvmsg_one(long fd, uint64_t umsg, int flags) {
  struct msghdr_k m;
  struct unix_io io = {0};
  struct file *f;
  void *control = NULL;
  uint8_t addr[SUN_LEN_MAX];
  long r = sock_arg(fd, &f);
  if (r == 0 && copyin(&m, umsg, sizeof m) < 0)
    r = -EFAULT;
  if (r == 0)
    r = iov_in(&io, m.iov, m.iovlen);
  if (r == 0 && m.controllen) {
    io.controllen = MIN(m.controllen, CONTROL_MAX);
    r = (io.control = control = kmalloc(io.controllen)) ? 0 : -ENOMEM;
  }
  io.name = m.name ? addr : NULL;
  if (r == 0)
    r = unix_recv(f, &io, flags);
  if (r >= 0) {
    m.flags = io.flags;
    m.namelen = m.name ? MIN(io.namelen, m.namelen) : 0;
    uint32_t full = io.namelen;
    m.controllen = control ? io.controllen : 0;
    if ((m.name && copyout(m.name, io.name, m.namelen) < 0) ||
        (control && copyout(m.control, control, io.controllen) < 0))
      r = -EFAULT;
    m.namelen = m.name ? full : 0;
    if (r >= 0 && copyout(umsg, &m, sizeof m) < 0)
      r = -EFAULT;
  }
  kfree((void *)io.iov);
  kfree(control);
  return r;
}

long sys_recvmsg(struct trapframe *tf) { return recvmsg_one(ARG0, ARG1, ARG2); }

// ---- several messages a call ----
#define MMSG_SIZE 64 // struct mmsghdr: a msghdr, then msg_len (and padding)
#define MSG_WAITFORONE 0x10000

// sendmmsg, recvmmsg: vlen messages (at most UIO_MAXIOV, as Linux) one after another,
// each one's byte count in its msg_len. An error ends the call: its errno if it came
// first, else the count of the messages done. (Linux then keeps the error for the
// next call on the socket; here it is found again by that call, or lost.)
static long mmsg(long fd, uint64_t vec, unsigned vlen, int flags, bool recv, struct timespec_k *timeout) {
  struct file *f;
  long r = sock_arg(fd, &f);
  if (r < 0)
    return r;
  vlen = MIN(vlen, (unsigned)IOV_MAX_K);
  uint64_t end = timeout ? time_ns() + (uint64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec : 0;
  unsigned n = 0;
  while (n < vlen) {
    uint64_t um = vec + (uint64_t)n * MMSG_SIZE;
    r = recv ? recvmsg_one(fd, um, flags & ~MSG_WAITFORONE) : sendmsg_one(fd, um, flags);
    if (r < 0)
      break;
    uint32_t len = r;
    if (copyout(um + 56, &len, sizeof len) < 0) {
      r = -EFAULT;
      break;
    }
    n++;
    if (flags & MSG_WAITFORONE)
      flags |= MSG_DONTWAIT; // the first may wait, the rest take what is there
    if (timeout) { // (Linux looks at the clock only between messages: so do we)
      uint64_t now = time_ns(), left = now < end ? end - now : 0;
      timeout->tv_sec = left / 1000000000, timeout->tv_nsec = left % 1000000000;
      if (!left)
        break;
    }
  }
  return n ? (long)n : r;
}

long sys_sendmmsg(struct trapframe *tf) { return mmsg(ARG0, ARG1, ARG2, ARG3, false, NULL); }

long sys_recvmmsg(struct trapframe *tf) {
  struct timespec_k ts;
  if (ARG4) {
    if (copyin(&ts, ARG4, sizeof ts) < 0)
      return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
      return -EINVAL;
  }
  long r = mmsg(ARG0, ARG1, ARG2, ARG3, true, ARG4 ? &ts : NULL);
  if (r >= 0 && ARG4 && copyout(ARG4, &ts, sizeof ts) < 0)
    return -EFAULT;
  return r;
}

// ---- options ----
long sys_getsockopt(struct trapframe *tf) {
  struct file *f;
  uint8_t val[16];
  int32_t len;
  int r = sock_arg(ARG0, &f);
  if (r == 0 && copyin(&len, ARG4, sizeof len) < 0)
    r = -EFAULT;
  if (r == 0 && len < 0)
    r = -EINVAL;
  uint32_t n = MIN((uint32_t)len, sizeof val);
  if (r == 0)
    r = unix_getsockopt(f, ARG1, ARG2, val, &n);
  if (r == 0 && (copyout(ARG3, val, n) < 0 || copyout(ARG4, &n, sizeof n) < 0))
    r = -EFAULT;
  return r;
}

long sys_setsockopt(struct trapframe *tf) {
  struct file *f;
  uint8_t val[16] = {0};
  int r = sock_arg(ARG0, &f);
  if (r == 0 && (int)ARG4 < 0)
    r = -EINVAL;
  if (r == 0 && copyin(val, ARG3, MIN((uint32_t)ARG4, sizeof val)) < 0)
    r = -EFAULT;
  return r < 0 ? r : unix_setsockopt(f, ARG1, ARG2, val, ARG4);
}
