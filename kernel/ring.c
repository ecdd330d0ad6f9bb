// Byte rings (ring.h).
#include "types.h"
#include "errno.h"
#include "lib.h"
#include "ring.h"
#include "vm.h"

size_t ring_put(struct ring *r, const void *src, size_t n) {
  n = MIN(n, ring_room(r));
  for (size_t done = 0; done < n;) {
    uint64_t at = r->head & (r->size - 1), piece = MIN(n - done, r->size - at);
    memcpy(r->buf + at, (const uint8_t *)src + done, piece);
    r->head += piece, done += piece;
  }
  return n;
}

// At most two pieces (the ring wraps once); a piece that cannot be copied ends the take
// with the bytes before it taken and the rest left in the ring.
long ring_take(struct ring *r, uint64_t dst, size_t n, bool user) {
  size_t done = 0;
  n = MIN(n, ring_used(r));
  while (done < n) {
    uint64_t at = r->tail & (r->size - 1), piece = MIN(n - done, r->size - at);
    if (!user)
      memcpy((uint8_t *)dst + done, r->buf + at, piece);
    else if (copyout(dst + done, r->buf + at, piece) < 0)
      return done ? (long)done : -EFAULT;
    r->tail += piece, done += piece;
  }
  return done;
}

size_t ring_span(const struct ring *r, uint8_t c, size_t max) {
  max = MIN(max, ring_used(r));
  for (size_t i = 0; i < max; i++)
    if (r->buf[(r->tail + i) & (r->size - 1)] == c)
      return i + 1;
  return max;
}
