// debug: the serial console as a terminal. Output goes straight to COM1; input arrives
// by interrupt into a ring and passes through a small line discipline (termios
// ICANON, ECHO, ICRNL, ONLCR), so that shells and `read` behave as on a Linux tty.
#include "types.h"
#include "console.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "ring.h"
#include "scheme.h"
#include "signal.h"
#include "tty.h"
#include "vm.h"

// Linux's struct termios (kernel ABI: 19 control characters... glibc's has 32; the
// ioctl ABI is the kernel's, 36 bytes).
struct termios_k {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line, c_cc[19];
};
_Static_assert(sizeof(struct termios_k) == 36, "struct termios as Linux's ioctls see it");

#define ICRNL 0000400
#define OPOST 0000001
#define ONLCR 0000004
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define VEOF 4
#define VERASE 2
#define VINTR 0
#define VMIN 6
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCSCTTY 0x540e
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define FIONREAD 0x541b
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429
#define VQUIT 1
#define VSUSP 10

static struct termios_k termios = {
    .c_iflag = ICRNL, .c_oflag = OPOST | ONLCR, .c_cflag = 0xbf /* B38400 CS8 CREAD */,
    .c_lflag = ISIG | ICANON | ECHO | ECHOE,
    .c_cc = {[VINTR] = 3, [VQUIT] = 28, [VERASE] = 127, [3] = 21, [VEOF] = 4, [VMIN] = 1,
             [VSUSP] = 26},
};
static int fg_pgrp;  // the foreground process group: gets ^C, ^Z, ^\ (0: none)
static int tty_sid;  // the session the console is the controlling terminal of
static struct { uint16_t rows, cols, x, y; } winsize = {24, 80, 0, 0};

// Input: raw bytes from the IRQ, then the cooked bytes a reader may take.
#define TTYBUF 1024
static char line[TTYBUF];     // the line being edited (canonical mode)
static size_t line_len;
static uint8_t ready_buf[TTYBUF];
static struct ring ready = {.buf = ready_buf, .size = TTYBUF}; // what read() may take (IRQ)
static int eof_pending;       // ^D on an empty line: the next read returns 0

static void out_byte(char c) {
  if (c == '\n' && (termios.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR))
    serial_putc('\r');
  serial_putc(c);
}

static void deliver(const char *s, size_t n) {
  ring_put(&ready, s, n);
  wakeup(&ready);
  poll_notify();
}

// ^C, ^\ and ^Z: a signal to the foreground group; the pending line is dropped.
static bool input_signal(char c) {
  int sig = c == (char)termios.c_cc[VINTR] ? SIGINT : c == (char)termios.c_cc[VQUIT] ? SIGQUIT
          : c == (char)termios.c_cc[VSUSP] ? SIGTSTP : 0;
  if (!sig || !(termios.c_lflag & ISIG))
    return false;
  if (termios.c_lflag & ECHO)
    serial_putc('^'), serial_putc(c + '@'), out_byte('\n');
  line_len = 0;
  struct siginfo_k info = {.signo = sig, .code = SI_KERNEL};
  for (int i = 0; fg_pgrp && i < NPROC; i++)
    if (proctab[i] && proctab[i]->pgid == fg_pgrp && proctab[i]->leader == proctab[i])
      signal_send(proctab[i], &info);
  return true;
}

static void input_byte(char c) {
  if (c == '\r' && (termios.c_iflag & ICRNL))
    c = '\n';
  if (input_signal(c))
    return;
  if (!(termios.c_lflag & ICANON)) {
    deliver(&c, 1);
    if (termios.c_lflag & ECHO)
      out_byte(c);
    return;
  }
  if (c == (char)termios.c_cc[VERASE] || c == '\b') {
    if (line_len) {
      line_len--;
      if (termios.c_lflag & ECHO)
        serial_putc('\b'), serial_putc(' '), serial_putc('\b');
    }
    return;
  }
  if (c == (char)termios.c_cc[VEOF]) {
    if (!line_len)
      eof_pending++, wakeup(&ready);
    deliver(line, line_len);
    line_len = 0;
    return;
  }
  if (line_len < TTYBUF - 1)
    line[line_len++] = c;
  if (termios.c_lflag & ECHO)
    out_byte(c);
  if (c == '\n') {
    deliver(line, line_len);
    line_len = 0;
  }
}

// COM1 interrupt: take every byte the UART holds.
void tty_intr(void) {
  int c;
  while ((c = serial_getc()) >= 0)
    input_byte(c);
}

static int tty_open(struct file *f, const char *rest, int flags, int mode) {
  (void)f, (void)flags, (void)mode;
  return rest[0] ? -ENOENT : 0;
}

