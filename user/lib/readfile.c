#include "readfile.h"

#include <fcntl.h>
#include <unistd.h>

ssize_t read_small_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || size == 0)
    return fd < 0 ? -1 : (close(fd), -1);
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  return n;
}
