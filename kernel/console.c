// Kernel output: the COM1 serial port (115200 8N1) and a small printf.
// Output is polled: the kernel writes little, and polling works before interrupts
// and inside a panic. Input (the console's line discipline) lives in tty.c.
#include "types.h"
#include "console.h"
#include "lib.h"
#include "x86.h"

#define COM1 0x3f8

void serial_init(void) {
  outb(COM1 + 1, 0x00); // no interrupts while we program it
  outb(COM1 + 3, 0x80); // DLAB: set the divisor
  outb(COM1 + 0, 0x01); // 115200 baud
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); // 8 data bits, no parity, one stop bit
  outb(COM1 + 2, 0xc7); // FIFO on, cleared, 14-byte threshold
  outb(COM1 + 4, 0x0b); // DTR, RTS, OUT2 (OUT2 gates the IRQ line on a PC)
  outb(COM1 + 1, 0x01); // interrupt when a byte arrives
}

void serial_putc(char c) {
  while (!(inb(COM1 + 5) & 0x20))
    ;
  outb(COM1, c);
}

// Bytes waiting in the receive register, or -1.
int serial_getc(void) {
  if (!(inb(COM1 + 5) & 0x01))
    return -1;
  return inb(COM1);
}

// The kernel's own messages: translate \n to \r\n as a terminal expects.
static void kputc(char c) {
  if (c == '\n')
    serial_putc('\r');
  serial_putc(c);
}

// Formatted output goes to a sink: the console, or a buffer (ksnprintf).
struct sink {
  char *buf;         // NULL: the console
  size_t len, cap;
};

static void sputc(struct sink *s, char c) {
  if (!s->buf)
    kputc(c);
  else if (s->len + 1 < s->cap)
    s->buf[s->len] = c;
  if (s->buf)
    s->len++;
}

static void put_num(struct sink *s, uint64_t v, int base, bool neg, int width, char pad) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (neg)
    buf[n++] = '-';
  while (width-- > n)
    sputc(s, pad);
  while (n)
    sputc(s, buf[--n]);
}

// One conversion's flags, as parsed from the format.
struct spec {
  char pad;
  int width, longs;
  bool left;
};

static void put_str(struct sink *out, const char *s, const struct spec *sp) {
  s = s ? s : "(null)";
  int n = strlen(s), w = sp->width;
  for (; !sp->left && w > n; w--)
    sputc(out, ' ');
  for (; *s; s++)
    sputc(out, *s);
  for (; sp->left && w > n; w--)
    sputc(out, ' ');
}

// Print one conversion (the character after the flags). va_list goes by pointer so
// the caller's list advances.
static void put_conv(struct sink *out, char c, const struct spec *sp, va_list *ap) {
  int base = c == 'x' || c == 'p' ? 16 : c == 'o' ? 8 : 10;
  switch (c) {
  case 'd':
  case 'i': {
    int64_t v = sp->longs ? va_arg(*ap, int64_t) : va_arg(*ap, int);
    put_num(out, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, sp->width, sp->pad);
    break;
  }
  case 'u':
  case 'x':
  case 'o':
    put_num(out, sp->longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned), base, false,
            sp->width, sp->pad);
    break;
  case 'p':
    sputc(out, '0'), sputc(out, 'x');
    put_num(out, (uint64_t)va_arg(*ap, void *), 16, false, 16, '0');
    break;
  case 's':
    put_str(out, va_arg(*ap, const char *), sp);
    break;
  case 'c':
    sputc(out, (char)va_arg(*ap, int));
    break;
  default: // "%%", or an unknown conversion printed as it is
    if (c != '%')
      sputc(out, '%');
    sputc(out, c);
  }
}

// Supports %d %i %u %x %o %p %s %c %% with an optional 0 or - flag, width and l/ll/z
// sizes.
static void format(struct sink *out, const char *fmt, va_list ap) {
  va_list args;
  va_copy(args, ap);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      sputc(out, *fmt);
      continue;
    }
    struct spec sp = {.pad = ' '};
    if (*++fmt == '-')
      sp.left = true, fmt++;
    if (*fmt == '0')
      sp.pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      sp.width = sp.width * 10 + (*fmt++ - '0');
    while (*fmt == 'l' || *fmt == 'z')
      sp.longs++, fmt++;
    if (!*fmt)
      break;
    put_conv(out, *fmt, &sp, &args);
  }
  va_end(args);
}

void kvprintf(const char *fmt, va_list ap) {
  struct sink s = {0};
  format(&s, fmt, ap);
}

// Like snprintf: returns the length the whole output needs.
int ksnprintf(char *buf, size_t n, const char *fmt, ...) {
  struct sink s = {.buf = buf, .cap = n};
  va_list ap;
  va_start(ap, fmt);
  format(&s, fmt, ap);
  va_end(ap);
  if (n)
    buf[MIN(s.len, n - 1)] = 0;
  return s.len;
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}

// Boot and progress messages, silenced by the "quiet" command-line word.
bool kernel_quiet;
void klog(const char *fmt, ...) {
  if (kernel_quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