// Bytes leave the input ring only once they reached the reader (ring.h).
static long tty_take(struct file *f, uint64_t dst, size_t n, bool user) {
  while (!ring_used(&ready) && !eof_pending) {
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    int r = sleep_on(&ready);
    if (r < 0)
      return r;
  }
  if (!ring_used(&ready)) { // only an end-of-file mark
    eof_pending--;
    return 0;
  }
  if (termios.c_lflag & ICANON)
    n = ring_span(&ready, '\n', n); // canonical reads return one line at most
  return ring_take(&ready, dst, n, user);
}

static long tty_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)f, (void)off;
  for (size_t i = 0; i < n; i++)
    out_byte(((const char *)buf)[i]);
  return n;
}

static int tty_stat(struct file *f, struct stat *st) {
  (void)f;
  *st = (struct stat){.st_mode = S_IFCHR | 0620, .st_nlink = 1, .st_rdev = 0x501,
                      .st_ino = 3, .st_blksize = 1024};
  return 0;
}

// Is the console the caller's controlling terminal?
static bool is_ctty(void) { return tty_sid && myproc()->sid == tty_sid; }

static bool session_alive(int sid) {
  for (int i = 0; i < NPROC; i++)
    if (proctab[i] && proctab[i]->sid == sid && proctab[i]->state != P_ZOMBIE)
      return true;
  return false;
}

// The controlling-terminal ioctls, with Linux's rules.
static long ctty_ioctl(uint64_t req, uint64_t arg) {
  struct proc *me = myproc();
  int pg;
  switch (req) {
  case TIOCGPGRP:
    return is_ctty() ? copyout(arg, &fg_pgrp, sizeof fg_pgrp) : -ENOTTY;
  case TIOCSPGRP:
    if (!is_ctty())
      return -ENOTTY;
    if (copyin(&pg, arg, sizeof pg) < 0)
      return -EFAULT;
    if (pg <= 0)
      return -EINVAL;
    for (int i = 0; i < NPROC; i++) // the group must exist in our session
      if (proctab[i] && proctab[i]->pgid == pg && proctab[i]->sid == me->sid)
        return fg_pgrp = pg, 0;
    return -EPERM;
  case TIOCSCTTY: // only a session leader; stealing needs root and arg 1
    if (me->tgid != me->sid)
      return -EPERM;
    if (tty_sid && tty_sid != me->sid && session_alive(tty_sid) && !(me->euid == 0 && arg == 1))
      return -EPERM;
    tty_sid = me->sid;
    fg_pgrp = me->pgid;
    return 0;
  default: // TIOCNOTTY
    if (!is_ctty())
      return -ENOTTY;
    if (me->tgid == me->sid)
      tty_sid = fg_pgrp = 0;
    return 0;
  }
}

static long tty_ioctl(struct file *f, uint64_t req, uint64_t arg) {
  (void)f;
  switch (req) {
  case TCGETS:
    return copyout(arg, &termios, sizeof termios);
  case TCSETS:
  case TCSETSW:
  case TCSETSF: {
    struct termios_k t; // all or nothing: a bad pointer leaves the settings as they were
    int r = copyin(&t, arg, sizeof t);
    if (r == 0)
      termios = t;
    return r;
  }
  case TIOCGWINSZ:
    return copyout(arg, &winsize, sizeof winsize);
  case TIOCGPGRP:
  case TIOCSPGRP:
  case TIOCSCTTY:
  case TIOCNOTTY:
    return ctty_ioctl(req, arg);
  case TIOCGSID:
    return tty_sid ? copyout(arg, &tty_sid, sizeof tty_sid) : -ENOTTY;
  case FIONREAD: {
    int n = ring_used(&ready);
    return copyout(arg, &n, sizeof n);
  }
  case TIOCSWINSZ: {
    __typeof__(winsize) w;
    int r = copyin(&w, arg, sizeof w);
    if (r == 0)
      winsize = w;
    return r;
  }
  }
  return -ENOTTY;
}

static int tty_poll(struct file *f) {
  (void)f;
  return POLLOUT | (ring_used(&ready) || eof_pending ? POLLIN : 0);
}

const struct scheme debug_scheme = {
    .name = "debug", .open = tty_open, .take = tty_take, .write = tty_write,
    .stat = tty_stat, .ioctl = tty_ioctl, .poll = tty_poll,
};

// tty: (/dev/tty) is the caller's controlling terminal: here, the console, for a
// process of the session that owns it, and ENXIO for anyone else (as Linux).
static int ctty_open(struct file *f, const char *rest, int flags, int mode) {
  if (!is_ctty())
    return -ENXIO;
  f->scheme = &debug_scheme;
  return tty_open(f, rest, flags, mode);
}

const struct scheme ctty_scheme = {.name = "tty", .open = ctty_open};


int tty_foreground(void) { return fg_pgrp; }
