// socktests: AF_UNIX sockets (unix(7), socket(2), socketpair(2), bind(2), listen(2),
// accept(2), connect(2), send(2), recv(2), shutdown(2), getsockopt(2), cmsg(3)).
//
// Each test runs in its own child (user/lib/utest.h); names are made under /tmp with
// the test's pid, so runs never collide. The expectations are Linux's: the binary
// passes natively on a Linux host. The one Vitrine rule Linux does not share (every
// family but AF_UNIX is EAFNOSUPPORT) is checked only on Vitrine.
//
//   socktests            run every test
//   socktests NAME...    run the named tests
//   socktests -l         list them
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

// A socket path under /tmp unique to this process and tag.
static struct sockaddr_un path_addr(const char *tag, socklen_t *len) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "/tmp/sockt.%d.%s", getpid(), tag);
  unlink(a.sun_path);
  *len = offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1;
  return a;
}

static int listener(struct sockaddr_un *a, socklen_t len, int type) {
  int s = OK(socket(AF_UNIX, type, 0));
  OK(bind(s, (struct sockaddr *)a, len));
  OK(listen(s, 5));
  return s;
}

static void pair(int type, int sv[2]) { OK(socketpair(AF_UNIX, type, 0, sv)); }

static void send_str(int fd, const char *s) { EXPECT_EQ(write(fd, s, strlen(s)), (long)strlen(s)); }

static void expect_read(int fd, const char *want) {
  char buf[256] = {0};
  size_t n = strlen(want);
  EXPECT_EQ(read(fd, buf, sizeof buf), (long)n);
  CHECK(memcmp(buf, want, n) == 0);
}

static short revents(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  OK(poll(&p, 1, 0));
  return p.revents;
}

