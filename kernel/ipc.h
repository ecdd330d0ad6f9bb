// System V IPC (ipc.c): shared memory segments, semaphore sets and message queues, as
// Linux's svipc(7). sysipc.c unpacks the calls; user buffers are moved here with
// copyin/copyout, as each call's layout needs. docs/ipc.md says what is implemented.
#pragma once
#include "types.h"

struct proc;

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2

long ipc_shmget(int32_t key, uint64_t size, int flags);
long ipc_shmat(int id, uint64_t addr, int flags);
long ipc_shmdt(uint64_t addr);
long ipc_shmctl(int id, int cmd, uint64_t ubuf);

long ipc_semget(int32_t key, int nsems, int flags);
// semop, semtimedop: deadline in ticks (0: none, -1: do not wait).
long ipc_semop(int id, uint64_t usops, uint64_t nsops, int64_t deadline);
long ipc_semctl(int id, int num, int cmd, uint64_t arg);

long ipc_msgget(int32_t key, int flags);
long ipc_msgsnd(int id, uint64_t umsg, int64_t size, int flags);
long ipc_msgrcv(int id, uint64_t umsg, int64_t size, int64_t type, int flags);
long ipc_msgctl(int id, int cmd, uint64_t ubuf);

// The process is exiting: its SEM_UNDO adjustments are applied.
void ipc_exit(struct proc *p);
