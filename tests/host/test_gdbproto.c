// Host tests for user/lib/gdbproto.c, the GDB remote protocol's packet layer:
// checksums, framing, acknowledgements and retransmission, run-length codes, binary
// escapes, hex, and what bad input does. The peer is a script of bytes.
#include <stdlib.h>
#include <string.h>
#include "hosttest.h"
#include "../../user/lib/gdbproto.c"

// The scripted peer: what it "sends" us (handed out `chunk` bytes per read, so packets
// cross read boundaries) and everything we wrote to it.
static struct peer {
  const char *in;
  size_t inlen, inpos, chunk;
  char out[16384];
  size_t outlen;
  int reads;
} peer;

static ssize_t peer_read(void *ctx, void *buf, size_t n) {
  struct peer *p = ctx;
  p->reads++;
  size_t k = p->inlen - p->inpos;
  if (k > n)
    k = n;
  if (k > p->chunk)
    k = p->chunk;
  memcpy(buf, p->in + p->inpos, k);
  p->inpos += k;
  return (ssize_t)k; // 0 at the end: EOF
}

static ssize_t peer_write(void *ctx, const void *buf, size_t n) {
  struct peer *p = ctx;
  if (n > 3)
    n = 3; // short writes, so gdb_write_all must loop
  if (p->outlen + n > sizeof p->out)
    return -1;
  memcpy(p->out + p->outlen, buf, n);
  p->outlen += n;
  return (ssize_t)n;
}

static struct gdb_conn conn;

static void setup_n(const char *in, size_t n, size_t chunk) {
  memset(&peer, 0, sizeof peer);
  peer.in = in;
  peer.inlen = n;
  peer.chunk = chunk;
  gdb_conn_init(&conn, peer_read, peer_write, &peer);
}
static void setup(const char *in) { setup_n(in, strlen(in), 7); }

static int out_is(const char *want) {
  return peer.outlen == strlen(want) && memcmp(peer.out, want, peer.outlen) == 0;
}
#define EXPECT_OUT(want)                                                               \
  ht_check(out_is(want), __LINE__, "wrote \"%.*s\", want \"%s\"", (int)peer.outlen,  \
           peer.out, want)
#define EXPECT_PKT(want)                                                               \
  ht_check(strcmp(conn.rx.pkt, want) == 0 && conn.rx.len == strlen(want), __LINE__,  \
           "packet \"%s\" (%zu), want \"%s\"", conn.rx.pkt, conn.rx.len, want)

static void checksum_values(void) {
  EXPECT_EQ(gdb_checksum("OK", 2), 0x9a);
  EXPECT_EQ(gdb_checksum("", 0), 0);
  EXPECT_EQ(gdb_checksum("\xff\xff", 2), 0xfe); // modulo 256
  EXPECT_EQ(gdb_checksum("qSupported", 10), 0x37);
}

static void put_frames(void) {
  setup("+");
  EXPECT_EQ(gdb_putstr(&conn, "OK"), 0);
  EXPECT_OUT("$OK#9a");
  setup("+");
  EXPECT_EQ(gdb_putstr(&conn, ""), 0);
  EXPECT_OUT("$#00");
}

static void get_good_packet(void) {
  setup("$qSupported:multiprocess+#c6$g#67");
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("qSupported:multiprocess+");
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("g");
  EXPECT_OUT("++");
  EXPECT_EQ(gdb_getpkt(&conn), -1); // then EOF
  EXPECT(conn.eof);
}

// The peer sends in; the first thing received is a good packet, holding pkt (unless
// NULL), and what we answered by then is out (unless NULL).
static void first_packet(const char *in, const char *pkt, const char *out) {
  setup(in);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  if (pkt)
    EXPECT_PKT(pkt);
  if (out)
    EXPECT_OUT(out);
}

static void checksum_digits_any_case(void) { first_packet("$OK#9A", "OK", NULL); }

// A bad checksum is NAKed and the peer's retransmission accepted.
static void bad_checksum_naked(void) { first_packet("$g#68$g#67", "g", "-+"); }

