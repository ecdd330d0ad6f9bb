// The virtio console device with VIRTIO_CONSOLE_F_MULTIPORT, and the vcon: scheme.
//
// Queues: 0/1 receive and transmit for port 0, 2/3 the control queues (device to us,
// us to the device), then 2+2N/3+2N for port N. After DRIVER_OK we send DEVICE_READY;
// the device answers DEVICE_ADD for each port, we set its queues up and answer
// PORT_READY, and it tells us the port's name (PORT_NAME) and whether the host side is
// connected (PORT_OPEN). We send PORT_OPEN when a port is opened and closed here.
//
// The host side (QEMU's chardev, e.g. a TCP server) comes and goes: each connection
// is one "session" of the port. A file belongs to the session that was current when it
// was opened, or to the next one if the host was not connected then. It reads what
// arrives in its session, then end-of-file once the host has gone (poll: POLLHUP);
// a file opened while nobody is connected blocks in read and write until somebody is.
//
// Receiving: NRX page-sized buffers per port stay posted; a reader copies out of the
// buffers the device has filled, in order, consuming only what reached it (vcon_take),
// and posts each again once it is empty (so a slow reader holds the data back in QEMU,
// nothing is lost). Transmitting: NTX buffers per port; a write copies into free ones
// and kicks the device, which in QEMU sends the bytes on at once. Interrupts: the
// control and receive queues interrupt; transmit queues only while a writer waits for
// a free buffer.
//
// Locking: none needed. The kernel runs with interrupts off and one CPU, so the
// interrupt handler (vcon_intr) never runs in the middle of the code below.
#include "types.h"
#include "console.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "pci.h"
#include "proc.h"
#include "ramfs.h"
#include "scheme.h"
#include "trap.h"
#include "vcon.h"
#include "virtio.h"
#include "vm.h"

#define F_MULTIPORT (1u << 1)
#define CONFIG_MAX_NR_PORTS 4 // (offset in the device's config: cols, rows, max_nr_ports)

// Control messages.
struct ctrl {
  uint32_t id;
  uint16_t event, value;
};
enum { DEVICE_READY, DEVICE_ADD, DEVICE_REMOVE, PORT_READY, CONSOLE_PORT, RESIZE, PORT_OPEN,
       PORT_NAME };

#define NPORTS 4 // ports 0..3; a device may have more (QEMU: 31), which we refuse
#define NRX 8
#define NTX 8
#define NCTRL 16 // control buffers each way (QEMU drops a message when it finds none)
#define CTRL_BUF 256 // a control message, with a port name after it
#define NAME_MAX_V 64

struct port {
  bool present;     // the device added it (and has not removed it)
  bool ready;       // its queues and buffers are set up (they stay, once they are)
  char name[NAME_MAX_V]; // "" until PORT_NAME
  struct virtq rx, tx;
  uint8_t *rxbuf[NRX], *txbuf[NTX];
  uint32_t tx_free;    // bit i: transmit buffer i is ours
  bool has_cur;        // a received buffer is being read: cur_id, bytes [cur_off, cur_len)
  uint16_t cur_id;
  uint32_t cur_off, cur_len;
  // The host side. session counts the connections seen; when one ends, the receive
  // entries up to end_mark (the used index then) are its data (old_data): the file of
  // that session (or an earlier one) may still read them, nobody else; they are
  // dropped when the next session begins with no such file open, or when it closes.
  // (The mark is taken when we see the hang-up, which may be after the next
  // connection's first bytes came: QEMU takes a new connection and its bytes without
  // waiting for us. Those then go to the old file, whose answers QEMU sends to the
  // connection there is, the new one: nothing of it is lost.)
  bool host_open;
  uint32_t session;
  bool old_data;
  uint16_t end_mark;
  uint32_t gen;       // counts removals: a file of an earlier one is dead for good
  bool seen;          // it was added once (an open of it while removed: ENXIO)
  struct vfile *owner; // the one open file's (ports are exclusive, as on Linux), or NULL
  struct proc *reader; // a process asleep in read, which an interrupt hands the CPU to
};

