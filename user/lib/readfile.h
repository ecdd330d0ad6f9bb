// Small helpers for reading whole small files (proc: text files, vrun's argv file).
#pragma once
#include <stddef.h>
#include <sys/types.h>

// Read at most size - 1 bytes of path into buf, in one read, and NUL-terminate them.
// Returns the count (at least 1), or -1 if the file cannot be opened or is empty.
ssize_t read_small_file(const char *path, char *buf, size_t size);