static void bad_checksum_digits(void) { first_packet("$g#6z$g#x7$g#67", NULL, "--+"); }

static void junk_between_packets(void) { first_packet("hello\r\n++-$g#67", "g", "+"); }

// A packet cut off by a new '$' is dropped without an answer.
static void truncated_then_new(void) { first_packet("$m1000,4$g#67", "g", "+"); }

static void eof_inside_packet(void) {
  setup("$m1000,");
  EXPECT_EQ(gdb_getpkt(&conn), -1);
  setup("$g#6");
  EXPECT_EQ(gdb_getpkt(&conn), -1);
  EXPECT_OUT("");
}

// Builds "$" data "#cc" for data of n bytes into a malloc'd string.
static char *frame(const char *data, size_t n) {
  char *f = malloc(n + 5);
  f[0] = '$';
  memcpy(f + 1, data, n);
  uint8_t sum = gdb_checksum(data, n);
  f[n + 1] = '#';
  gdb_hex_encode(f + n + 2, &sum, 1);
  return f;
}

static void largest_packet(void) {
  char *data = malloc(GDB_PKTMAX);
  memset(data, 'a', GDB_PKTMAX);
  char *f = frame(data, GDB_PKTMAX);
  setup_n(f, GDB_PKTMAX + 4, 100);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_EQ(conn.rx.len, GDB_PKTMAX);
  EXPECT_EQ(conn.rx.pkt[GDB_PKTMAX], '\0');
  free(f);
  free(data);
}

// One byte too many: acknowledged (the checksum is right, resending would not help)
// and reported, and the next packet is still read correctly.
static void oversized_packet(void) {
  size_t n = GDB_PKTMAX + 1;
  char *data = malloc(n + 8);
  memset(data, 'b', n);
  char *f = frame(data, n);
  char *in = malloc(n + 4 + 6);
  memcpy(in, f, n + 4);
  memcpy(in + n + 4, "$g#67", 6);
  setup_n(in, n + 4 + 5, 64);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_TOOBIG);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("g");
  EXPECT_OUT("++");
  free(in), free(f), free(data);
}

static void oversized_bad_checksum_naked(void) {
  size_t n = GDB_PKTMAX * 2;
  char *data = malloc(n);
  memset(data, 'c', n);
  char *f = frame(data, n);
  f[n + 3] = f[n + 3] == '0' ? '1' : '0';
  setup_n(f, n + 4, 512);
  EXPECT_EQ(gdb_getpkt(&conn), -1);
  EXPECT_OUT("-");
  free(f), free(data);
}

// A script of frames built on the fly (so checksums are right by construction).
static char script[16384];
static size_t scriptlen;
static void script_reset(void) { scriptlen = 0; }
static void script_raw(const char *s, size_t n) {
  memcpy(script + scriptlen, s, n);
  scriptlen += n;
}
static void script_pkt(const char *data) {
  size_t n = strlen(data);
  char *f = frame(data, n);
  script_raw(f, n + 4);
  free(f);
}
static void script_go(size_t chunk) { setup_n(script, scriptlen, chunk); }

static void rle_decoded(void) {
  script_reset();
  script_pkt("0* ");    // '0' and 3 more
  script_pkt("ab*\"c"); // 'b' and 5 more
  script_pkt("x*~");    // the largest count: 126 - 29 = 97 more
  script_go(5);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("0000");
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("abbbbbbc");
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_EQ(conn.rx.len, 98);
  EXPECT_EQ(strspn(conn.rx.pkt, "x"), 98);
}

static void rle_malformed(void) {
  script_reset();
  script_pkt("* abc"); // nothing to repeat
  script_pkt("ab*");   // no count
  script_pkt("a*\x01"); // a count that is not printable
  script_pkt("g");
  script_go(64);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_MALFORMED);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_MALFORMED);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_MALFORMED);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("g");
  EXPECT_OUT("++++");
}