static struct vcon {
  bool up;
  struct virtio_dev dev;
  struct virtq crx, ctx;
  uint8_t *crxbuf, *ctxbuf; // NCTRL slots of CTRL_BUF and of struct ctrl
  uint32_t ctx_free;
  struct port port[NPORTS];
} V;

// An open port: which port (as it was when opened: gen), and which session it belongs to.
struct vfile {
  struct port *p;
  uint32_t gen, session;
};

// ---- control messages to the device ----
static void ctrl_send(uint32_t id, uint16_t event, uint16_t value) {
  uint16_t done;
  uint32_t len;
  while (virtq_used(&V.ctx, &done, &len))
    if (done < NCTRL)
      V.ctx_free |= 1u << done;
  if (!V.ctx_free) { // (QEMU takes each message as it is kicked: never happens)
    kprintf("vcon: control queue full, message %d for port %u lost\n", event, id);
    return;
  }
  int slot = __builtin_ctz(V.ctx_free);
  V.ctx_free &= ~(1u << slot);
  struct ctrl *m = (struct ctrl *)(V.ctxbuf + slot * sizeof(struct ctrl));
  *m = (struct ctrl){id, event, value};
  virtq_post(&V.ctx, slot, m, sizeof *m, false);
  virtq_kick(&V.ctx);
}

// ---- ports ----
static uint16_t rx_queue(int id) { return id == 0 ? 0 : 2 + 2 * id; }

static void port_free_bufs(struct port *p) {
  for (int i = 0; i < NRX; i++)
    if (p->rxbuf[i])
      page_free(p->rxbuf[i], 1), p->rxbuf[i] = NULL;
  for (int i = 0; i < NTX; i++)
    if (p->txbuf[i])
      page_free(p->txbuf[i], 1), p->txbuf[i] = NULL;
}

// DEVICE_ADD: queues and buffers, the first time. A port that comes back after
// DEVICE_REMOVE keeps them: its receive buffers were never taken back from the device.
static int port_add(int id) {
  struct port *p = &V.port[id];
  if (p->present)
    return 0;
  if (!p->rx.size && (virtq_setup(&V.dev, &p->rx, rx_queue(id), NRX) < 0 ||
                      virtq_setup(&V.dev, &p->tx, rx_queue(id) + 1, NTX) < 0)) {
    p->rx.size = 0;
    return -ENOMEM;
  }
  if (!p->ready) {
    for (int i = 0; i < NRX; i++)
      if (!(p->rxbuf[i] = page_alloc(1)))
        goto nomem;
    for (int i = 0; i < NTX; i++)
      if (!(p->txbuf[i] = page_alloc(1)))
        goto nomem;
    for (int i = 0; i < NRX; i++)
      virtq_post(&p->rx, i, p->rxbuf[i], PAGE_SIZE, true);
    virtq_kick(&p->rx);
    virtq_intr(&p->tx, false);
    p->tx_free = (1u << NTX) - 1;
    p->ready = true;
  }
  p->host_open = p->old_data = false;
  p->name[0] = '\0';
  p->present = p->seen = true;
  return 0;
nomem:
  port_free_bufs(p);
  return -ENOMEM;
}

static bool has_data(struct port *p) { return p->has_cur || virtq_has_used(&p->rx); }

// Old data not yet read: the current buffer, or used entries before the mark.
static bool old_pending(struct port *p) {
  return p->old_data && (p->has_cur || (int16_t)(p->end_mark - p->rx.last_used) > 0);
}

// Post receive buffer id again. The caller kicks.
static void rx_recycle(struct port *p, uint16_t id) {
  virtq_post(&p->rx, id, p->rxbuf[id], PAGE_SIZE, true);
}

// The next filled receive buffer into cur; false if there is none. An id the device
// should not have given back is skipped.
static bool rx_next(struct port *p) {
  uint16_t id;
  uint32_t len;
  while (!p->has_cur && (!p->old_data || old_pending(p)) && virtq_used(&p->rx, &id, &len)) {
    if (id >= NRX)
      continue;
    if (len == 0 || len > PAGE_SIZE) {
      rx_recycle(p, id);
      continue;
    }
    p->has_cur = true, p->cur_id = id, p->cur_off = 0, p->cur_len = len;
  }
  return p->has_cur;
}

