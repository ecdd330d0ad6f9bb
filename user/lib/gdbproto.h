// The GDB remote serial protocol's packet layer: framing, checksums, acknowledgements,
// run-length decoding, binary escapes and hex. No system calls of its own: bytes come
// and go through the two callbacks in struct gdb_conn, so the host unit tests
// (tests/host/test_gdbproto.c) drive it with a scripted peer.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// The PacketSize we announce in qSupported: the most packet data (between '$' and '#')
// we accept, also after run-length expansion. 16 KiB: a 4 KiB memory read (8 KiB of
// hex) is one round trip, and gdb's bulk reads take 8 KiB at a time.
#define GDB_PKTMAX 16384

// ---- the receiver: one byte at a time ----
enum gdb_rx_event {
  GDB_RX_NONE,      // nothing complete yet
  GDB_RX_PACKET,    // a packet with a good checksum is in rx->pkt (rx->len bytes)
  GDB_RX_BAD,       // a packet with a bad checksum or bad checksum digits: NAK it
  GDB_RX_TOOBIG,    // a good checksum, but more than GDB_PKTMAX bytes (expanded)
  GDB_RX_MALFORMED, // a good checksum, but a run-length code that makes no sense
  GDB_RX_INTERRUPT, // 0x03 outside a packet: GDB's Ctrl-C
  GDB_RX_ACK,       // '+' outside a packet
  GDB_RX_NAK,       // '-' outside a packet
};

struct gdb_rx {
  int state;           // where in "$data#cc" we are (gdbproto.c)
  uint8_t sum;         // running checksum of the raw data
  uint8_t got;         // the first checksum digit's value
  size_t rawlen;       // raw data bytes seen (counted past the buffer, for TOOBIG)
  char raw[GDB_PKTMAX];
  size_t len;          // the decoded packet's length
  char pkt[GDB_PKTMAX + 1]; // decoded (run-length expanded), NUL-terminated
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

// Expand run-length codes ("X*n": X repeated n-29 more times). A '*' right after an
// escape byte '}' is escaped data, not a code. Returns the length, or -1 if a code
// has nothing to repeat or a bad count, -2 if the result would exceed cap.
long gdb_rle_expand(char *dst, size_t cap, const char *src, size_t n);

// ---- a connection: the receiver plus acknowledgements and retransmission ----
struct gdb_conn {
  ssize_t (*read)(void *ctx, void *buf, size_t n);        // blocking; 0 = EOF
  ssize_t (*write)(void *ctx, const void *buf, size_t n); // may write less
  void *ctx;
  bool noack;        // QStartNoAckMode is in force: no '+'/'-' either way
  bool interrupted;  // a 0x03 arrived (cleared by whoever acts on it)
  bool eof;          // the peer went away, or an I/O error
  int retries;       // the most times a NAKed packet is sent again
  struct gdb_rx rx;
  int stashed;       // a packet that came while we waited for an acknowledgement
  uint8_t in[4096];  // bytes read but not yet fed to rx
  size_t inpos, inlen;
  char out[GDB_PKTMAX + 5]; // the frame being sent ("$" data "#cc" NUL), for resending
};

void gdb_conn_init(struct gdb_conn *c, ssize_t (*rd)(void *, void *, size_t),
                   ssize_t (*wr)(void *, const void *, size_t), void *ctx);
// Feed buffered and newly read bytes until one event other than NONE/ACK/NAK: a packet
// (acknowledged), an interrupt, or EOF. Bad packets are NAKed and skipped. Returns
// GDB_RX_PACKET, GDB_RX_TOOBIG, GDB_RX_MALFORMED, GDB_RX_INTERRUPT, or -1 on EOF.
int gdb_getpkt(struct gdb_conn *c);
// Like gdb_getpkt, but only what is already buffered or readable without blocking is
// looked at when `more` is false; returns GDB_RX_NONE when nothing complete is there.
int gdb_poll_input(struct gdb_conn *c, bool more);
// Frame and send data (already escaped if binary), then, unless noack, wait for '+'
// and resend on '-'. Returns 0, or -1 on EOF or after too many NAKs.
int gdb_putpkt(struct gdb_conn *c, const char *data, size_t n);
int gdb_putstr(struct gdb_conn *c, const char *s);
// Write bytes as they are (an acknowledgement).
int gdb_write_all(struct gdb_conn *c, const void *buf, size_t n);

// ---- encoding helpers ----
uint8_t gdb_checksum(const char *data, size_t n);
int gdb_hexval(int c); // 0..15, or -1
// Parse hex digits at *p (at least one, value at most 64 bits); advance *p.
bool gdb_parse_hex(const char **p, uint64_t *out);
// Decode 2*n hex digits into n bytes; false on a bad digit (or too few).
bool gdb_hex_decode(uint8_t *dst, const char *src, size_t n);
void gdb_hex_encode(char *dst, const void *src, size_t n); // writes 2n chars + NUL
// Escape binary data for a reply ('$', '#', '}', '*' become '}' and the byte ^ 0x20).
// Returns the escaped length, or -1 if it does not fit in cap.
long gdb_escape(char *dst, size_t cap, const void *src, size_t n);
// Undo gdb_escape in place; returns the new length, or -1 if the data ends in '}'.
long gdb_unescape(char *buf, size_t n);
