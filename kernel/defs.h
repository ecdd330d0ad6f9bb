// Declarations shared across the kernel, grouped by the file that defines them.
#pragma once
#include <stdarg.h>
#include "types.h"
#include "errno.h"
#include "lib.h"
#include "x86.h"

struct trapframe;
struct proc;
struct vm;
struct file;
struct stat;

// console.c
void serial_init(void);
void serial_putc(char c);
int serial_getc(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool kernel_quiet;

// panic.c
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_trap(const struct trapframe *tf, uint64_t vec) __attribute__((noreturn));
void dump_regs(const struct trapframe *tf);
void backtrace(uint64_t rbp);
void debugcon_write(const char *s);
void qemu_exit(int code) __attribute__((noreturn));
#define assert(x) ((x) ? (void)0 : panic("assertion failed: %s (%s:%d)", #x, __FILE__, __LINE__))

// kalloc.c: physical pages (returned as kernel-virtual addresses) and the kernel heap
void kalloc_init(const uint64_t (*avail)[2], int navail, const uint64_t (*reserved)[2],
                 int nreserved);
void *page_alloc(size_t npages);          // zeroed; NULL when out of memory
void page_free(void *va, size_t npages);
void page_share(void *va);
void page_release(void *va);
void *page_alloc_raw(size_t npages);      // contents as they were: for callers that fill it whole
bool page_shared(const void *va);
uint64_t pages_free(void);
uint64_t pages_total(void);
void *kmalloc(size_t n);                  // zeroed; NULL when out of memory
void kfree(void *p);
char *kstrdup(const char *s);

// cpu.c: descriptor tables, MSRs, interrupt controller, timer
void cpu_init(void);
void cpu_set_kstack(uint64_t tf_top);
void pic_eoi(int irq);
void timer_tick(void);
extern volatile uint64_t ticks;           // timer ticks since boot (IRQ)
#define HZ 100
uint64_t time_ns(void);                   // monotonic nanoseconds since boot
uint64_t tsc_mhz(void);
extern uint64_t boot_epoch;               // CMOS real-time clock at boot, in seconds
bool cpu_has_nx(void);

// trap.c
void trap_init(void);
void trap(uint64_t vec, struct trapframe *tf);
void usertrapret(void);

// vm.c
struct vm *vm_create(void);
void vm_free(struct vm *vm);
struct vm *vm_clone(struct vm *src);
void vm_activate(const struct vm *vm);
int vm_map_area(struct vm *vm, uint64_t start, uint64_t len, int prot, int kind,
                const uint8_t *file_data, uint64_t file_start, uint64_t file_end);
int vm_unmap(struct vm *vm, uint64_t start, uint64_t len);
int vm_protect(struct vm *vm, uint64_t start, uint64_t len, int prot);
int vm_fault(struct vm *vm, uint64_t va, bool write);
int vm_fault_force(struct vm *vm, uint64_t va);
uint64_t vm_find_free(struct vm *vm, uint64_t len);
bool vm_range_free(const struct vm *vm, uint64_t start, uint64_t len);
int copyin(void *dst, uint64_t usrc, size_t n);
int copyout(uint64_t udst, const void *src, size_t n);
long copyinstr(char *dst, uint64_t usrc, size_t max);
size_t vm_copy(struct vm *vm, uint64_t uaddr, void *buf, size_t n, bool write, bool force);
// Does [addr, addr+len) lie in the user half? (Inline: every transfer asks.)
static inline bool user_range_ok(uint64_t addr, uint64_t len) {
  return addr < USER_TOP && len <= USER_TOP - addr;
}
uint64_t vm_resident_pages(const struct vm *vm);
int vm_prot_at(const struct vm *vm, uint64_t va);
extern uint64_t *kernel_pml4;

// proc.c
uint64_t proc_new_gen(void);
struct proc *proc_alloc(void);
void proc_free(struct proc *p);
struct proc *proc_find(int pid);
int proc_slot(const struct proc *p);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
int sleep_on(void *chan);                 // 0, or -EINTR if the process is being killed
int sleep_until(void *chan, uint64_t tick);
void wakeup(void *chan);
int sleep_nosig(void *chan);
void proc_wake(struct proc *p, int reason);
void wake_timers(void);
void proc_exit(int status) __attribute__((noreturn));
void proc_kill(struct proc *p);
void vfork_release(struct proc *p);
long proc_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid);
long proc_wait(int pid, int options, int *status);
int user_proc_count(uint32_t ruid);
void user_init(const char *cmdline);
extern struct proc *initproc;
extern uint64_t idle_ticks;
int last_pid(void);

// swtch in entry.S
void swtch(uint64_t *old_rsp, uint64_t new_rsp);
void forkret(void);
void trapret(void);

// syscall.c
long syscall_dispatch(struct trapframe *tf);
const char *syscall_name(uint64_t nr);

// exec.c
int execve_path(const char *path, char *const *argv, char *const *envp);
int execve_depth(const char *path, char *const *argv, char *const *envp, int depth);
void random_bytes(void *buf, size_t n);

// signal.c
void signal_fatal(int sig);

// file.c: descriptors
struct file *file_get(int fd);
int fd_install(struct file *f, int min, bool cloexec);
void file_put(struct file *f);
struct file *file_dup(struct file *f);
void fd_close_all(struct proc *p);
void fd_close_on_exec(struct proc *p);
int fd_close(int fd);
void fd_clone(struct proc *dst, struct proc *src);

// scheme.c
int vfs_open(const char *path, int flags, int mode, struct file **out);

// ramfs.c
void ramfs_init(const void *cpio, size_t size);

// tty.c
void tty_intr(void);
void com2_init(void);
void com2_intr(void);
int tty_foreground(void);

// main.c
extern char kernel_cmdline[];

// regs.c: checks on register values that come from outside the CPU
int regs_check(const struct trapframe *new, const struct trapframe *old);
void fpu_init(void);
int fpu_check(const uint8_t *fx);
void fpu_flush(struct proc *p);
void fpu_dirty(struct proc *p);
int debugregs_check(const uint64_t v[6]);
void debugregs_load(struct proc *p);
