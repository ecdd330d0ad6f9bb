// Running a program (exec.c): ELF files and #! scripts.
#pragma once
#include "types.h"

int execve_path(const char *path, char *const *argv, char *const *envp);
int execve_depth(const char *path, char *const *argv, char *const *envp, int depth);
void random_bytes(void *buf, size_t n);
