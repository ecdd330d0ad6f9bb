// The GDB remote protocol's packet layer (gdbproto.h). A packet is "$data#cc": cc is
// the sum of the data bytes modulo 256 in two hex digits. The receiver answers '+' for
// a good packet and '-' for a bad one, and resends its own packets when the peer
// answers '-', until QStartNoAckMode turns acknowledgements off.
#include "gdbproto.h"
#include <vitrine/hex.h>

#include <string.h>

enum { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 };

// ---- encoding helpers ----
uint8_t gdb_checksum(const char *data, size_t n) {
  uint8_t sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (uint8_t)data[i];
  return sum;
}

int gdb_hexval(int c) { return hex_digit(c); }

bool gdb_parse_hex(const char **p, uint64_t *out) {
  const char *s = *p;
  uint64_t v = 0;
  int n = 0;
  for (int d; (d = gdb_hexval((unsigned char)*s)) >= 0; s++, n++) {
    if (v >> 60)
      return false; // more than 64 bits (leading zeros are fine)
    v = v << 4 | (uint64_t)d;
  }
  if (n == 0)
    return false;
  *p = s;
  *out = v;
  return true;
}

bool gdb_hex_decode(uint8_t *dst, const char *src, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int hi = gdb_hexval((unsigned char)src[2 * i]);
    int lo = hi < 0 ? -1 : gdb_hexval((unsigned char)src[2 * i + 1]);
    if (lo < 0)
      return false; // (a NUL terminator is not a digit, so a short string stops here)
    dst[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

void gdb_hex_encode(char *dst, const void *src, size_t n) {
  static const char digits[] = "0123456789abcdef";
  const uint8_t *s = src;
  for (size_t i = 0; i < n; i++) {
    dst[2 * i] = digits[s[i] >> 4];
    dst[2 * i + 1] = digits[s[i] & 15];
  }
  dst[2 * n] = '\0';
}

static bool needs_escape(uint8_t c) {
  return c == '$' || c == '#' || c == '}' || c == '*';
}

long gdb_escape(char *dst, size_t cap, const void *src, size_t n) {
  const uint8_t *s = src;
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    bool esc = needs_escape(s[i]);
    if (out + 1 + esc > cap)
      return -1;
    if (esc)
      dst[out++] = '}';
    dst[out++] = (char)(esc ? s[i] ^ 0x20 : s[i]);
  }
  return (long)out;
}

long gdb_unescape(char *buf, size_t n) {
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    if (buf[i] != '}') {
      buf[out++] = buf[i];
      continue;
    }
    if (++i == n)
      return -1;
    buf[out++] = (char)(buf[i] ^ 0x20);
  }
  return (long)out;
}

long gdb_rle_expand(char *dst, size_t cap, const char *src, size_t n) {
  size_t out = 0;
  bool escaped = false; // src[i] follows an escape byte '}': it is data
  for (size_t i = 0; i < n; i++) {
    if (src[i] == '*' && !escaped) {
      // The count byte is printable: n - 29 more copies, so ' ' (32) means 3.
      if (out == 0 || i + 1 == n || (uint8_t)src[i + 1] < 32 || (uint8_t)src[i + 1] > 126)
        return -1;
      size_t reps = (uint8_t)src[++i] - 29;
      if (out + reps > cap)
        return -2;
      memset(dst + out, dst[out - 1], reps);
      out += reps;
      continue;
    }
    if (out == cap)
      return -2;
    escaped = !escaped && src[i] == '}';
    dst[out++] = src[i];
  }
  return (long)out;
}

// ---- the receiver ----
void gdb_rx_init(struct gdb_rx *rx) {
  rx->state = RX_IDLE;
  rx->len = rx->rawlen = 0;
  rx->pkt[0] = '\0';
}

// The '#' and both checksum digits have arrived: judge the packet.
static enum gdb_rx_event rx_finish(struct gdb_rx *rx, int lo) {
  rx->state = RX_IDLE;
  if (lo < 0 || (uint8_t)(rx->got << 4 | lo) != rx->sum)
    return GDB_RX_BAD;
  if (rx->rawlen > GDB_PKTMAX)
    return GDB_RX_TOOBIG;
  long n = gdb_rle_expand(rx->pkt, GDB_PKTMAX, rx->raw, rx->rawlen);
  if (n < 0)
    return n == -2 ? GDB_RX_TOOBIG : GDB_RX_MALFORMED;
  rx->len = (size_t)n;
  rx->pkt[n] = '\0';
  return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c) {
  if (c == '$') { // also inside a packet: the old one was cut off, as GDB does
    rx->state = RX_DATA;
    rx->sum = 0;
    rx->rawlen = 0;
    return GDB_RX_NONE;
  }
  switch (rx->state) {
  case RX_IDLE: // between packets only acknowledgements and Ctrl-C mean anything
    return c == 3 ? GDB_RX_INTERRUPT : c == '+' ? GDB_RX_ACK : c == '-' ? GDB_RX_NAK
                                                                        : GDB_RX_NONE;
  case RX_DATA:
    if (c == '#') {
      rx->state = RX_SUM1;
    } else {
      rx->sum += c;
      if (rx->rawlen < GDB_PKTMAX)
        rx->raw[rx->rawlen] = (char)c;
      if (rx->rawlen <= GDB_PKTMAX) // (stops counting one past: enough for TOOBIG)
        rx->rawlen++;
    }
    return GDB_RX_NONE;
  case RX_SUM1:
    rx->got = (uint8_t)gdb_hexval(c);
    rx->state = gdb_hexval(c) < 0 ? RX_IDLE : RX_SUM2;
    return rx->state == RX_IDLE ? GDB_RX_BAD : GDB_RX_NONE;
  default:
    return rx_finish(rx, gdb_hexval(c));
  }
}

