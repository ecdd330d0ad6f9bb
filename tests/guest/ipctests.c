// ipctests: System V IPC (svipc(7), shmget(2), shmop(2), shmctl(2), semget(2),
// semop(2), semctl(2), msgget(2), msgop(2), msgctl(2)).
//
// Each test runs in its own child (user/lib/utest.h) and removes what it made. Keys
// are made from the test's pid, so runs never collide. The expectations are Linux's:
// the binary passes natively on a Linux host. Permission tests run when the suite is
// root (they become user 1000 in a child).
//
//   ipctests            run every test
//   ipctests NAME...    run the named tests
//   ipctests -l         list them
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define PAGE 4096
#define USER_ID 1000

static key_t key_of(int n) { return 0x56000000 | (getpid() << 4) | n; }

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

// Wait (up to 5 s) until f(id) returns want.
static int wait_value(int (*f)(int, int), int id, int num, int want) {
  for (int i = 0; i < 500; i++) {
    if (f(id, num) == want)
      return 1;
    sleep_ms(10);
  }
  return 0;
}

static int ncnt(int id, int num) { return semctl(id, num, GETNCNT); }
static int zcnt(int id, int num) { return semctl(id, num, GETZCNT); }

static int nattch(int id) {
  struct shmid_ds ds;
  return shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (int)ds.shm_nattch;
}

// ---- shared memory ----
static void t_shm_basic(void) {
  int id = OK(shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600));
  struct shmid_ds ds;
  OK(shmctl(id, IPC_STAT, &ds));
  CHECK(ds.shm_segsz == 10000 && ds.shm_nattch == 0 && ds.shm_cpid == getpid());
  CHECK((ds.shm_perm.mode & 0777) == 0600 && ds.shm_perm.uid == geteuid());
  char *p = (char *)OK((long)shmat(id, NULL, 0));
  CHECK(p != (char *)-1 && ((unsigned long)p & (PAGE - 1)) == 0);
  CHECK(p[0] == 0 && p[9999] == 0); // zeroed
  CHECK(nattch(id) == 1);
  strcpy(p, "parent");
  // A second attachment sees the same memory.
  char *q = (char *)OK((long)shmat(id, NULL, 0));
  CHECK(q != p && strcmp(q, "parent") == 0);
  CHECK(nattch(id) == 2);
  OK(shmdt(q));
  // fork inherits the attachment: the child's writes are the parent's.
  long pid = xfork();
  if (pid == 0) {
    if (strcmp(p, "parent") != 0)
      _exit(1);
    strcpy(p + 100, "child");
    _exit(nattch(id) == 2 ? 0 : 2);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(strcmp(p + 100, "child") == 0);
  CHECK(nattch(id) == 1); // the child's exit detached it
  OK(shmdt(p));
  CHECK(nattch(id) == 0);
  EXPECT_ERR(shmdt(p), EINVAL);
  OK(shmctl(id, IPC_RMID, NULL));
  EXPECT_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
}

