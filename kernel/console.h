// The serial console (COM1) and the kernel's printf (console.c).
#pragma once
#include <stdarg.h>
#include "types.h"

void serial_init(void);
void serial_putc(char c);
int serial_getc(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool kernel_quiet; // "quiet" on the command line: no klog() output