// ---- the connection ----
void gdb_conn_init(struct gdb_conn *c, ssize_t (*rd)(void *, void *, size_t),
                   ssize_t (*wr)(void *, const void *, size_t), void *ctx) {
  memset(c, 0, sizeof *c);
  c->read = rd;
  c->write = wr;
  c->ctx = ctx;
  c->retries = 8;
  gdb_rx_init(&c->rx);
}

int gdb_write_all(struct gdb_conn *c, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0 && !c->eof) {
    ssize_t w = c->write(c->ctx, p, n);
    if (w <= 0)
      c->eof = true;
    else
      p += w, n -= (size_t)w;
  }
  return c->eof ? -1 : 0;
}

// One more byte: from the buffer, or from one read when `may_read`. -1: none (EOF
// sets c->eof; a read not allowed does not).
static int next_byte(struct gdb_conn *c, bool may_read) {
  if (c->inpos == c->inlen) {
    if (!may_read || c->eof)
      return -1;
    ssize_t n = c->read(c->ctx, c->in, sizeof c->in);
    if (n <= 0) {
      c->eof = true;
      return -1;
    }
    c->inpos = 0;
    c->inlen = (size_t)n;
  }
  return c->in[c->inpos++];
}

// Turn the receiver's events into what a caller acts on: packets are acknowledged,
// bad ones NAKed (in no-ack mode they are simply lost: the peer does not resend).
static int rx_event(struct gdb_conn *c, enum gdb_rx_event ev) {
  switch (ev) {
  case GDB_RX_BAD:
    if (!c->noack)
      gdb_write_all(c, "-", 1);
    return GDB_RX_NONE;
  case GDB_RX_PACKET:
  case GDB_RX_TOOBIG:
  case GDB_RX_MALFORMED:
    if (!c->noack)
      gdb_write_all(c, "+", 1);
    return ev;
  case GDB_RX_INTERRUPT:
    c->interrupted = true;
    return ev;
  default:
    return ev;
  }
}

// Feed bytes until an event: a packet (or a TOOBIG/MALFORMED one), an interrupt, an
// ACK or a NAK. `reads` is how many reads may be made (-1: any). Returns the event,
// GDB_RX_NONE when the reads allowed are used up, -1 on EOF.
static int pump(struct gdb_conn *c, int reads) {
  for (;;) {
    bool buffered = c->inpos < c->inlen;
    int b = next_byte(c, reads != 0);
    if (b < 0)
      return c->eof ? -1 : GDB_RX_NONE;
    if (!buffered && reads > 0)
      reads--;
    int ev = rx_event(c, gdb_rx_byte(&c->rx, (uint8_t)b));
    if (ev != GDB_RX_NONE)
      return ev;
  }
}

static int take_stashed(struct gdb_conn *c) {
  int ev = c->stashed;
  c->stashed = 0;
  return ev;
}

int gdb_getpkt(struct gdb_conn *c) {
  if (c->stashed)
    return take_stashed(c);
  for (;;) {
    int ev = pump(c, -1);
    if (ev != GDB_RX_ACK && ev != GDB_RX_NAK) // stray acknowledgements mean nothing
      return ev;
  }
}

int gdb_poll_input(struct gdb_conn *c, bool more) {
  if (c->stashed)
    return take_stashed(c);
  for (;;) {
    int ev = pump(c, more ? 1 : 0);
    if (ev != GDB_RX_ACK && ev != GDB_RX_NAK)
      return ev;
  }
}

int gdb_putpkt(struct gdb_conn *c, const char *data, size_t n) {
  if (n > GDB_PKTMAX)
    return -1;
  c->out[0] = '$';
  memcpy(c->out + 1, data, n);
  uint8_t sum = gdb_checksum(data, n);
  c->out[n + 1] = '#';
  gdb_hex_encode(c->out + n + 2, &sum, 1); // (writes a NUL we do not send)
  for (int tries = 0;; tries++) {
    if (gdb_write_all(c, c->out, n + 4) < 0)
      return -1;
    if (c->noack)
      return 0;
    int ev;
    while ((ev = pump(c, -1)) == GDB_RX_INTERRUPT)
      ;
    if (ev == GDB_RX_ACK)
      return 0;
    if (ev != GDB_RX_NAK) { // EOF, or the peer moved on to a new packet
      c->stashed = ev > 0 ? ev : 0;
      return ev > 0 ? 0 : -1;
    }
    if (tries == c->retries)
      return -1;
  }
}

int gdb_putstr(struct gdb_conn *c, const char *s) { return gdb_putpkt(c, s, strlen(s)); }