// A new session begins: what the old one left unread is dropped.
static void drop_old_data(struct port *p) {
  if (!p->old_data)
    return;
  p->old_data = false;
  if (p->has_cur) {
    p->has_cur = false;
    rx_recycle(p, p->cur_id);
  }
  uint16_t id;
  uint32_t len;
  while ((int16_t)(p->end_mark - p->rx.last_used) > 0 && virtq_used(&p->rx, &id, &len))
    if (id < NRX)
      rx_recycle(p, id);
  virtq_kick(&p->rx);
}

// Whoever waits on the port runs soon: a reader in read() next, as a tracer does
// (trace.c); a poller (gdbserver waiting on its program and on gdb) at the next switch,
// which the interrupted process makes on its way back to user mode. (An interrupt
// that found the CPU idle needs neither: the idle loop picks what became runnable.)
static void wake_port(struct port *p) {
  wakeup(p);
  poll_notify();
  if (!myproc())
    return;
  if (p->reader && p->reader->state == P_RUNNABLE)
    cpu.handoff = p->reader;
  trap_resched();
}

static void host_open(struct port *p, bool open) {
  if (open == p->host_open)
    return;
  if (open) {
    if (!p->owner || p->owner->session > p->session)
      drop_old_data(p); // (else the old session's file reads them first: vcon_close drops)
    p->session++;
  } else {
    p->old_data = true;
    p->end_mark = p->rx.used->idx;
  }
  p->host_open = open;
  wake_port(p);
}

// Bytes it still had are dropped: the buffers go back to the device. An open file is
// dead from now on (ENODEV, as Linux's unplugged port) and no longer the owner, so the
// port, should it come back, opens again.
static void port_remove(struct port *p) {
  host_open(p, false);
  p->old_data = true;
  p->end_mark = p->rx.used->idx;
  drop_old_data(p);
  p->present = false;
  p->gen++;
  p->owner = NULL;
  wake_port(p);
}

// PORT_NAME: the name, and /dev/virtio-ports/NAME (as udev makes on Linux) for it. A
// name that cannot be a file name there (empty, "." or "..", a '/') gets no node.
static void port_name(struct port *p, const char *name, size_t len) {
  size_t n = strnlen(name, MIN(len, (size_t)NAME_MAX_V - 1));
  memcpy(p->name, name, n);
  p->name[n] = '\0';
  char path[32 + NAME_MAX_V], target[8 + NAME_MAX_V];
  if (!n || strchr(p->name, '/') || strcmp(p->name, ".") == 0 || strcmp(p->name, "..") == 0)
    return;
  ksnprintf(path, sizeof path, "dev/virtio-ports/%s", p->name);
  ksnprintf(target, sizeof target, "vcon:%s", p->name);
  if (ramfs_add_device(path, target) < 0)
    kprintf("vcon: no /%s\n", path);
}

static void ctrl_message(const struct ctrl *m, uint32_t len) {
  if (len < sizeof *m)
    return;
  if (m->event == DEVICE_ADD && m->id >= NPORTS) {
    ctrl_send(m->id, PORT_READY, 0);
    return;
  }
  if (m->id >= NPORTS)
    return;
  struct port *p = &V.port[m->id];
  switch (m->event) {
  case DEVICE_ADD:
    ctrl_send(m->id, PORT_READY, port_add(m->id) == 0);
    break;
  case DEVICE_REMOVE:
    if (p->present)
      port_remove(p);
    break;
  case PORT_NAME:
    port_name(p, (const char *)(m + 1), len - sizeof *m);
    break;
  case PORT_OPEN:
    if (p->present)
      host_open(p, m->value != 0);
    break;
  }
}

