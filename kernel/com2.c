// com2: the second serial port as a raw byte stream (115200 8N1), for gdbserver. Input
// arrives by interrupt (IRQ 3) into a ring; output is written out directly.
#include "types.h"
#include "com2.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "ring.h"
#include "scheme.h"
#include "x86.h"

#define COM2 0x2f8
#define RING 16384 // room for several of gdbserver's 4 KiB packets

static uint8_t ring_buf[RING];
static struct ring ring = {.buf = ring_buf, .size = RING}; // received bytes (IRQ)
static bool present;

void com2_init(void) {
  outb(COM2 + 1, 0x00);
  outb(COM2 + 3, 0x80);
  outb(COM2 + 0, 0x01); // 115200 baud
  outb(COM2 + 1, 0x00);
  outb(COM2 + 3, 0x03);
  outb(COM2 + 2, 0xc7);
  outb(COM2 + 4, 0x0b);
  present = inb(COM2 + 5) != 0xff; // no UART there reads as all ones
  if (present)
    outb(COM2 + 1, 0x01);
}

// IRQ 3: move every received byte into the ring (dropping bytes when it is full:
// the GDB protocol retransmits what was lost).
void com2_intr(void) {
  while (present && (inb(COM2 + 5) & 0x01)) {
    uint8_t c = inb(COM2);
    ring_put(&ring, &c, 1);
  }
  wakeup(&ring);
  poll_notify();
}

static int com2_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)flags, (void)mode;
  if (rest[0])
    return -ENOENT;
  return present ? 0 : -ENXIO;
}

// Bytes leave the ring only once they reached the reader (ring.h).
static long com2_take(struct file *f, uint64_t dst, size_t n, bool user) {
  while (!ring_used(&ring)) {
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    int r = sleep_on(&ring);
    if (r < 0)
      return r;
  }
  return ring_take(&ring, dst, n, user);
}

static long com2_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)off;
  for (size_t i = 0; i < n; i++) {
    while (!(inb(COM2 + 5) & 0x20))
      ;
    outb(COM2, ((const uint8_t *)buf)[i]);
  }
  return n;
}

static int com2_poll(struct file *f) {
  (void)f;
  return POLLOUT | (ring_used(&ring) ? POLLIN : 0);
}

static int com2_stat(struct file *f, struct stat *st) {
  (void)f;
  *st = (struct stat){.st_mode = S_IFCHR | 0660, .st_nlink = 1, .st_rdev = 0x441,
                      .st_ino = 4, .st_blksize = 1024};
  return 0;
}

const struct scheme com2_scheme = {
    .name = "com2", .open = com2_open, .take = com2_take, .write = com2_write,
    .stat = com2_stat, .poll = com2_poll,
};
