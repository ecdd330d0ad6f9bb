// One hexadecimal digit's value: for the kernel (cpio headers) and user programs (the
// GDB remote protocol), which include it from here.
#pragma once

static inline int hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1; // not a hex digit
}