// Take the control messages the device has sent. (Each answer we send may bring more
// at once: QEMU handles a kick before the instruction that made it completes.)
static void ctrl_receive(void) {
  uint16_t id;
  uint32_t len;
  bool posted = false;
  while (virtq_used(&V.crx, &id, &len)) {
    if (id >= NCTRL)
      continue;
    ctrl_message((const struct ctrl *)(V.crxbuf + id * CTRL_BUF), MIN(len, (uint32_t)CTRL_BUF));
    virtq_post(&V.crx, id, V.crxbuf + id * CTRL_BUF, CTRL_BUF, true);
    posted = true;
  }
  if (posted)
    virtq_kick(&V.crx);
}

// The interrupt: control messages first (a connection that ends comes before the data
// of the next one), then wake whoever waits for data, or for room while the transmit
// queue's interrupts are on.
static void vcon_intr(void *arg) {
  (void)arg;
  if (!(virtio_isr(&V.dev) & 1)) // (bit 1, a configuration change, means nothing to us)
    return;
  ctrl_receive();
  for (int i = 0; i < NPORTS; i++) {
    struct port *p = &V.port[i];
    if (!p->present)
      continue;
    bool tx_wait = !(p->tx.avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
    if (has_data(p) || (tx_wait && virtq_has_used(&p->tx)))
      wake_port(p);
  }
}

void vcon_probe(const struct pci_dev *d) {
  if (V.up) {
    kprintf("vcon: a second virtio console at %02x:%02x is not used\n", d->bus, d->dev);
    return;
  }
  uint32_t features = virtio_begin(&V.dev, d);
  if (!V.dev.io || !(features & F_MULTIPORT)) {
    kprintf("vcon: the device at %02x:%02x has no I/O BAR or no multiport\n", d->bus, d->dev);
    goto fail;
  }
  virtio_set_features(&V.dev, F_MULTIPORT);
  V.crxbuf = page_alloc(1), V.ctxbuf = page_alloc(1);
  if (!V.crxbuf || !V.ctxbuf || virtq_setup(&V.dev, &V.crx, 2, NCTRL) < 0 ||
      virtq_setup(&V.dev, &V.ctx, 3, NCTRL) < 0 || d->irq == 0 || d->irq > 15 ||
      pci_irq_register(d->irq, vcon_intr, NULL) < 0) {
    kprintf("vcon: cannot set the device up (memory, queues or irq %d)\n", d->irq);
    goto fail;
  }
  for (int i = 0; i < NCTRL; i++)
    virtq_post(&V.crx, i, V.crxbuf + i * CTRL_BUF, CTRL_BUF, true);
  virtq_intr(&V.ctx, false);
  V.ctx_free = (1u << NCTRL) - 1;
  virtio_set_status(&V.dev, VIRTIO_DRIVER_OK);
  virtq_kick(&V.crx);
  V.up = true;
  ctrl_send(0, DEVICE_READY, 1);
  ctrl_receive(); // the ports, their names and states: known before any program runs
  klog("vcon: virtio console, irq %d, up to %u ports\n", d->irq,
       virtio_config32(&V.dev, CONFIG_MAX_NR_PORTS));
  return;
fail:
  virtio_set_status(&V.dev, VIRTIO_FAILED);
}

// ---- the scheme ----
static struct port *port_named(const char *name) {
  for (int i = 0; V.up && i < NPORTS; i++)
    if (V.port[i].present && V.port[i].name[0] && strcmp(V.port[i].name, name) == 0)
      return &V.port[i];
  return NULL;
}

// A port that had this name and was removed (its name stays until the slot is reused).
static bool port_was(const char *name) {
  for (int i = 0; V.up && i < NPORTS; i++)
    if (!V.port[i].present && V.port[i].seen && strcmp(V.port[i].name, name) == 0)
      return true;
  return false;
}

static const char *skip_slashes(const char *rest) {
  while (*rest == '/')
    rest++;
  return rest;
}

static int vcon_open(struct file *f, const char *rest, int flags, int mode) {
  (void)mode;
  rest = skip_slashes(rest);
  if (!rest[0]) { // the directory of ports
    f->priv = NULL;
    return (flags & O_ACCMODE) != O_RDONLY ? -EISDIR : 0;
  }
  if (flags & O_DIRECTORY)
    return -ENOTDIR;
  struct port *p = port_named(rest);
  struct vfile *v = p && !p->owner ? kmalloc(sizeof *v) : NULL;
  if (!v) // (no such port, or it went away: Linux's open of an unplugged port's node is
          // ENXIO; or it is open already: one opener at a time, as on Linux)
    return !p ? (port_was(rest) ? -ENXIO : -ENOENT) : p->owner ? -EBUSY : -ENOMEM;
  *v = (struct vfile){p, p->gen, p->session + !p->host_open};
  f->priv = v;
  p->owner = v; // (not f: a /dev node's open moves priv into another file)
  ctrl_send(p - V.port, PORT_OPEN, 1);
  return 0;
}

static void vcon_close(struct file *f) {
  struct vfile *v = f->priv;
  if (!v)
    return;
  if (v->p->owner == v) {
    v->p->owner = NULL;
    drop_old_data(v->p); // (what its session left: not for the next file)
    if (v->p->present)
      ctrl_send(v->p - V.port, PORT_OPEN, 0);
  }
  kfree(v);
}

// The port the file was opened on was removed (it may have come back since: another).
static bool unplugged(const struct vfile *v) { return !v->p->present || v->gen != v->p->gen; }

// The file's session is over: the host went away (or the port did).
static bool ended(const struct vfile *v) {
  return unplugged(v) || v->session < v->p->session ||
         (v->session == v->p->session && !v->p->host_open);
}

// Old data is for a file of its session or before; the rest for the current session's.
static bool readable(const struct vfile *v) {
  struct port *p = v->p;
  if (unplugged(v))
    return false;
  return p->old_data ? v->session <= p->session && old_pending(p)
                     : v->session == p->session && has_data(p);
}

// Wait until the file has bytes to read (1), its session is over (0), or a signal or
// O_NONBLOCK says not to wait, or the port was removed (negative errno: ENODEV, as
// Linux's read of an unplugged port).
static int wait_data(struct file *f, struct vfile *v) {
  int r = 0;
  while (r == 0 && !readable(v) && !ended(v)) {
    if (f->flags & O_NONBLOCK)
      return -EAGAIN;
    v->p->reader = myproc();
    r = sleep_on(v->p);
    v->p->reader = NULL;
  }
  return r < 0 ? r : unplugged(v) ? -ENODEV : readable(v);
}

// Read through take (struct scheme), straight from the filled receive buffers to dst:
// a piece that cannot be copied ends the read with the bytes before it taken and the
// rest left in the buffer, so a read into a bad buffer loses nothing.
static long vcon_take(struct file *f, uint64_t dst, size_t n, bool user) {
  struct vfile *v = f->priv;
  if (!v)
    return -EISDIR;
  struct port *p = v->p;
  int r = n ? wait_data(f, v) : 0;
  if (r <= 0)
    return r; // (0: the session is over, end-of-file; or nothing asked for)
  size_t got = 0;
  bool recycled = false, fault = false;
  uint16_t avail_before = p->rx.avail->idx;
  while (got < n && rx_next(p)) {
    size_t k = MIN(n - got, (size_t)(p->cur_len - p->cur_off));
    const uint8_t *src = p->rxbuf[p->cur_id] + p->cur_off;
    if (!user)
      memcpy((uint8_t *)dst + got, src, k);
    else if (copyout(dst + got, src, k) < 0) {
      fault = true;
      break;
    }
    got += k, p->cur_off += k;
    if (p->cur_off == p->cur_len) {
      p->has_cur = false;
      rx_recycle(p, p->cur_id);
      recycled = true;
    }
  }
  // A kick is an exit to QEMU that wakes its main loop: only when it ran out of buffers
  // (and so stopped reading the host), not at every read of a round trip.
  if (recycled && virtq_starved(&p->rx, avail_before))
    virtq_kick(&p->rx);
  return got || !fault ? (long)got : -EFAULT;
}

// A free transmit buffer, waiting for one if need be; -1 with *err set if none comes.
static int tx_buffer(struct file *f, struct vfile *v, int *err) {
  struct port *p = v->p;
  for (;;) {
    uint16_t id;
    uint32_t len;
    while (virtq_used(&p->tx, &id, &len))
      if (id < NTX)
        p->tx_free |= 1u << id;
    if (ended(v)) {
      *err = unplugged(v) ? -ENODEV : -EPIPE;
      return -1;
    }
    if (p->tx_free && v->session == p->session)
      return __builtin_ctz(p->tx_free);
    if (f->flags & O_NONBLOCK) {
      *err = -EAGAIN;
      return -1;
    }
    // Waiting for the host to connect, or for the device to hand buffers back.
    if (!virtq_intr(&p->tx, true) || v->session != p->session)
      *err = sleep_on(p);
    virtq_intr(&p->tx, false);
    if (*err < 0)
      return -1;
  }
}

static long vcon_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  (void)off;
  struct vfile *v = f->priv;
  if (!v)
    return -EISDIR;
  size_t done = 0;
  while (done < n) {
    int err = 0, id = tx_buffer(f, v, &err);
    if (id < 0)
      return done ? (long)done : err;
    size_t k = MIN(n - done, (size_t)PAGE_SIZE);
    memcpy(v->p->txbuf[id], (const char *)buf + done, k);
    v->p->tx_free &= ~(1u << id);
    virtq_post(&v->p->tx, id, v->p->txbuf[id], k, false);
    virtq_kick(&v->p->tx);
    done += k;
  }
  return done;
}