// ---- creating ----
static void t_create_errors(void) {
  int sv[2], p[2];
  EXPECT_ERR(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
  EXPECT_ERR(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
  EXPECT_ERR(socket(AF_UNIX, 7, 0), ESOCKTNOSUPPORT);
  EXPECT_ERR(socketpair(12345, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
  EXPECT_ERR(sc(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 8), EFAULT);
  OK(pipe(p));
  EXPECT_ERR(listen(p[0], 1), ENOTSOCK);
  EXPECT_ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
  EXPECT_ERR(listen(999, 1), EBADF);
  if (g_vitrine) { // Vitrine has AF_UNIX only: a libc's nscd lookup then finds nothing
    EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT);
    EXPECT_ERR(socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT);
    EXPECT_ERR(socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT);
  }
}

static void t_pair_stream(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  send_str(sv[0], "ping");
  expect_read(sv[1], "ping");
  send_str(sv[1], "pong!");
  expect_read(sv[0], "pong!");
  struct stat st;
  OK(fstat(sv[0], &st));
  CHECK(S_ISSOCK(st.st_mode));
  int v;
  socklen_t l = sizeof v;
  OK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
  CHECK(v == SOCK_STREAM && l == sizeof v);
  struct sockaddr_un a;
  l = sizeof a;
  OK(getsockname(sv[0], (struct sockaddr *)&a, &l));
  CHECK(l == sizeof(sa_family_t) && a.sun_family == AF_UNIX);
  l = sizeof a;
  OK(getpeername(sv[0], (struct sockaddr *)&a, &l));
  CHECK(l == sizeof(sa_family_t));
  struct ucred c;
  l = sizeof c;
  OK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &c, &l));
  CHECK(l == sizeof c && c.pid == getpid() && c.uid == geteuid() && c.gid == getegid());
  // lseek is not for sockets
  EXPECT_ERR(lseek(sv[0], 0, SEEK_SET), ESPIPE);
}

static void t_flags(void) {
  int sv[2];
  OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  CHECK(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
  char c;
  EXPECT_ERR(read(sv[0], &c, 1), EAGAIN);
  EXPECT_ERR(recv(sv[0], &c, 1, 0), EAGAIN);
  int s = OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC);
  CHECK(!(fcntl(s, F_GETFL) & O_NONBLOCK));
  int b[2];
  pair(SOCK_STREAM, b);
  EXPECT_ERR(recv(b[0], &c, 1, MSG_DONTWAIT), EAGAIN);
  OK(fcntl(b[0], F_SETFL, O_NONBLOCK));
  EXPECT_ERR(read(b[0], &c, 1), EAGAIN);
}

// ---- names and connections ----
static void t_bind_path(void) {
  socklen_t len;
  struct sockaddr_un a = path_addr("bind", &len);
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  OK(bind(s, (struct sockaddr *)&a, len));
  struct stat st;
  OK(stat(a.sun_path, &st));
  CHECK(S_ISSOCK(st.st_mode));
  EXPECT_ERR(open(a.sun_path, O_RDWR), ENXIO);
  int t = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_ERR(bind(t, (struct sockaddr *)&a, len), EADDRINUSE);
  struct sockaddr_un b;
  socklen_t blen;
  b = path_addr("bind2", &blen);
  EXPECT_ERR(bind(s, (struct sockaddr *)&b, blen), EINVAL); // already bound
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  OK(getsockname(s, (struct sockaddr *)&got, &gl));
  CHECK(gl == len && strcmp(got.sun_path, a.sun_path) == 0);
  // A short buffer gets what fits, and the full length.
  gl = 4;
  memset(&got, 0, sizeof got);
  OK(getsockname(s, (struct sockaddr *)&got, &gl));
  CHECK(gl == len && got.sun_path[0] == '/' && got.sun_path[1] == 't' && got.sun_path[2] == 0);
  OK(close(s));
  OK(stat(a.sun_path, &st)); // the name outlives the socket, as Linux
  OK(unlink(a.sun_path));
  b.sun_family = AF_INET;
  EXPECT_ERR(bind(t, (struct sockaddr *)&b, blen), EINVAL);
  b.sun_family = AF_UNIX;
  EXPECT_ERR(bind(t, (struct sockaddr *)&b, 1), EINVAL);
  EXPECT_ERR(bind(t, (struct sockaddr *)&b, sizeof b + 1), EINVAL);
  struct sockaddr_un nodir = {.sun_family = AF_UNIX, .sun_path = "/tmp/no/such/dir/s"};
  EXPECT_ERR(bind(t, (struct sockaddr *)&nodir, sizeof nodir), ENOENT);
}

static void t_connect_accept(void) {
  socklen_t len;
  struct sockaddr_un a = path_addr("acc", &len);
  int l = listener(&a, len, SOCK_STREAM);
  int v;
  socklen_t vl = sizeof v;
  OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
  CHECK(v == 1);
  CHECK(revents(l, POLLIN) == 0);
  int c = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  OK(connect(c, (struct sockaddr *)&a, len));
  CHECK(revents(l, POLLIN) == POLLIN);
  EXPECT_ERR(connect(c, (struct sockaddr *)&a, len), EISCONN);
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  int s = OK(accept(l, (struct sockaddr *)&peer, &pl));
  CHECK(pl == sizeof(sa_family_t)); // the client is not bound
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  OK(getsockname(s, (struct sockaddr *)&got, &gl));
  CHECK(gl == len && strcmp(got.sun_path, a.sun_path) == 0);
  gl = sizeof got;
  OK(getpeername(c, (struct sockaddr *)&got, &gl));
  CHECK(gl == len && strcmp(got.sun_path, a.sun_path) == 0);
  send_str(c, "hello");
  expect_read(s, "hello");
  send_str(s, "world");
  expect_read(c, "world");
  // Unlinking the name stops new connections only.
  OK(unlink(a.sun_path));
  int d = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_ERR(connect(d, (struct sockaddr *)&a, len), ENOENT);
  send_str(c, "still");
  expect_read(s, "still");
  EXPECT_ERR(listen(c, 1), EINVAL);
  // accept4 flags.
  a = path_addr("acc4", &len);
  int l2 = listener(&a, len, SOCK_STREAM);
  OK(fcntl(l2, F_SETFL, O_NONBLOCK));
  EXPECT_ERR(accept(l2, NULL, NULL), EAGAIN);
  OK(connect(d, (struct sockaddr *)&a, len));
  EXPECT_ERR(sc(SYS_accept4, l2, 0, 0, 0x100), EINVAL);
  int s2 = OK(accept4(l2, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
  CHECK(fcntl(s2, F_GETFL) & O_NONBLOCK);
  CHECK(fcntl(s2, F_GETFD) & FD_CLOEXEC);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  OK(getsockopt(s2, SOL_SOCKET, SO_PEERCRED, &cr, &cl));
  CHECK(cr.pid == getpid());
  unlink(a.sun_path);
}

static void t_connect_errors(void) {
  socklen_t len;
  struct sockaddr_un a = path_addr("cerr", &len);
  int c = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_ERR(connect(c, (struct sockaddr *)&a, len), ENOENT);
  int f = OK(open(a.sun_path, O_CREAT | O_WRONLY, 0600));
  OK(close(f));
  EXPECT_ERR(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED); // not a socket
  OK(unlink(a.sun_path));
  int b = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  OK(bind(b, (struct sockaddr *)&a, len));
  EXPECT_ERR(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED); // not listening
  OK(listen(b, 1));
  int dg = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  EXPECT_ERR(connect(dg, (struct sockaddr *)&a, len), EPROTOTYPE);
  OK(close(b));
  EXPECT_ERR(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED); // stale name
  unlink(a.sun_path);
  char ch;
  EXPECT_ERR(read(c, &ch, 1), EINVAL); // a stream never connected
  EXPECT_ERR(write(c, "x", 1), ENOTCONN);
  EXPECT_ERR(listen(c, 1), EINVAL);   // unbound
  EXPECT_ERR(accept(c, NULL, NULL), EINVAL);
  EXPECT_ERR(accept(dg, NULL, NULL), EOPNOTSUPP);
  EXPECT_ERR(listen(dg, 1), EOPNOTSUPP);
  EXPECT_ERR(getpeername(c, (struct sockaddr *)&a, &len), ENOTCONN);
  OK(shutdown(c, SHUT_WR)); // allowed unconnected, as Linux
  int sv[2];
  pair(SOCK_STREAM, sv);
  EXPECT_ERR(shutdown(sv[0], 7), EINVAL);
}

// The backlog bounds the connections waiting; a non-blocking connect past it: EAGAIN.
static void t_backlog(void) {
  socklen_t len;
  struct sockaddr_un a = path_addr("blog", &len);
  int l = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  OK(bind(l, (struct sockaddr *)&a, len));
  OK(listen(l, 1));
  int n = 0;
  for (int i = 0; i < 10; i++) {
    int c = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    if (connect(c, (struct sockaddr *)&a, len) < 0) {
      CHECK(errno == EAGAIN);
      break;
    }
    n++;
  }
  CHECK(n >= 1 && n < 10);
  unlink(a.sun_path);
}

// A blocked accept wakes when a child connects.
static void t_accept_blocks(void) {
  socklen_t len;
  struct sockaddr_un a = path_addr("ablk", &len);
  int l = listener(&a, len, SOCK_STREAM);
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(50);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, len) < 0 || write(c, "kid", 3) != 3)
      _exit(1);
    _exit(0);
  }
  int s = OK(accept(l, NULL, NULL));
  expect_read(s, "kid");
  EXPECT_EXIT(wait_for(pid), 0);
  unlink(a.sun_path);
}

