// Pipes (pipe.c).
#pragma once
#include "types.h"

struct file;
struct pipe;
struct stat;
// pipe(2); packet: pipe2's O_DIRECT. 0, or -ENOMEM.
int pipe_create(struct file **rd, struct file **wr, bool packet);
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, uint64_t n);
int pipe_fifo_open(struct pipe **slot, struct file *f, int flags, const struct stat *st);
void pipe_fifo_detach(struct pipe *p);