static int vcon_poll(struct file *f) {
  struct vfile *v = f->priv;
  if (!v)
    return POLLIN;
  struct port *p = v->p;
  if (unplugged(v))
    return POLLHUP; // (only that, as Linux: a read fails, it does not see end-of-file)
  int r = readable(v) ? POLLIN : 0;
  if (ended(v))
    r |= POLLIN | POLLHUP; // a read returns end-of-file at once
  else if (v->session == p->session)
    r |= POLLOUT; // (a write may wait for a buffer, but never long: QEMU sends at once)
  return r;
}

static void port_stat(const struct port *p, struct stat *st) {
  if (!p) {
    *st = (struct stat){.st_mode = S_IFDIR | 0555, .st_nlink = 2, .st_ino = 0x7c00};
    return;
  }
  int id = p - V.port;
  *st = (struct stat){.st_mode = S_IFCHR | 0600, .st_nlink = 1, .st_rdev = 0xf000 + id,
                      .st_ino = 0x7c01 + id, .st_blksize = PAGE_SIZE};
}

static int vcon_stat(struct file *f, struct stat *st) {
  struct vfile *v = f->priv;
  port_stat(v ? v->p : NULL, st);
  return 0;
}

// By name, without opening the port (an open tells the device the guest connected).
static int vcon_stat_path(const char *rest, bool follow, struct stat *st) {
  (void)follow;
  rest = skip_slashes(rest);
  struct port *p = rest[0] ? port_named(rest) : NULL;
  if (rest[0] && !p)
    return -ENOENT;
  port_stat(p, st);
  return 0;
}

static long vcon_readdir(struct file *f, void *buf, size_t n) {
  if (f->priv)
    return -ENOTDIR;
  size_t used = 0;
  for (int i = f->off; i < NPORTS; i++) {
    struct port *p = &V.port[i];
    if (V.up && p->present && p->name[0] && !strchr(p->name, '/') &&
        dirent_put(buf, n, &used, 0x7c01 + i, i + 1, 2 /* DT_CHR */, p->name, strlen(p->name)) < 0)
      return used ? (long)used : -EINVAL;
    f->off = i + 1;
  }
  return used;
}

const struct scheme vcon_scheme = {
    .name = "vcon", .open = vcon_open, .take = vcon_take, .write = vcon_write,
    .close = vcon_close, .stat = vcon_stat, .readdir = vcon_readdir, .poll = vcon_poll,
    .stat_path = vcon_stat_path,
};