static void t_abstract(void) {
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  OK(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t))); // autobind
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  OK(getsockname(s, (struct sockaddr *)&got, &gl));
  CHECK(gl == sizeof(sa_family_t) + 6 && got.sun_path[0] == 0);
  OK(listen(s, 2));
  int c = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  OK(connect(c, (struct sockaddr *)&got, gl));
  int t = OK(accept(s, NULL, NULL));
  send_str(c, "abs");
  expect_read(t, "abs");
  struct sockaddr_un n = {.sun_family = AF_UNIX};
  int nl = snprintf(n.sun_path + 1, sizeof n.sun_path - 1, "sockt-%d", getpid()) + 1 +
           (int)sizeof(sa_family_t);
  int u = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  OK(bind(u, (struct sockaddr *)&n, nl));
  int v = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  EXPECT_ERR(bind(v, (struct sockaddr *)&n, nl), EADDRINUSE);
  EXPECT_EQ(sendto(v, "dg", 2, 0, (struct sockaddr *)&n, nl), 2);
  char b[8];
  EXPECT_EQ(recv(u, b, sizeof b, 0), 2);
  OK(close(u));
  EXPECT_ERR(sendto(v, "dg", 2, 0, (struct sockaddr *)&n, nl), ECONNREFUSED);
  int w = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  OK(bind(w, (struct sockaddr *)&n, nl)); // free again
}

