// Basic types for the freestanding kernel (gcc's freestanding headers) and for host tests.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
typedef int64_t ssize_t_k;
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
