// regs [-f] PID: print another process's registers, read from proc:PID/regs/int (and
// regs/float with -f). The seed of Vitrine: a process blocked in read() shows read's
// number in orig_rax, and regs names the call. PID may be any thread's id; for a process
// with more than one thread, the last line says which thread and how many there are.
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include "proc.h"

static const char *syscall_names[512] = {
#define SYSCALL(nr, name) [nr] = #name,
#include <vitrine/syscalls.def>
#undef SYSCALL
};

static int read_file(long pid, const char *file, void *buf, size_t n) {
  char path[64];
  proc_path(path, sizeof path, pid, file);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "regs: %s: %s\n", path, strerror(errno));
    return -1;
  }
  ssize_t got = read(fd, buf, n);
  close(fd);
  if (got != (ssize_t)n) {
    fprintf(stderr, "regs: %s: short read (%zd)\n", path, got);
    return -1;
  }
  return 0;
}

// The rflags bits, as gdb shows them.
static void print_flags(uint64_t f) {
  static const struct { int bit; const char *name; } bits[] = {
      {0, "CF"}, {2, "PF"}, {4, "AF"}, {6, "ZF"}, {7, "SF"}, {8, "TF"}, {9, "IF"},
      {10, "DF"}, {11, "OF"}, {14, "NT"}, {16, "RF"}, {17, "VM"}, {18, "AC"}, {21, "ID"}};
  printf("rflags   0x%016lx [", (unsigned long)f);
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
    if (f >> bits[i].bit & 1)
      printf(" %s", bits[i].name);
  printf(" ] IOPL=%lu\n", (unsigned long)(f >> 12 & 3));
}

static void row(const char *name, unsigned long v) {
  printf("%-8s 0x%016lx %20ld\n", name, v, (long)v);
}

// When the process is in a system call, name it with its arguments.
static void print_syscall(long pid, const struct user_regs_struct *r) {
  char state = '?', buf[512];
  int fd;
  if ((fd = proc_open(pid, "stat", O_RDONLY)) >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    char *p = n > 0 ? strrchr((buf[n] = 0, buf), ')') : NULL;
    if (p && p[1] == ' ')
      state = p[2];
  }
  if ((long)r->orig_rax < 0)
    return;
  unsigned long nr = r->orig_rax;
  const char *name = nr < 512 && syscall_names[nr] ? syscall_names[nr] : "unknown";
  printf("\n%s system call %lu: %s(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx)\n",
         state == 'S' || state == 't' ? "blocked in" : "last", nr, name, r->rdi, r->rsi,
         r->rdx, r->r10, r->r8, r->r9);
}

// The value of "key:" in proc:PID/status, or -1.
static long status_num(long pid, const char *key) {
  char buf[2048], pat[32];
  ssize_t n = 0;
  proc_path(buf, sizeof buf, pid, "status");
  int fd = open(buf, O_RDONLY);
  if (fd >= 0) {
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
  }
  buf[n > 0 ? n : 0] = 0;
  snprintf(pat, sizeof pat, "\n%s:", key);
  char *p = strstr(buf, pat);
  return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

// "thread TID of process PID (N threads: proc:PID/task/)" when there is more than one.
static void print_threads(long pid) {
  long tgid = status_num(pid, "Tgid"), n = status_num(pid, "Threads");
  if (n > 1 || (tgid > 0 && tgid != pid))
    printf("thread %ld of process %ld (%ld threads: proc:%ld/task/)\n", pid, tgid, n, tgid);
}

static int print_int(long pid) {
  struct user_regs_struct r;
  if (read_file(pid, "regs/int", &r, sizeof r) < 0)
    return 1;
  const struct { const char *name; unsigned long v; } gp[] = {
      {"rax", r.rax}, {"rbx", r.rbx}, {"rcx", r.rcx}, {"rdx", r.rdx}, {"rsi", r.rsi},
      {"rdi", r.rdi}, {"rbp", r.rbp}, {"rsp", r.rsp}, {"r8", r.r8}, {"r9", r.r9},
      {"r10", r.r10}, {"r11", r.r11}, {"r12", r.r12}, {"r13", r.r13}, {"r14", r.r14},
      {"r15", r.r15}, {"rip", r.rip}, {"orig_rax", r.orig_rax}, {"fs_base", r.fs_base},
      {"gs_base", r.gs_base}};
  for (size_t i = 0; i < sizeof gp / sizeof gp[0]; i++)
    row(gp[i].name, gp[i].v);
  print_flags(r.eflags);
  printf("cs 0x%lx ss 0x%lx ds 0x%lx es 0x%lx fs 0x%lx gs 0x%lx\n", r.cs, r.ss, r.ds,
         r.es, r.fs, r.gs);
  print_syscall(pid, &r);
  print_threads(pid);
  return 0;
}

static int print_float(long pid) {
  struct user_fpregs_struct f;
  if (read_file(pid, "regs/float", &f, sizeof f) < 0)
    return 1;
  printf("fcw 0x%04x fsw 0x%04x ftw 0x%04x fop 0x%04x rip 0x%lx rdp 0x%lx\n", f.cwd, f.swd,
         f.ftw, f.fop, (unsigned long)f.rip, (unsigned long)f.rdp);
  printf("mxcsr 0x%08x mxcsr_mask 0x%08x\n", f.mxcsr, f.mxcr_mask);
  for (int i = 0; i < 8; i++) { // 80-bit x87 registers, 16 bytes apart
    const unsigned char *st = (const unsigned char *)f.st_space + 16 * i;
    printf("st%d  %02x%02x ", i, st[9], st[8]);
    for (int b = 7; b >= 0; b--)
      printf("%02x", st[b]);
    printf("\n");
  }
  for (int i = 0; i < 16; i++) {
    const unsigned *x = f.xmm_space + 4 * i;
    printf("xmm%-2d 0x%08x%08x%08x%08x\n", i, x[3], x[2], x[1], x[0]);
  }
  return 0;
}

int main(int argc, char **argv) {
  int fp = argc > 1 && strcmp(argv[1], "-f") == 0;
  if (argc != 2 + fp) {
    fprintf(stderr, "usage: regs [-f] PID\n");
    return 2;
  }
  const char *arg = argv[1 + fp];
  bool self = strcmp(arg, "self") == 0;
  if (!self && (!*arg || strlen(arg) > 10 || strspn(arg, "0123456789") != strlen(arg))) {
    fprintf(stderr, "regs: not a process id: %s\n", arg);
    return 2;
  }
  long pid = self ? getpid() : strtol(arg, NULL, 10);
  return fp ? print_float(pid) : print_int(pid);
}