// ---- data ----
static void t_dgram(void) {
  socklen_t la, lb;
  struct sockaddr_un a = path_addr("dga", &la), b = path_addr("dgb", &lb);
  int x = OK(socket(AF_UNIX, SOCK_DGRAM, 0)), y = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  OK(bind(x, (struct sockaddr *)&a, la));
  OK(bind(y, (struct sockaddr *)&b, lb));
  EXPECT_ERR(send(x, "z", 1, 0), ENOTCONN);
  EXPECT_EQ(sendto(x, "one", 3, 0, (struct sockaddr *)&b, lb), 3);
  EXPECT_EQ(sendto(x, "second", 6, 0, (struct sockaddr *)&b, lb), 6);
  EXPECT_EQ(sendto(x, "", 0, 0, (struct sockaddr *)&b, lb), 0);
  char buf[16] = {0};
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  EXPECT_EQ(recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 3);
  CHECK(memcmp(buf, "one", 3) == 0 && fl == la && strcmp(from.sun_path, a.sun_path) == 0);
  int avail = 0;
  OK(ioctl(y, FIONREAD, &avail));
  CHECK(avail == 6);
  // Too small a buffer: the rest of the datagram is lost; MSG_TRUNC gives its size.
  EXPECT_EQ(recv(y, buf, 2, MSG_PEEK), 2);
  EXPECT_EQ(recv(y, buf, 2, MSG_TRUNC), 6);
  CHECK(memcmp(buf, "se", 2) == 0);
  EXPECT_EQ(recv(y, buf, sizeof buf, 0), 0); // the empty datagram
  EXPECT_ERR(recv(y, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  // connect: the default destination; and y takes datagrams only from its peer.
  OK(connect(x, (struct sockaddr *)&b, lb));
  OK(connect(y, (struct sockaddr *)&a, la));
  EXPECT_EQ(send(x, "c", 1, 0), 1);
  EXPECT_EQ(recv(y, buf, sizeof buf, 0), 1);
  int z = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
  EXPECT_ERR(sendto(z, "no", 2, 0, (struct sockaddr *)&b, lb), EPERM);
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  OK(getpeername(x, (struct sockaddr *)&got, &gl));
  CHECK(gl == lb && strcmp(got.sun_path, b.sun_path) == 0);
  // A datagram bigger than the send buffer.
  int sz = 4096;
  OK(setsockopt(z, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
  static char big[65536];
  EXPECT_ERR(sendto(z, big, sizeof big, 0, (struct sockaddr *)&a, la), EMSGSIZE);
  unlink(a.sun_path), unlink(b.sun_path);
}

static void t_seqpacket(void) {
  int sv[2];
  pair(SOCK_SEQPACKET, sv);
  EXPECT_EQ(send(sv[0], "abc", 3, 0), 3);
  EXPECT_EQ(send(sv[0], "defgh", 5, 0), 5);
  char buf[16];
  EXPECT_EQ(recv(sv[1], buf, sizeof buf, 0), 3);
  struct iovec iov = {buf, 2};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  EXPECT_EQ(recvmsg(sv[1], &m, 0), 2);
  CHECK(m.msg_flags & MSG_TRUNC);
  CHECK(memcmp(buf, "de", 2) == 0);
  OK(close(sv[0]));
  EXPECT_EQ(recv(sv[1], buf, sizeof buf, 0), 0);
  int s = OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  EXPECT_ERR(recv(s, buf, 1, 0), ENOTCONN);
}

// Streams have no boundaries: writes come back joined, reads split them.
static void t_stream_bytes(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  send_str(sv[0], "ab");
  send_str(sv[0], "cde");
  char buf[8] = {0};
  EXPECT_EQ(recv(sv[1], buf, 4, MSG_PEEK), 4);
  CHECK(memcmp(buf, "abcd", 4) == 0);
  EXPECT_EQ(read(sv[1], buf, 1), 1);
  EXPECT_EQ(read(sv[1], buf, sizeof buf), 4);
  CHECK(memcmp(buf, "bcde", 4) == 0);
  struct iovec iov[3] = {{"x", 1}, {"", 0}, {"yz", 2}};
  EXPECT_EQ(writev(sv[0], iov, 3), 3);
  char p[2], q[2];
  struct iovec in[2] = {{p, 2}, {q, 2}};
  struct msghdr m = {.msg_iov = in, .msg_iovlen = 2};
  EXPECT_EQ(recvmsg(sv[1], &m, 0), 3);
  CHECK(p[0] == 'x' && p[1] == 'y' && q[0] == 'z');
  EXPECT_ERR(send(sv[0], (void *)8, 1, 0), EFAULT);
}

// Much more than the buffer holds, through a child and back: flow control and order.
static void t_stream_bulk(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  enum { TOTAL = 1 << 20 };
  long pid = xfork();
  if (pid == 0) {
    close(sv[0]);
    static unsigned char b[7000];
    long sent = 0;
    while (sent < TOTAL) {
      size_t n = TOTAL - sent < (long)sizeof b ? (size_t)(TOTAL - sent) : sizeof b;
      for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)((sent + i) * 7);
      long w = write(sv[1], b, n);
      if (w <= 0)
        _exit(1);
      sent += w;
    }
    _exit(0);
  }
  close(sv[1]);
  static unsigned char b[5000];
  long got = 0;
  for (;;) {
    long r = OK(read(sv[0], b, sizeof b));
    if (r == 0)
      break;
    for (long i = 0; i < r; i++)
      if (b[i] != (unsigned char)((got + i) * 7))
        fail_at(__LINE__, "byte %ld is wrong", got + i);
    got += r;
  }
  CHECK(got == TOTAL);
  EXPECT_EXIT(wait_for(pid), 0);
}

// MSG_WAITALL waits for the whole buffer.
static void t_waitall(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  long pid = xfork();
  if (pid == 0) {
    for (int i = 0; i < 4; i++) {
      sleep_ms(10);
      if (write(sv[1], "ab", 2) != 2)
        _exit(1);
    }
    _exit(0);
  }
  char buf[8];
  EXPECT_EQ(recv(sv[0], buf, 8, MSG_WAITALL), 8);
  CHECK(memcmp(buf, "abababab", 8) == 0);
  EXPECT_EXIT(wait_for(pid), 0);
}

// ---- ending ----
static void t_shutdown(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  send_str(sv[0], "last");
  OK(shutdown(sv[0], SHUT_WR));
  expect_read(sv[1], "last");
  char c;
  EXPECT_EQ(read(sv[1], &c, 1), 0);
  CHECK(revents(sv[1], POLLIN) & POLLIN);
  signal(SIGPIPE, SIG_IGN);
  EXPECT_ERR(write(sv[0], "x", 1), EPIPE);
  send_str(sv[1], "back"); // the other way still flows
  expect_read(sv[0], "back");
  OK(shutdown(sv[1], SHUT_WR));
  CHECK(revents(sv[0], POLLIN) & POLLHUP); // both ways shut
  int t[2];
  pair(SOCK_STREAM, t);
  OK(shutdown(t[0], SHUT_RD));
  EXPECT_EQ(read(t[0], &c, 1), 0);
  EXPECT_ERR(write(t[1], "x", 1), EPIPE);
}

// Writing to a closed peer: SIGPIPE (default: death), or EPIPE with MSG_NOSIGNAL.
static void sigpipe_child(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  close(sv[1]);
  write(sv[0], "x", 1);
  _exit(0);
}

static void t_epipe(void) {
  EXPECT_KILLED(child_status(sigpipe_child), SIGPIPE);
  int sv[2];
  pair(SOCK_STREAM, sv);
  OK(close(sv[1]));
  EXPECT_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
  char c;
  EXPECT_EQ(read(sv[0], &c, 1), 0);
  CHECK(revents(sv[0], POLLIN | POLLOUT) & POLLHUP);
}

// Closing with data unread resets the connection: the peer's next read fails once.
static void t_reset(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  send_str(sv[0], "unread");
  OK(close(sv[1]));
  char c;
  EXPECT_ERR(read(sv[0], &c, 1), ECONNRESET);
  EXPECT_EQ(read(sv[0], &c, 1), 0);
}

static void t_poll(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  CHECK(revents(sv[0], POLLIN | POLLOUT) == POLLOUT);
  send_str(sv[1], "x");
  CHECK(revents(sv[0], POLLIN | POLLOUT) == (POLLIN | POLLOUT));
  // A blocked poll wakes when a child writes.
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(30);
    _exit(write(sv[0], "y", 1) == 1 ? 0 : 1);
  }
  char c;
  EXPECT_EQ(read(sv[0], &c, 1), 1);
  struct pollfd p = {.fd = sv[1], .events = POLLIN};
  EXPECT_EQ(poll(&p, 1, 5000), 1);
  CHECK(p.revents == POLLIN);
  EXPECT_EXIT(wait_for(pid), 0);
  // Fill the buffer: no longer writable.
  OK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
  static char big[4096];
  long total = 0;
  while (write(sv[0], big, sizeof big) > 0)
    total += sizeof big;
  CHECK(errno == EAGAIN && total > 0);
  CHECK(!(revents(sv[0], POLLOUT) & POLLOUT));
}

// ---- ancillary data ----
static int send_fds(int sock, const int *fds, int n, const char *data) {
  char cbuf[CMSG_SPACE(sizeof(int) * 8)] = {0};
  struct iovec iov = {(void *)data, strlen(data)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(sock, &m, 0);
}

// One byte with one descriptor, as send_fds(sock, &fd, 1, "x") sends it: the descriptor
// received, or -1 (a failure is reported) if the byte or the descriptor did not come.
static int recv_fd(int sock) {
  char cbuf[CMSG_SPACE(sizeof(int))], c;
  struct iovec iov = {&c, 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  int fd = -1;
  EXPECT_EQ(recvmsg(sock, &m, 0), 1);
  if (CMSG_FIRSTHDR(&m))
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  CHECK(fd >= 0);
  return fd;
}

static void t_scm_rights(void) {
  int sv[2], p[2];
  pair(SOCK_STREAM, sv);
  OK(pipe(p));
  EXPECT_EQ(send_fds(sv[0], &p[0], 1, "fd"), 2);
  OK(close(p[0])); // the descriptor in flight keeps the pipe's read end open
  char data[4], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  EXPECT_EQ(recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC), 2);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  CHECK(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS);
  CHECK(c->cmsg_len == CMSG_LEN(sizeof(int)));
  int got;
  memcpy(&got, CMSG_DATA(c), sizeof got);
  CHECK(fcntl(got, F_GETFD) & FD_CLOEXEC);
  send_str(p[1], "through");
  expect_read(got, "through");
  // Bad descriptors: EBADF, nothing sent.
  int bad = 999;
  EXPECT_ERR(send_fds(sv[0], &bad, 1, "x"), EBADF);
  CHECK(revents(sv[1], POLLIN) == 0);
  // Too small a control buffer: the descriptors are closed, MSG_CTRUNC.
  int two[2] = {p[1], p[1]};
  EXPECT_EQ(send_fds(sv[0], two, 2, "yy"), 2);
  m.msg_controllen = CMSG_SPACE(0);
  m.msg_flags = 0;
  EXPECT_EQ(recvmsg(sv[1], &m, 0), 2);
  CHECK(m.msg_flags & MSG_CTRUNC);
  // A read without a control buffer closes them too: the writer's end is gone after.
  EXPECT_EQ(send_fds(sv[0], &p[1], 1, "z"), 1);
  OK(close(p[1]));
  char z;
  EXPECT_EQ(read(sv[1], &z, 1), 1);
  EXPECT_EQ(read(got, &z, 1), 0); // EOF: no writer left anywhere
}

// A child passes its descriptor to its parent.
static void t_scm_rights_fork(void) {
  int sv[2];
  pair(SOCK_DGRAM, sv);
  long pid = xfork();
  if (pid == 0) {
    int p[2];
    if (pipe(p) < 0 || write(p[1], "from kid", 8) != 8 || send_fds(sv[1], &p[0], 1, "k") != 1)
      _exit(1);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  char data[4], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  EXPECT_EQ(recvmsg(sv[0], &m, 0), 1);
  int got;
  memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
  expect_read(got, "from kid");
}

static void t_scm_credentials(void) {
  int sv[2];
  pair(SOCK_DGRAM, sv);
  int on = 1;
  OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  int v;
  socklen_t vl = sizeof v;
  OK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &vl));
  CHECK(v == 1);
  EXPECT_EQ(send(sv[0], "a", 1, 0), 1);
  char data[4], cbuf[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  EXPECT_EQ(recvmsg(sv[1], &m, 0), 1);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  CHECK(c && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)));
  struct ucred cr;
  memcpy(&cr, CMSG_DATA(c), sizeof cr);
  CHECK(cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid());
  // Explicit credentials: the sender's own are accepted.
  char sbuf[CMSG_SPACE(sizeof(struct ucred))] = {0};
  struct iovec siov = {"b", 1};
  struct msghdr sm = {.msg_iov = &siov, .msg_iovlen = 1, .msg_control = sbuf,
                      .msg_controllen = sizeof sbuf};
  c = CMSG_FIRSTHDR(&sm);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred mine = {getpid(), getuid(), getgid()};
  memcpy(CMSG_DATA(c), &mine, sizeof mine);
  EXPECT_EQ(sendmsg(sv[0], &sm, 0), 1);
  m.msg_controllen = sizeof cbuf;
  EXPECT_EQ(recvmsg(sv[1], &m, 0), 1);
  memcpy(&cr, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof cr);
  CHECK(cr.pid == getpid());
  // A bad cmsg length is EINVAL.
  c->cmsg_len = 3;
  EXPECT_ERR(sendmsg(sv[0], &sm, 0), EINVAL);
  // An unprivileged sender cannot claim another uid.
  if (getuid() == 0) {
    long pid = xfork();
    if (pid == 0) {
      if (setgid(1000) < 0 || setuid(1000) < 0)
        _exit(2);
      struct ucred other = {getpid(), 0, 1000};
      c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
      memcpy(CMSG_DATA(c), &other, sizeof other);
      _exit(sendmsg(sv[0], &sm, 0) == -1 && errno == EPERM ? 0 : 1);
    }
    EXPECT_EXIT(wait_for(pid), 0);
  }
}

// ---- options ----
static void t_sockopts(void) {
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  int v = 10000;
  socklen_t l = sizeof v;
  OK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  OK(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &l));
  CHECK(v == 20000); // Linux doubles it
  v = 1;
  OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
  l = sizeof v;
  OK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l));
  CHECK(v == 2304); // the floor
  l = sizeof v;
  OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &l));
  CHECK(v == 0);
  l = sizeof v;
  OK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &l));
  CHECK(v == AF_UNIX);
  EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
  l = sizeof v;
  EXPECT_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
  l = (socklen_t)-1;
  EXPECT_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), EINVAL);
  l = sizeof v;
  EXPECT_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, (void *)8, &l), EFAULT);
}

