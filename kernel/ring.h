// A byte ring between a producer and a consumer: pipes, com2 and the console's input.
// Bytes leave it only once they have reached the reader: ring_take() consumes exactly
// what it copied, so a read into a bad buffer loses nothing.
#pragma once
#include "types.h"

struct ring {
  uint8_t *buf;
  uint64_t size;       // a power of two
  uint64_t head, tail; // bytes put and taken so far: [tail, head) are buffered
};

static inline uint64_t ring_used(const struct ring *r) { return r->head - r->tail; }
static inline uint64_t ring_room(const struct ring *r) { return r->size - ring_used(r); }

// Append up to n bytes from src (as many as fit); returns how many.
size_t ring_put(struct ring *r, const void *src, size_t n);

// Move up to n bytes to dst, a user address if user, else a kernel pointer. Returns
// how many, or -EFAULT if none could be copied (then none were taken).
long ring_take(struct ring *r, uint64_t dst, size_t n, bool user);

// How many bytes up to and including the first c among the next max (max if none).
size_t ring_span(const struct ring *r, uint8_t c, size_t max);
