// Pipes (pipe.c).
#pragma once

struct file;
struct pipe;
struct stat;
int pipe_create(struct file **rd, struct file **wr); // 0, or -ENOMEM
int pipe_fifo_open(struct pipe **slot, struct file *f, int flags, const struct stat *st);
void pipe_fifo_detach(struct pipe *p);
