// AF_UNIX sockets (unix.c): stream, datagram and seqpacket sockets between processes of
// this machine, named in the file tree (a socket node of ramfs.c) or in the abstract
// namespace, or made in connected pairs. docs/sockets.md says what is implemented.
// syssocket.c unpacks the calls' arguments; everything here works on kernel copies,
// except the data itself, which moves between the user's iovecs and the socket once.
#pragma once
#include "types.h"

struct file;

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define SUN_LEN_MAX 110 // sizeof(struct sockaddr_un)

// send/recv flags, Linux's values.
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

struct iovec_k {
  uint64_t base, len; // user memory
};

// One sendmsg or recvmsg: the data in the user's iovecs (len bytes in all); an address
// in a kernel buffer of SUN_LEN_MAX bytes (sendto's target, namelen bytes; recvfrom's
// source, namelen set on return; NULL: none); ancillary
// data in a kernel buffer (control, controllen; for recv set to what was written); for
// recv, flags gets MSG_TRUNC/MSG_CTRUNC.
struct unix_io {
  const struct iovec_k *iov;
  int iovcnt;
  size_t len;
  uint8_t *name;
  uint32_t namelen;
  void *control;
  size_t controllen;
  int flags;
};

bool unix_is_socket(const struct file *f);
int unix_socket(int type, int protocol, struct file **out);
int unix_socketpair(int type, int protocol, struct file **a, struct file **b);
int unix_bind(struct file *f, const void *addr, uint32_t len);
int unix_listen(struct file *f, int backlog);
int unix_connect(struct file *f, const void *addr, uint32_t len);
int unix_accept(struct file *f, int flags, struct file **out);
long unix_send(struct file *f, struct unix_io *io, int flags);
long unix_recv(struct file *f, struct unix_io *io, int flags);
int unix_shutdown(struct file *f, int how);
int unix_name(struct file *f, bool peer, void *addr, uint32_t *len); // *len: its length
int unix_getsockopt(struct file *f, int level, int name, void *val, uint32_t *len);
int unix_setsockopt(struct file *f, int level, int name, const void *val, uint32_t len);