// ---- timeouts: SO_RCVTIMEO, SO_SNDTIMEO ----
static void set_timeo(int fd, int opt, long sec, long usec) {
  struct timeval tv = {sec, usec};
  OK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv));
}

static void t_rcvtimeo(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  struct timeval tv = {0, 200000};
  OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  struct timeval got = {9, 9};
  socklen_t l = sizeof got;
  OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &l));
  CHECK(l == sizeof got && got.tv_sec == 0 && got.tv_usec == 200000);
  char c;
  long t0 = now_ms();
  EXPECT_ERR(read(sv[0], &c, 1), EAGAIN);
  CHECK(now_ms() - t0 >= 150); // it waited (the timeout is a lower bound)
  send_str(sv[1], "x"); // data within the timeout comes as usual
  EXPECT_EQ(recv(sv[0], &c, 1, 0), 1);
  // A datagram socket and accept (which waits on the listener's SO_RCVTIMEO) time out too.
  int d[2];
  pair(SOCK_DGRAM, d);
  set_timeo(d[0], SO_RCVTIMEO, 0, 50000);
  EXPECT_ERR(recv(d[0], &c, 1, 0), EAGAIN);
  socklen_t len;
  struct sockaddr_un a = path_addr("timeo", &len);
  int ls = listener(&a, len, SOCK_STREAM);
  set_timeo(ls, SO_RCVTIMEO, 0, 50000);
  EXPECT_ERR(accept(ls, NULL, NULL), EAGAIN);
  unlink(a.sun_path);
  // {0, 0} waits forever again (checked by getsockopt: a wait would not end).
  set_timeo(sv[0], SO_RCVTIMEO, 0, 0);
  l = sizeof got;
  OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &l));
  CHECK(got.tv_sec == 0 && got.tv_usec == 0);
  // A negative tv_sec: Linux takes it as "never wait".
  set_timeo(sv[0], SO_RCVTIMEO, -1, 0);
  t0 = now_ms();
  EXPECT_ERR(read(sv[0], &c, 1), EAGAIN);
  CHECK(now_ms() - t0 < 5000);
}

