// Installed set-user-ID root (/tests/setuid-probe, mode 4755): prints its real and
// effective uid, so tests can see what a set-user-ID exec grants, and when it must not
// (under a tracer).
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("ruid=%d euid=%d\n", getuid(), geteuid());
  return 0;
}