// A short raw packet that run-length expands past the limit.
static void rle_too_big(void) {
  char data[400];
  size_t n = 0;
  data[n++] = 'z';
  while (n + 2 < sizeof data - 1) { // each "*~" adds 97 bytes: 4096 is passed at 43
    data[n++] = '*';
    data[n++] = '~';
  }
  data[n] = '\0';
  script_reset();
  script_pkt(data);
  script_go(64);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_TOOBIG);
}

// '}' escapes the next byte, so "}*" is data, not a run-length code.
static void rle_after_escape(void) {
  char buf[32];
  EXPECT_EQ(gdb_rle_expand(buf, sizeof buf, "a}* ", 4), 4);
  EXPECT(memcmp(buf, "a}* ", 4) == 0);
  EXPECT_EQ(gdb_rle_expand(buf, sizeof buf, "}}*!", 4), 6); // "}}" is one escaped '}'
  EXPECT(memcmp(buf, "}}}}}}", 6) == 0);
}

static void escape_round_trip(void) {
  uint8_t all[256];
  char esc[600];
  for (int i = 0; i < 256; i++)
    all[i] = (uint8_t)i;
  long n = gdb_escape(esc, sizeof esc, all, sizeof all);
  EXPECT_EQ(n, 256 + 4); // '#', '$', '*', '}' take two bytes
  for (long i = 0; i < n; i++)
    if (esc[i] == '$' || esc[i] == '#' || esc[i] == '*')
      FAILF("an unescaped '%c' at %ld", esc[i], i);
  EXPECT_EQ(gdb_unescape(esc, (size_t)n), 256);
  EXPECT(memcmp(esc, all, 256) == 0);
  EXPECT_EQ(gdb_escape(esc, 3, "a$b", 3), -1); // does not fit
  char tail[] = "ab}";
  EXPECT_EQ(gdb_unescape(tail, 3), -1); // an escape with nothing after it
}

// A binary X packet as GDB sends it: escaped data, checksum over the escaped bytes.
static void binary_packet(void) {
  const uint8_t bytes[] = {'#', 0, '$', 0x7d, '*', 0xff};
  char data[64] = "X1000,6:";
  long n = gdb_escape(data + 8, sizeof data - 8, bytes, sizeof bytes);
  char *f = frame(data, 8 + (size_t)n);
  setup_n(f, 8 + (size_t)n + 4, 3);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_EQ(conn.rx.len, 8 + (size_t)n);
  long m = gdb_unescape(conn.rx.pkt + 8, conn.rx.len - 8);
  EXPECT_EQ(m, 6);
  EXPECT(memcmp(conn.rx.pkt + 8, bytes, 6) == 0);
  free(f);
}

static void hex_numbers(void) {
  const char *p = "1f,20";
  uint64_t v = 0;
  EXPECT(gdb_parse_hex(&p, &v));
  EXPECT_EQ(v, 0x1f);
  EXPECT_EQ(*p, ',');
  p = "ffffffffffffffff:";
  EXPECT(gdb_parse_hex(&p, &v));
  EXPECT(v == ~0ull);
  p = "00000000000000000000001";
  EXPECT(gdb_parse_hex(&p, &v) && v == 1); // leading zeros do not count
  p = "10000000000000000"; // 2^64
  EXPECT(!gdb_parse_hex(&p, &v));
  p = ",5";
  EXPECT(!gdb_parse_hex(&p, &v));
  EXPECT_EQ(*p, ','); // not advanced on failure
  p = "";
  EXPECT(!gdb_parse_hex(&p, &v));
  EXPECT_EQ(gdb_hexval('g'), -1);
  EXPECT_EQ(gdb_hexval('F'), 15);
}

static void hex_bytes(void) {
  uint8_t b[4] = {0};
  char s[9];
  EXPECT(gdb_hex_decode(b, "deadBEEF", 4));
  EXPECT(b[0] == 0xde && b[3] == 0xef);
  gdb_hex_encode(s, b, 4);
  EXPECT(strcmp(s, "deadbeef") == 0);
  EXPECT(!gdb_hex_decode(b, "12x4", 2));
  EXPECT(!gdb_hex_decode(b, "123", 2)); // too short: the NUL is no digit
  EXPECT(!gdb_hex_decode(b, "-1", 1));
}