static void t_timeo_errors(void) {
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  struct timeval tv = {1, 1000000};
  EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
  tv.tv_usec = -1;
  EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), EDOM);
  tv.tv_usec = 0;
  EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv - 1), EINVAL);
  EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (void *)8, sizeof tv), EFAULT);
  struct timeval got;
  socklen_t l = sizeof got;
  OK(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &got, &l)); // unset: zero
  CHECK(got.tv_sec == 0 && got.tv_usec == 0);
  tv = (struct timeval){3, 500000};
  OK(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  l = sizeof got;
  OK(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &got, &l));
  CHECK(got.tv_sec == 3 && got.tv_usec == 500000);
  l = sizeof got;
  OK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &l)); // each its own
  CHECK(got.tv_sec == 0 && got.tv_usec == 0);
}

// A full socket: a writer waits SO_SNDTIMEO, then EAGAIN.
static void t_sndtimeo(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  int v = 1;
  OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  OK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
  static char buf[4096];
  while (write(sv[0], buf, sizeof buf) > 0)
    ;
  CHECK(errno == EAGAIN);
  OK(fcntl(sv[0], F_SETFL, 0));
  set_timeo(sv[0], SO_SNDTIMEO, 0, 100000);
  long t0 = now_ms();
  EXPECT_ERR(write(sv[0], buf, sizeof buf), EAGAIN);
  CHECK(now_ms() - t0 >= 50);
  int d[2];
  pair(SOCK_DGRAM, d);
  OK(fcntl(d[0], F_SETFL, O_NONBLOCK));
  while (send(d[0], buf, 1024, 0) > 0)
    ;
  CHECK(errno == EAGAIN);
  OK(fcntl(d[0], F_SETFL, 0));
  set_timeo(d[0], SO_SNDTIMEO, 0, 50000);
  EXPECT_ERR(send(d[0], buf, 1024, 0), EAGAIN);
}

// A signal ends a wait with a timeout with EINTR, even with SA_RESTART (Linux's
// sock_intr_errno), where a wait without one restarts.
static void on_alarm(int sig) { (void)sig; }

static void t_timeo_eintr(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  OK(sigaction(SIGALRM, &sa, NULL));
  set_timeo(sv[0], SO_RCVTIMEO, 10, 0);
  struct itimerval it = {.it_value = {0, 50000}};
  OK(setitimer(ITIMER_REAL, &it, NULL));
  char c;
  long t0 = now_ms();
  EXPECT_ERR(read(sv[0], &c, 1), EINTR);
  CHECK(now_ms() - t0 < 9000);
  // Without a timeout the read restarts and gets the byte a child sends later.
  set_timeo(sv[0], SO_RCVTIMEO, 0, 0);
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(300);
    _exit(write(sv[1], "y", 1) == 1 ? 0 : 1);
  }
  OK(setitimer(ITIMER_REAL, &it, NULL));
  EXPECT_EQ(read(sv[0], &c, 1), 1);
  CHECK(c == 'y');
  EXPECT_EXIT(wait_for(pid), 0);
}

// ---- sendmmsg, recvmmsg ----
// The system calls themselves: musl's sendmmsg is a loop of sendmsg in user space on
// 64-bit machines, and its recvmmsg writes the vector's padding before the call.
static int sendmmsg_(int fd, struct mmsghdr *v, unsigned n, int flags) {
  return syscall(SYS_sendmmsg, fd, v, n, flags);
}
static int recvmmsg_(int fd, struct mmsghdr *v, unsigned n, int flags, struct timespec *ts) {
  return syscall(SYS_recvmmsg, fd, v, n, flags, ts);
}
#define sendmmsg sendmmsg_
#define recvmmsg recvmmsg_

