// dyntrue [wait]: a dynamically linked musl program (built without -static, see the
// Makefile), for make bench: exits 0 at once, or with "wait" first reads one byte from
// stdin (a sleeping instance whose memory bench measures).
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char c;
  if (argc > 1 && strcmp(argv[1], "wait") == 0 && read(0, &c, 1) < 0)
    return 1;
  return 0;
}
