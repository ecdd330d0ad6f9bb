// The C library functions the kernel uses (declared in lib.h). gcc may also emit calls
// to memcpy/memset for struct copies, so these must exist under their standard names.
#include "types.h"
#include "lib.h"

// Eight bytes at a time, then the tail: each iteration of a REP string instruction
// costs about what an instruction does, so this matters on every copy to user memory.
void *memcpy(void *dst, const void *src, size_t n) {
  void *d = dst;
  size_t words = n / 8, tail = n % 8;
  __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d <= s || d >= s + n)
    return memcpy(dst, src, n);
  while (n--)
    d[n] = s[n];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  size_t words = n / 8, tail = n % 8;
  uint64_t v = 0x0101010101010101ull * (uint8_t)c;
  __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(v) : "memory");
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return x[i] - y[i];
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b)
      return (unsigned char)*a - (unsigned char)*b;
    if (!*a)
      return 0;
  }
  return 0;
}

char *strchr(const char *s, int c) {
  for (; *s; s++)
    if (*s == (char)c)
      return (char *)s;
  return c ? NULL : (char *)s;
}

// Copy at most n-1 bytes and always terminate (unlike strncpy).
void strncpy_k(char *dst, const char *src, size_t n) {
  size_t l = strnlen(src, n - 1);
  memcpy(dst, src, l);
  dst[l] = 0;
}