static void t_mmsg(void) {
  int d[2];
  pair(SOCK_DGRAM, d);
  char *words[3] = {"one", "two2", "three"};
  struct iovec iov[3];
  struct mmsghdr mv[3];
  memset(mv, 0, sizeof mv);
  for (int i = 0; i < 3; i++) {
    iov[i] = (struct iovec){words[i], strlen(words[i])};
    mv[i].msg_hdr.msg_iov = &iov[i];
    mv[i].msg_hdr.msg_iovlen = 1;
    mv[i].msg_len = 99;
  }
  EXPECT_EQ(sendmmsg(d[0], mv, 3, 0), 3);
  CHECK(mv[0].msg_len == 3 && mv[1].msg_len == 4 && mv[2].msg_len == 5);
  char bufs[4][16];
  struct iovec riov[4];
  struct mmsghdr rv[4];
  memset(rv, 0, sizeof rv);
  memset(bufs, 0, sizeof bufs);
  for (int i = 0; i < 4; i++) {
    riov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
    rv[i].msg_hdr.msg_iov = &riov[i];
    rv[i].msg_hdr.msg_iovlen = 1;
  }
  EXPECT_EQ(recvmmsg(d[1], rv, 4, MSG_DONTWAIT, NULL), 3); // the fourth would wait
  CHECK(rv[0].msg_len == 3 && rv[1].msg_len == 4 && rv[2].msg_len == 5);
  CHECK(!strcmp(bufs[0], "one") && !strcmp(bufs[1], "two2") && !strcmp(bufs[2], "three"));
  EXPECT_ERR(recvmmsg(d[1], rv, 4, MSG_DONTWAIT, NULL), EAGAIN);
  // MSG_WAITFORONE: the first may wait, the rest are what is there.
  EXPECT_EQ(sendmmsg(d[0], mv, 2, 0), 2);
  EXPECT_EQ(recvmmsg(d[1], rv, 4, MSG_WAITFORONE, NULL), 2);
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(100);
    _exit(sendmmsg(d[0], mv, 1, 0) == 1 ? 0 : 1);
  }
  EXPECT_EQ(recvmmsg(d[1], rv, 4, MSG_WAITFORONE, NULL), 1);
  CHECK(rv[0].msg_len == 3);
  EXPECT_EXIT(wait_for(pid), 0);
  // The timeout is looked at after each message: {0, 0} takes one.
  EXPECT_EQ(sendmmsg(d[0], mv, 3, 0), 3);
  struct timespec ts = {0, 0};
  EXPECT_EQ(recvmmsg(d[1], rv, 4, 0, &ts), 1);
  CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
  ts = (struct timespec){10, 0};
  EXPECT_EQ(recvmmsg(d[1], rv, 2, 0, &ts), 2); // vlen reached before the timeout
  CHECK(ts.tv_sec <= 10 && ts.tv_sec >= 5); // what is left of it
  // A stream socket: each message its own send.
  int sv[2];
  pair(SOCK_STREAM, sv);
  EXPECT_EQ(sendmmsg(sv[0], mv, 3, 0), 3);
  char all[16] = {0};
  EXPECT_EQ(read(sv[1], all, sizeof all), 12);
  CHECK(!strcmp(all, "onetwo2three"));
}

static void t_mmsg_errors(void) {
  int d[2];
  pair(SOCK_DGRAM, d);
  struct iovec iov = {"ab", 2};
  struct mmsghdr mv[2];
  memset(mv, 0, sizeof mv);
  mv[0].msg_hdr.msg_iov = &iov;
  mv[0].msg_hdr.msg_iovlen = 1;
  mv[1].msg_hdr.msg_iov = (struct iovec *)8; // a bad one after a good one
  mv[1].msg_hdr.msg_iovlen = 1;
  EXPECT_EQ(sendmmsg(d[0], mv, 2, 0), 1); // the count of what went
  EXPECT_ERR(sendmmsg(d[0], &mv[1], 1, 0), EFAULT); // an error first: the error
  EXPECT_ERR(sendmmsg(d[0], (struct mmsghdr *)8, 1, 0), EFAULT);
  EXPECT_EQ(sendmmsg(d[0], mv, 0, 0), 0);
  EXPECT_ERR(sendmmsg(-1, mv, 1, 0), EBADF);
  EXPECT_ERR(recvmmsg(0x3ff, mv, 1, 0, NULL), EBADF);
  int p[2];
  OK(pipe(p));
  EXPECT_ERR(sendmmsg(p[1], mv, 1, 0), ENOTSOCK);
  EXPECT_ERR(recvmmsg(p[0], mv, 1, 0, NULL), ENOTSOCK);
  struct timespec bad = {0, 1000000000};
  EXPECT_ERR(recvmmsg(d[1], mv, 1, 0, &bad), EINVAL);
  EXPECT_ERR(recvmmsg(d[1], mv, 1, 0, (struct timespec *)8), EFAULT);
  char b[4];
  struct iovec riov = {b, sizeof b};
  struct mmsghdr rv = {.msg_hdr = {.msg_iov = &riov, .msg_iovlen = 1}};
  EXPECT_EQ(recvmmsg(d[1], &rv, 1, 0, NULL), 1);
  CHECK(rv.msg_len == 2 && !memcmp(b, "ab", 2));
}

// ---- collecting sockets held only in flight (Linux's unix_gc) ----
// An abstract name, free again once the socket bound to it is freed: what tells a
// collected socket from a leaked one, on Linux as here.
static struct sockaddr_un gc_name(int n, socklen_t *len) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int k = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "vitrine-gc.%d.%d", getpid(), n);
  *len = offsetof(struct sockaddr_un, sun_path) + 1 + k;
  return a;
}

// Bind a new stream socket to the name (Linux's abstract names are per type): 0 once it
// is free. Linux collects in a work queue after a close, so give it up to 5 s; Vitrine
// collects within the close.
static int rebind(struct sockaddr_un *a, socklen_t len) {
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  int r = -1;
  for (int i = 0; i < 500 && (r = bind(s, (struct sockaddr *)a, len)) < 0 && errno == EADDRINUSE; i++) {
    int t[2]; // (a close of a socket starts Linux's collector)
    pair(SOCK_STREAM, t);
    close(t[0]), close(t[1]);
    sleep_ms(10);
  }
  close(s);
  return r;
}