// Our packet is NAKed twice, then acknowledged: three copies go out.
static void nak_then_retransmit(void) {
  setup("--+");
  EXPECT_EQ(gdb_putstr(&conn, "OK"), 0);
  EXPECT_OUT("$OK#9a$OK#9a$OK#9a");
}

static void too_many_naks(void) {
  setup("-------------------------");
  conn.retries = 3;
  EXPECT_EQ(gdb_putstr(&conn, "OK"), -1);
  EXPECT_OUT("$OK#9a$OK#9a$OK#9a$OK#9a");
}

static void eof_waiting_for_ack(void) {
  setup("");
  EXPECT_EQ(gdb_putstr(&conn, "OK"), -1);
  EXPECT(conn.eof);
  EXPECT_EQ(gdb_putstr(&conn, "OK"), -1); // and stays that way
}

// In no-ack mode nothing is acknowledged and nothing awaited; a bad packet is lost.
static void no_ack_mode(void) {
  setup("$g#00$g#67");
  conn.noack = true;
  EXPECT_EQ(gdb_putstr(&conn, "OK"), 0);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_EQ(peer.inpos, 10); // the bad one was read and dropped
  EXPECT_OUT("$OK#9a");
}

static void interrupt_byte(void) {
  setup("\x03$g#67");
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_INTERRUPT);
  EXPECT(conn.interrupted);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
}

// A Ctrl-C while we wait for an acknowledgement is remembered, and the wait goes on.
static void interrupt_while_waiting(void) {
  setup("\x03+");
  EXPECT_EQ(gdb_putstr(&conn, "S05"), 0);
  EXPECT(conn.interrupted);
  EXPECT_OUT("$S05#b8");
}

// The peer sends a new packet instead of an acknowledgement: it is kept, not lost.
static void packet_while_waiting(void) {
  setup("$?#3f");
  EXPECT_EQ(gdb_putstr(&conn, "OK"), 0);
  EXPECT_EQ(gdb_getpkt(&conn), GDB_RX_PACKET);
  EXPECT_PKT("?");
  EXPECT_OUT("$OK#9a+");
}

// Without `more`, gdb_poll_input never reads; with it, at most once.
static void poll_input_reads(void) {
  setup("$g#67");
  EXPECT_EQ(gdb_poll_input(&conn, false), GDB_RX_NONE);
  EXPECT_EQ(peer.reads, 0);
  peer.chunk = 2;
  EXPECT_EQ(gdb_poll_input(&conn, true), GDB_RX_NONE);
  EXPECT_EQ(peer.reads, 1);
  EXPECT_EQ(gdb_poll_input(&conn, true), GDB_RX_NONE);
  EXPECT_EQ(gdb_poll_input(&conn, true), GDB_RX_PACKET);
  EXPECT_EQ(peer.reads, 3);
  EXPECT_PKT("g");
}

static const struct ht_case cases[] = {
    HT(checksum_values), HT(put_frames), HT(get_good_packet),
    HT(checksum_digits_any_case), HT(bad_checksum_naked), HT(bad_checksum_digits),
    HT(junk_between_packets), HT(truncated_then_new), HT(eof_inside_packet),
    HT(largest_packet), HT(oversized_packet), HT(oversized_bad_checksum_naked),
    HT(rle_decoded), HT(rle_malformed), HT(rle_too_big), HT(rle_after_escape),
    HT(escape_round_trip), HT(binary_packet), HT(hex_numbers), HT(hex_bytes),
    HT(nak_then_retransmit), HT(too_many_naks), HT(eof_waiting_for_ack), HT(no_ack_mode),
    HT(interrupt_byte), HT(interrupt_while_waiting), HT(packet_while_waiting),
    HT(poll_input_reads),
};

int main(int argc, char **argv) { return HT_MAIN(cases, argc, argv, NULL); }
