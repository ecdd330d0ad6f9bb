// Pipes (pipe.c).
#pragma once

struct file;
int pipe_create(struct file **rd, struct file **wr); // 0, or -ENOMEM