static long mem_free_kb(void) {
  char buf[4096] = {0};
  int fd = OK(open("/proc/meminfo", O_RDONLY));
  CHECK(read(fd, buf, sizeof buf - 1) > 0);
  close(fd);
  char *p = strstr(buf, "MemFree:");
  return p ? atol(p + 8) : -1;
}

// Garbage made `rounds` times with a socket bound to the same name each time: each
// round's must be freed before the next can bind it.
static void gc_rounds(int tag, int rounds, void (*make)(struct sockaddr_un *, socklen_t)) {
  socklen_t len;
  struct sockaddr_un a = gc_name(tag, &len);
  for (int i = 0; i < rounds; i++) {
    make(&a, len);
    if (rebind(&a, len) < 0) {
      printf("round %d: the garbage was not freed\n", i);
      CHECK(!"freed");
      return;
    }
  }
}

// A socket in its own queue.
static void self_garbage(struct sockaddr_un *a, socklen_t len) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  OK(bind(sv[0], (struct sockaddr *)a, len));
  EXPECT_EQ(send_fds(sv[1], &sv[0], 1, "f"), 1);
  OK(close(sv[0]));
  OK(close(sv[1]));
}

// Three pairs of three types, each in another's queue: one cycle.
static void cycle_garbage(struct sockaddr_un *a, socklen_t len) {
  int x[2], y[2], z[2];
  pair(SOCK_STREAM, x), pair(SOCK_DGRAM, y), pair(SOCK_SEQPACKET, z);
  OK(bind(x[0], (struct sockaddr *)a, len));
  EXPECT_EQ(send_fds(y[1], (int[]){x[0], z[1]}, 2, "f"), 1); // x0 and z1 in y0's queue
  EXPECT_EQ(send_fds(z[0], (int[]){y[0]}, 1, "f"), 1);       // y0 in z1's queue
  EXPECT_EQ(send_fds(x[1], (int[]){y[1], z[0]}, 2, "f"), 1); // y1, z0 in x0's
  for (int k = 0; k < 2; k++)
    OK(close(x[k])), OK(close(y[k])), OK(close(z[k]));
}

static void t_gc_self(void) { gc_rounds(1, 200, self_garbage); }
static void t_gc_cycle(void) { gc_rounds(2, 100, cycle_garbage); }

// What is still reachable stays: a socket in flight to an open socket, and what hangs
// from it (a socket in its queue).
static void t_gc_keeps(void) {
  socklen_t len;
  struct sockaddr_un a = gc_name(3, &len);
  int sv[2], t[2];
  pair(SOCK_STREAM, sv), pair(SOCK_STREAM, t);
  OK(bind(t[0], (struct sockaddr *)&a, len));
  EXPECT_EQ(send_fds(t[0], &t[0], 1, "f"), 1); // t0 in t1's queue...
  EXPECT_EQ(send_fds(sv[0], &t[1], 1, "f"), 1); // ...and t1 in flight to sv1, which stays open
  OK(close(t[0]));
  OK(close(t[1]));
  OK(close(sv[0])); // (a close: the collector runs)
  int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_ERR(bind(s, (struct sockaddr *)&a, len), EADDRINUSE);
  int t1 = recv_fd(sv[1]);
  int t0 = recv_fd(t1); // t1 still has t0 in its queue: it comes
  send_str(t0, "alive");
  expect_read(t1, "alive");
  OK(close(t0));
  OK(close(t1));
  OK(close(sv[1]));
  EXPECT_EQ(rebind(&a, len), 0);
}

// MemFree after a second round of fn is what it was before it (the first may grow the
// kernel's heap for good). On Vitrine only, where nothing else runs.
static void memory_comes_back(void (*fn)(void)) {
  if (!g_vitrine)
    return;
  for (int round = 0; round < 2; round++) {
    long before = mem_free_kb();
    fn();
    long after = mem_free_kb();
    if (round == 1)
      CHECK(after >= before - 64);
  }
}

static void many_cycles(void) {
  for (int i = 0; i < 1000; i++) {
    int sv[2];
    pair(SOCK_STREAM, sv);
    EXPECT_EQ(send_fds(sv[1], sv, 2, "f"), 1);
    OK(close(sv[0]));
    OK(close(sv[1]));
  }
}

// A descriptor passed and received over and over on one connection.
static void many_passes(void) {
  int sv[2];
  pair(SOCK_STREAM, sv);
  for (int i = 0; i < 1000; i++) {
    EXPECT_EQ(send_fds(sv[0], &sv[0], 1, "p"), 1);
    OK(close(recv_fd(sv[1])));
  }
  close(sv[0]), close(sv[1]);
}

static void t_gc_memory(void) { memory_comes_back(many_cycles); }
static void t_scm_memory(void) { memory_comes_back(many_passes); }

static const struct ut_test tests[] = {
    UT(create_errors), UT(pair_stream), UT(flags), UT(bind_path), UT(connect_accept),
    UT(connect_errors), UT(backlog), UT(accept_blocks), UT(abstract), UT(dgram),
    UT(seqpacket), UT(stream_bytes), UT(stream_bulk), UT(waitall), UT(shutdown),
    UT(epipe), UT(reset), UT(poll), UT(scm_rights), UT(scm_rights_fork),
    UT(scm_credentials), UT(sockopts), UT(rcvtimeo), UT(timeo_errors), UT(sndtimeo),
    UT(timeo_eintr), UT(mmsg), UT(mmsg_errors), UT(gc_self), UT(gc_cycle), UT(gc_keeps),
    UT(gc_memory), UT(scm_memory),
};

int main(int argc, char **argv) {
  ut_setup(argv[0], "/tests/socktests");
  static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests)};
  return ut_main(&suite, argc, argv);
}
