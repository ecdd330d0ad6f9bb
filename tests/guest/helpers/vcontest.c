// vcontest: the vcon: scheme against a host peer (tests/vcon.sh runs both). The guest
// has a virtio console port named "test" whose host end is a TCP server; the host
// connects, sends "hello\n", reads "ack\n" and hangs up; later it connects again and
// sends "again\n". Prints PASS/FAIL lines and "N passed, N failed".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int passed, failed;

static void check(int ok, const char *name, const char *detail) {
  if (ok)
    passed++, printf("PASS %s\n", name);
  else
    failed++, printf("FAIL %s: %s (errno %d)\n", name, detail, errno);
}

// One line (up to '\n') from fd, blocking.
static ssize_t read_line(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got + 1 < n) {
    ssize_t r = read(fd, buf + got, 1);
    if (r <= 0)
      return r;
    if (buf[got++] == '\n')
      break;
  }
  buf[got] = '\0';
  return got;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  DIR *d = opendir("vcon:");
  struct dirent *e;
  int listed = 0;
  while (d && (e = readdir(d)))
    listed += strcmp(e->d_name, "test") == 0;
  check(d && listed == 1, "vcon: lists the port", "no entry 'test'");
  if (d)
    closedir(d);
  struct stat st;
  check(stat("vcon:test", &st) == 0 && S_ISCHR(st.st_mode), "stat: a character device", "stat");
  check(open("vcon:nope", O_RDWR) < 0 && errno == ENOENT, "a port that is not there: ENOENT",
        "open");
  check(open("vcon:", O_RDWR) < 0 && errno == EISDIR, "the directory is not writable: EISDIR",
        "open");

  int fd = open("vcon:test", O_RDWR);
  check(fd >= 0, "open the port", "open");
  check(open("vcon:test", O_RDWR) < 0 && errno == EBUSY, "a second open: EBUSY", "open");
  check(open("/dev/virtio-ports/test", O_RDWR) < 0 && errno == EBUSY,
        "/dev/virtio-ports/test is the same port: EBUSY", "open");
  printf("READY\n"); // tests/vcon.sh connects now
  char line[64];
  // A read into a buffer it cannot write fails and leaves the bytes for the next read.
  struct pollfd p = {fd, POLLIN, 0};
  char *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(poll(&p, 1, 20000) == 1 && bad != MAP_FAILED && read(fd, bad, 64) < 0 &&
            errno == EFAULT, "a read into a bad buffer: EFAULT", "read");
  check(read_line(fd, line, sizeof line) > 0 && strcmp(line, "hello\n") == 0,
        "read what the host sent (the failed read lost nothing)", line);
  check(write(fd, "ack\n", 4) == 4, "write to the host", "write");
  // The host hangs up after reading our ack.
  p = (struct pollfd){fd, POLLIN, 0};
  int n = poll(&p, 1, 20000);
  check(n == 1 && (p.revents & POLLHUP), "hang-up: poll reports POLLHUP", "no POLLHUP");
  check(read(fd, line, sizeof line) == 0, "hang-up: read returns end-of-file", "read");
  check(read(fd, line, sizeof line) == 0, "hang-up: and again", "read");
  check(write(fd, "x", 1) < 0 && errno == EPIPE, "hang-up: write fails with EPIPE", "write");
  close(fd);

  // Opened while nobody is connected: the file waits for the next connection.
  fd = open("vcon:test", O_RDWR | O_NONBLOCK);
  check(fd >= 0, "open again while the host is away", "open");
  p = (struct pollfd){fd, POLLIN | POLLOUT, 0};
  check(poll(&p, 1, 0) == 0, "poll: nothing until the host connects", "poll");
  check(read(fd, line, sizeof line) < 0 && errno == EAGAIN, "O_NONBLOCK read: EAGAIN", "read");
  fcntl(fd, F_SETFL, 0);
  printf("AGAIN\n"); // tests/vcon.sh connects again now
  check(read_line(fd, line, sizeof line) > 0 && strcmp(line, "again\n") == 0,
        "the next connection's bytes", line);
  check(read(fd, line, sizeof line) == 0, "the next connection's end", "read");
  close(fd);
  fd = open("/dev/virtio-ports/test", O_RDWR);
  check(fd >= 0, "once closed, /dev/virtio-ports/test opens", "open");
  check(stat("/dev/virtio-ports/test", &st) == 0 && S_ISCHR(st.st_mode),
        "/dev/virtio-ports/test is a character device", "stat");
  close(fd);

  // Hot removal (QEMU's device_del of the port): a reader blocked in read wakes with
  // ENODEV, poll says POLLHUP only, writes fail with ENODEV, and opens with ENXIO, as
  // Linux's virtio_console does for an unplugged port. Then the port comes back (a new
  // device_add) and opens again: nothing of the old one stays in the way.
  fd = open("vcon:test", O_RDWR);
  check(fd >= 0, "open before the removal", "open");
  printf("REMOVE\n"); // tests/vcon.sh removes the port now
  check(read(fd, line, sizeof line) < 0 && errno == ENODEV,
        "removal: a blocked read fails with ENODEV", "read");
  p = (struct pollfd){fd, POLLIN | POLLOUT, 0};
  check(poll(&p, 1, 0) == 1 && p.revents == POLLHUP, "removal: poll reports POLLHUP only",
        "poll");
  check(write(fd, "x", 1) < 0 && errno == ENODEV, "removal: write fails with ENODEV", "write");
  check(close(fd) == 0, "removal: close", "close");
  check(open("vcon:test", O_RDWR) < 0 && errno == ENXIO, "removal: open fails with ENXIO",
        "open");
  check(open("/dev/virtio-ports/test", O_RDWR) < 0 && errno == ENXIO,
        "removal: the /dev node's open fails with ENXIO", "open");
  d = opendir("vcon:");
  listed = 0;
  while (d && (e = readdir(d)))
    listed += strcmp(e->d_name, "test") == 0;
  check(d && listed == 0, "removal: vcon: no longer lists the port", "listed");
  if (d)
    closedir(d);
  printf("READD\n"); // tests/vcon.sh adds it again and connects
  fd = -1;
  for (int i = 0; i < 300 && fd < 0; i++)
    if ((fd = open("vcon:test", O_RDWR)) < 0)
      usleep(100000);
  check(fd >= 0, "the port back: it opens", "open");
  check(read_line(fd, line, sizeof line) > 0 && strcmp(line, "back\n") == 0,
        "the port back: the host's bytes", line);
  close(fd);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