static void t_shm_keys(void) {
  key_t k = key_of(1);
  EXPECT_ERR(shmget(k, 4096, 0600), ENOENT);
  int id = OK(shmget(k, 8192, IPC_CREAT | 0600));
  EXPECT_EQ(shmget(k, 4096, 0600), id);
  EXPECT_EQ(shmget(k, 0, 0), id);
  EXPECT_ERR(shmget(k, 8192, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  EXPECT_ERR(shmget(k, 3 * 4096, 0600), EINVAL); // bigger than the segment
  EXPECT_ERR(shmget(key_of(2), 0, IPC_CREAT | 0600), EINVAL);
  // SHM_STAT takes a table index (as ipcs walks them) and gives the id there.
  struct shmid_ds ds;
  int found = 0;
  for (int i = 0; i < 4096 && !found; i++)
    found = shmctl(i, SHM_STAT, &ds) == id && ds.shm_segsz == 8192;
  CHECK(found);
  OK(shmctl(id, IPC_RMID, NULL));
  EXPECT_ERR(shmget(k, 4096, 0600), ENOENT);
}

// IPC_RMID of an attached segment: it stays (marked SHM_DEST, keyless) until the last
// detach.
static void t_shm_rmid(void) {
  key_t k = key_of(3);
  int id = OK(shmget(k, 4096, IPC_CREAT | 0600));
  int *p = (int *)OK((long)shmat(id, NULL, 0));
  *p = 42;
  OK(shmctl(id, IPC_RMID, NULL));
  CHECK(*p == 42);
  struct shmid_ds ds;
  OK(shmctl(id, IPC_STAT, &ds));
  CHECK(ds.shm_perm.mode & SHM_DEST);
  CHECK(ds.shm_perm.__key == IPC_PRIVATE);
  EXPECT_ERR(shmget(k, 4096, 0600), ENOENT); // the key is free again
  int id2 = OK(shmget(k, 4096, IPC_CREAT | 0600));
  CHECK(id2 != id);
  OK(shmctl(id2, IPC_RMID, NULL));
  OK(shmdt(p));
  EXPECT_ERR(shmctl(id, IPC_STAT, &ds), EINVAL); // gone with its last detach
}

static void write_rdonly(void) {
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  volatile char *p = shmat(id, NULL, SHM_RDONLY);
  shmctl(id, IPC_RMID, NULL);
  if (p == (void *)-1)
    _exit(3);
  (void)p[0];
  p[0] = 1; // SIGSEGV
  _exit(0);
}

static void t_shm_attach(void) {
  int id = OK(shmget(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600));
  EXPECT_ERR((long)shmat(id + 1000000, NULL, 0), EINVAL);
  EXPECT_ERR((long)shmat(-1, NULL, 0), EINVAL);
  // A free place, found by attaching once.
  char *p = shmat(id, NULL, 0);
  CHECK(p != (void *)-1);
  OK(shmdt(p));
  EXPECT_ERR((long)shmat(id, p + 1, 0), EINVAL);         // unaligned
  char *r = shmat(id, p + 1, SHM_RND);                  // rounded down
  CHECK(r == p);
  EXPECT_ERR((long)shmat(id, p, 0), EINVAL);             // taken
  EXPECT_ERR(shmdt(p + PAGE), EINVAL);                   // not where one starts
  OK(shmdt(r));
  EXPECT_KILLED(child_status(write_rdonly), SIGSEGV);
  // exec detaches.
  long pid = xfork();
  if (pid == 0) {
    if (shmat(id, NULL, 0) == (void *)-1)
      _exit(1);
    char *argv[] = {"ipctests", "--exit-0", NULL};
    execv(g_self, argv);
    _exit(2);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  CHECK(nattch(id) == 0);
  OK(shmctl(id, IPC_RMID, NULL));
}

// ---- semaphores ----
static void t_sem_basic(void) {
  int id = OK(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
  struct semid_ds ds;
  OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
  CHECK(ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0600);
  EXPECT_EQ(semctl(id, 1, GETVAL), 0);
  OK(semctl(id, 1, SETVAL, (union semun){.val = 5}));
  EXPECT_EQ(semctl(id, 1, GETVAL), 5);
  EXPECT_EQ(semctl(id, 1, GETPID), getpid());
  unsigned short all[3] = {1, 2, 3}, got[3];
  OK(semctl(id, 0, SETALL, (union semun){.array = all}));
  OK(semctl(id, 0, GETALL, (union semun){.array = got}));
  CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
  struct sembuf ops[2] = {{0, -1, 0}, {2, 2, 0}};
  OK(semop(id, ops, 2));
  EXPECT_EQ(semctl(id, 0, GETVAL), 0);
  EXPECT_EQ(semctl(id, 2, GETVAL), 5);
  // All or nothing: the second would block, so the first does not happen either.
  struct sembuf two[2] = {{2, -1, 0}, {0, -1, IPC_NOWAIT}};
  EXPECT_ERR(semop(id, two, 2), EAGAIN);
  EXPECT_EQ(semctl(id, 2, GETVAL), 5);
  struct sembuf z = {0, 0, 0}; // wait for zero: it is zero
  OK(semop(id, &z, 1));
  EXPECT_ERR(semctl(id, 0, SETVAL, (union semun){.val = 40000}), ERANGE);
  EXPECT_ERR(semctl(id, 3, GETVAL), EINVAL);
  struct sembuf bad = {3, 1, 0};
  EXPECT_ERR(semop(id, &bad, 1), EFBIG);
  EXPECT_ERR(semop(id, ops, 0), EINVAL);
  static struct sembuf many[501];
  EXPECT_ERR(semop(id, many, 501), E2BIG);
  struct sembuf over = {2, 32767, 0};
  EXPECT_ERR(semop(id, &over, 1), ERANGE);
  struct timespec ts = {0, 20 * 1000000};
  struct sembuf dec = {0, -1, 0};
  EXPECT_ERR(semtimedop(id, &dec, 1, &ts), EAGAIN);
  OK(semctl(id, 0, IPC_RMID));
  EXPECT_ERR(semctl(id, 0, GETVAL), EINVAL);
  EXPECT_ERR(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
  key_t k = key_of(4);
  int kid = OK(semget(k, 2, IPC_CREAT | 0600));
  EXPECT_ERR(semget(k, 3, 0600), EINVAL);
  EXPECT_EQ(semget(k, 1, 0600), kid);
  OK(semctl(kid, 0, IPC_RMID));
}

// A child that does semop {0, op} on set id and exits 0 if it ends with errno err
// (0: succeeds).
static long semop_child(int id, short op, int err) {
  long pid = xfork();
  if (pid == 0) {
    struct sembuf sb = {0, op, 0};
    int r = semop(id, &sb, 1);
    _exit((err ? r == -1 && errno == err : r == 0) ? 0 : 1);
  }
  return pid;
}

// A blocked decrement is counted in GETNCNT and woken by an increment; a wait for
// zero in GETZCNT.
static void t_sem_block(void) {
  int id = OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  long pid = semop_child(id, -2, 0);
  CHECK(wait_value(ncnt, id, 0, 1));
  struct sembuf inc = {0, 1, 0};
  OK(semop(id, &inc, 1));
  sleep_ms(20);
  EXPECT_EQ(semctl(id, 0, GETNCNT), 1); // one is not enough
  OK(semop(id, &inc, 1));
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(semctl(id, 0, GETVAL), 0);
  EXPECT_EQ(semctl(id, 0, GETPID), pid);
  OK(semctl(id, 0, SETVAL, (union semun){.val = 1}));
  pid = semop_child(id, 0, 0);
  CHECK(wait_value(zcnt, id, 0, 1));
  OK(semctl(id, 0, SETVAL, (union semun){.val = 0}));
  EXPECT_EXIT(wait_for(pid), 0);
  OK(semctl(id, 0, IPC_RMID));
}

static void t_sem_rmid(void) {
  int id = OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  long pid = semop_child(id, -1, EIDRM);
  CHECK(wait_value(ncnt, id, 0, 1));
  OK(semctl(id, 0, IPC_RMID));
  EXPECT_EXIT(wait_for(pid), 0);
}

// SEM_UNDO: what a process did is undone when it exits.
static void t_sem_undo(void) {
  int id = OK(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
  OK(semctl(id, 1, SETVAL, (union semun){.val = 3}));
  long pid = xfork();
  if (pid == 0) {
    struct sembuf ops[2] = {{0, 2, SEM_UNDO}, {1, -1, SEM_UNDO}};
    if (semop(id, ops, 2) < 0 || semctl(id, 0, GETVAL) != 2)
      _exit(1);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(semctl(id, 0, GETVAL), 0);
  EXPECT_EQ(semctl(id, 1, GETVAL), 3);
  OK(semctl(id, 0, IPC_RMID));
}

// A signal ends a blocked semop with EINTR, even with SA_RESTART.
static void on_alarm(int sig) { (void)sig; }
static void t_sem_eintr(void) {
  int id = OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  OK(sigaction(SIGUSR1, &sa, NULL));
  long me = getpid();
  long pid = xfork();
  if (pid == 0) {
    sleep_ms(50);
    kill(me, SIGUSR1);
    _exit(0);
  }
  struct sembuf dec = {0, -1, 0};
  EXPECT_ERR(semop(id, &dec, 1), EINTR);
  EXPECT_EQ(semctl(id, 0, GETNCNT), 0);
  EXPECT_EXIT(wait_for(pid), 0);
  OK(semctl(id, 0, IPC_RMID));
}

// ---- message queues ----
struct m {
  long type;
  char text[64];
};

static void snd(int id, long type, const char *s) {
  struct m m = {.type = type};
  strcpy(m.text, s);
  OK(msgsnd(id, &m, strlen(s) + 1, 0));
}

static void t_msg_basic(void) {
  int id = OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  snd(id, 1, "one");
  snd(id, 3, "three");
  snd(id, 2, "two");
  struct msqid_ds ds;
  OK(msgctl(id, IPC_STAT, &ds));
  CHECK(ds.msg_qnum == 3 && ds.msg_cbytes == 14 && ds.msg_lspid == getpid());
  struct m m;
  EXPECT_EQ(msgrcv(id, &m, sizeof m.text, 2, 0), 4);
  CHECK(m.type == 2 && strcmp(m.text, "two") == 0);
  EXPECT_EQ(msgrcv(id, &m, sizeof m.text, -5, 0), 4); // the lowest type <= 5
  CHECK(m.type == 1);
  snd(id, 1, "again");
  EXPECT_EQ(msgrcv(id, &m, sizeof m.text, 1, MSG_EXCEPT), 6);
  CHECK(m.type == 3);
  EXPECT_ERR(msgrcv(id, &m, 2, 0, 0), E2BIG); // too long: it stays
  EXPECT_EQ(msgrcv(id, &m, 2, 0, MSG_NOERROR), 2);
  CHECK(m.type == 1 && memcmp(m.text, "ag", 2) == 0);
  EXPECT_ERR(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT), ENOMSG);
  m.type = 0;
  EXPECT_ERR(msgsnd(id, &m, 1, 0), EINVAL);
  m.type = 1;
  EXPECT_ERR(msgsnd(id, &m, -1, 0), EINVAL);
  EXPECT_ERR(msgsnd(id, &m, 9000, 0), EINVAL); // past MSGMAX
  EXPECT_ERR(msgrcv(id, &m, -1, 0, 0), EINVAL);
  // A full queue: IPC_NOWAIT gives EAGAIN.
  OK(msgctl(id, IPC_STAT, &ds));
  ds.msg_qbytes = 10;
  OK(msgctl(id, IPC_SET, &ds));
  OK(msgsnd(id, &m, 8, IPC_NOWAIT));
  EXPECT_ERR(msgsnd(id, &m, 8, IPC_NOWAIT), EAGAIN);
  OK(msgctl(id, IPC_RMID, NULL));
  EXPECT_ERR(msgsnd(id, &m, 1, 0), EINVAL);
  key_t k = key_of(5);
  EXPECT_ERR(msgget(k, 0600), ENOENT);
  int kid = OK(msgget(k, IPC_CREAT | 0600));
  EXPECT_EQ(msgget(k, 0), kid);
  EXPECT_ERR(msgget(k, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  OK(msgctl(kid, IPC_RMID, NULL));
}

static void t_msg_block(void) {
  int id = OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  long pid = xfork();
  if (pid == 0) {
    struct m m;
    _exit(msgrcv(id, &m, sizeof m.text, 7, 0) == 6 && strcmp(m.text, "hello") == 0 ? 0 : 1);
  }
  sleep_ms(30);
  snd(id, 6, "other");
  snd(id, 7, "hello");
  EXPECT_EXIT(wait_for(pid), 0);
  struct msqid_ds ds;
  OK(msgctl(id, IPC_STAT, &ds));
  CHECK(ds.msg_qnum == 1 && ds.msg_lrpid == pid);
  // Removal wakes a waiting receiver with EIDRM.
  pid = xfork();
  if (pid == 0) {
    struct m m;
    _exit(msgrcv(id, &m, sizeof m.text, 99, 0) == -1 && errno == EIDRM ? 0 : 1);
  }
  sleep_ms(30);
  OK(msgctl(id, IPC_RMID, NULL));
  EXPECT_EXIT(wait_for(pid), 0);
}

// ---- permissions ----
static void become_user(void) {
  OK(setgid(USER_ID));
  OK(setuid(USER_ID));
}

static void t_perms(void) {
  key_t kshm = key_of(6), kmsg = key_of(8); // (the pid that makes them is ours)
  int shm = OK(shmget(kshm, 4096, IPC_CREAT | 0640));
  int sem = OK(semget(key_of(7), 1, IPC_CREAT | 0600));
  int msg = OK(msgget(kmsg, IPC_CREAT | 0604));
  long pid = xfork();
  if (pid == 0) {
    become_user();
    EXPECT_ERR(shmget(kshm, 4096, 0600), EACCES);
    EXPECT_ERR((long)shmat(shm, NULL, 0), EACCES);
    EXPECT_ERR(shmctl(shm, IPC_RMID, NULL), EPERM);
    EXPECT_ERR(semctl(sem, 0, GETVAL), EACCES);
    struct sembuf inc = {0, 1, 0};
    EXPECT_ERR(semop(sem, &inc, 1), EACCES);
    EXPECT_ERR(semctl(sem, 0, IPC_RMID), EPERM);
    struct m m = {.type = 1};
    EXPECT_ERR(msgsnd(msg, &m, 1, 0), EACCES); // others may only read
    EXPECT_ERR(msgrcv(msg, &m, 1, 0, IPC_NOWAIT), ENOMSG);
    EXPECT_EQ(msgget(kmsg, 0004), msg);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  // The owner may hand a segment to another user, who may then remove it.
  struct shmid_ds ds;
  OK(shmctl(shm, IPC_STAT, &ds));
  ds.shm_perm.uid = USER_ID;
  OK(shmctl(shm, IPC_SET, &ds));
  pid = xfork();
  if (pid == 0) {
    become_user();
    _exit(shmctl(shm, IPC_RMID, NULL) == 0 ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(semctl(sem, 0, IPC_RMID));
  OK(msgctl(msg, IPC_RMID, NULL));
}

// ---- what ipcs asks: IPC_INFO, the *_INFO commands, *_STAT and *_STAT_ANY ----
// The index of id as the *_STAT commands see it: ask every index up to max.
static int find_index(int (*stat)(int idx, void *buf), int max, int id, void *buf) {
  for (int i = 0; i <= max; i++)
    if (stat(i, buf) == id)
      return i;
  return -1;
}

static int shm_stat_any(int i, void *buf) { return shmctl(i, SHM_STAT_ANY, buf); }
static int sem_stat_any(int i, void *buf) { return semctl(i, 0, SEM_STAT_ANY, buf); }
static int msg_stat_any(int i, void *buf) { return msgctl(i, MSG_STAT_ANY, buf); }

static void t_shm_info(void) {
  struct shminfo lim;
  int max0 = OK(shmctl(0, IPC_INFO, (struct shmid_ds *)&lim));
  CHECK(max0 >= 0);
  CHECK(lim.shmmax >= (1ul << 30) && lim.shmmin == 1 && lim.shmmni > 0 && lim.shmall > 0);
  int id = OK(shmget(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600));
  struct shm_info in;
  int max = OK(shmctl(0, SHM_INFO, (struct shmid_ds *)&in));
  CHECK(in.used_ids >= 1 && in.shm_tot >= 3 && in.shm_swp == 0);
  CHECK(OK(shmctl(12345, IPC_INFO, (struct shmid_ds *)&lim)) == max); // (the id is not used)
  EXPECT_ERR(shmctl(-1, IPC_INFO, (struct shmid_ds *)&lim), EINVAL); // (but it must be >= 0)
  EXPECT_ERR(semctl(-1, 0, IPC_INFO, (struct seminfo *)&lim), EINVAL);
  EXPECT_ERR(msgctl(-1, IPC_INFO, (struct msqid_ds *)&lim), EINVAL);
  struct shmid_ds ds;
  int idx = find_index(shm_stat_any, max, id, &ds);
  CHECK(idx >= 0);
  CHECK(ds.shm_segsz == 3 * PAGE && ds.shm_perm.mode == 0600);
  EXPECT_EQ(shmctl(idx, SHM_STAT, &ds), id);
  EXPECT_ERR(shmctl(0, SHM_INFO, (struct shmid_ds *)8), EFAULT);
  EXPECT_ERR(shmctl(0, IPC_INFO, (struct shmid_ds *)8), EFAULT);
  OK(shmctl(id, IPC_RMID, NULL));
  EXPECT_ERR(shmctl(idx, SHM_STAT_ANY, &ds), EINVAL); // (unless another took the index)
}

static void t_sem_info(void) {
  struct seminfo lim, in;
  int max0 = OK(semctl(0, 0, IPC_INFO, &lim));
  CHECK(max0 >= 0);
  CHECK(lim.semmni > 0 && lim.semmsl > 0 && lim.semopm > 0 && lim.semvmx == 32767);
  CHECK(lim.semusz == 20 && lim.semaem == 32767); // (IPC_INFO: Linux's constants there)
  int id = OK(semget(IPC_PRIVATE, 5, IPC_CREAT | 0600));
  int max = OK(semctl(0, 0, SEM_INFO, &in));
  CHECK(in.semusz >= 1 && in.semaem >= 5); // sets and semaphores in use
  CHECK(in.semmni == lim.semmni && in.semvmx == 32767);
  struct semid_ds ds;
  int idx = find_index(sem_stat_any, max, id, &ds);
  CHECK(idx >= 0);
  CHECK(ds.sem_nsems == 5);
  EXPECT_EQ(semctl(idx, 0, SEM_STAT, &ds), id);
  EXPECT_ERR(semctl(0, 0, SEM_INFO, (void *)8), EFAULT);
  OK(semctl(id, 0, IPC_RMID));
}

static void t_msg_info(void) {
  struct msginfo lim, in;
  int max0 = OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&lim));
  CHECK(max0 >= 0);
  CHECK(lim.msgmax > 0 && lim.msgmnb > 0 && lim.msgmni > 0 && lim.msgssz == 16);
  int id = OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  struct m m = {.type = 1, .text = "abcde"};
  OK(msgsnd(id, &m, 5, 0));
  OK(msgsnd(id, &m, 3, 0));
  int max = OK(msgctl(0, MSG_INFO, (struct msqid_ds *)&in));
  CHECK(in.msgpool >= 1 && in.msgmap >= 2 && in.msgtql >= 8); // queues, messages, bytes
  struct msqid_ds ds;
  int idx = find_index(msg_stat_any, max, id, &ds);
  CHECK(idx >= 0);
  CHECK(ds.msg_qnum == 2 && ds.msg_cbytes == 8);
  EXPECT_EQ(msgctl(idx, MSG_STAT, &ds), id);
  EXPECT_ERR(msgctl(0, MSG_INFO, (struct msqid_ds *)8), EFAULT);
  OK(msgctl(id, IPC_RMID, NULL));
}

// *_STAT needs read permission, *_STAT_ANY does not (Linux 4.17).
static void t_stat_any(void) {
  int shm = OK(shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600));
  int sem = OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  int msg = OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  struct shm_info si;
  struct seminfo mi;
  struct msginfo qi;
  int smax = OK(shmctl(0, SHM_INFO, (struct shmid_ds *)&si));
  int emax = OK(semctl(0, 0, SEM_INFO, &mi));
  int qmax = OK(msgctl(0, MSG_INFO, (struct msqid_ds *)&qi));
  struct shmid_ds sd;
  struct semid_ds ed;
  struct msqid_ds qd;
  int sidx = find_index(shm_stat_any, smax, shm, &sd);
  int eidx = find_index(sem_stat_any, emax, sem, &ed);
  int qidx = find_index(msg_stat_any, qmax, msg, &qd);
  CHECK(sidx >= 0 && eidx >= 0 && qidx >= 0);
  long pid = xfork();
  if (pid == 0) {
    become_user();
    EXPECT_ERR(shmctl(sidx, SHM_STAT, &sd), EACCES);
    EXPECT_EQ(shmctl(sidx, SHM_STAT_ANY, &sd), shm);
    CHECK(sd.shm_perm.uid == 0 && sd.shm_segsz == PAGE);
    EXPECT_ERR(semctl(eidx, 0, SEM_STAT, &ed), EACCES);
    EXPECT_EQ(semctl(eidx, 0, SEM_STAT_ANY, &ed), sem);
    EXPECT_ERR(msgctl(qidx, MSG_STAT, &qd), EACCES);
    EXPECT_EQ(msgctl(qidx, MSG_STAT_ANY, &qd), msg);
    EXPECT_ERR(shmctl(shm, IPC_STAT, &sd), EACCES); // (IPC_STAT still checks)
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(shmctl(shm, IPC_RMID, NULL));
  OK(semctl(sem, 0, IPC_RMID));
  OK(msgctl(msg, IPC_RMID, NULL));
}

static const struct ut_test tests[] = {
    UT(shm_basic), UT(shm_keys),   UT(shm_rmid),  UT(shm_attach), UT(sem_basic),
    UT(sem_block), UT(sem_rmid),   UT(sem_undo),  UT(sem_eintr),  UT(msg_basic),
    UT(msg_block), UT_IF(perms, "root"), UT(shm_info), UT(sem_info), UT(msg_info),
    UT_IF(stat_any, "root"),
};

static const char *unmet(const char *needs) {
  if (strcmp(needs, "root") == 0)
    return getuid() == 0 ? NULL : "not root";
  return ut_unmet_file(needs);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--exit-0") == 0)
    return 0;
  ut_setup(argv[0], "/tests/ipctests");
  static const struct ut_suite suite = {.tests = tests, .ntests = UT_NTESTS(tests), .unmet = unmet};
  return ut_main(&suite, argc, argv);
}
