// The few C library functions the kernel has (kernel/lib.c). Host unit tests link the
// host's libc instead, so the prototypes match the standard ones.
#pragma once
#include "types.h"
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void strncpy_k(char *dst, const char *src, size_t n);
