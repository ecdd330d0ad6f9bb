// The root file scheme: a tree of nodes in memory, filled at boot from the initramfs
// (a cpio archive passed as a multiboot module). File contents stay in the archive's
// memory until a file is written, when it gets a private copy. Everything outside
// /tmp and /dev/shm is read-only (EROFS); each of the two behaves like a Linux tmpfs
// mounted there, so nothing is renamed or linked across its edge (EXDEV).
//
// Paths arrive clean and absolute (scheme.c, sysfs.c). ".." was resolved lexically
// there, as in Plan 9; symbolic links are followed here while walking.
//
// Nodes and names are separate, as in Unix: a directory holds entries (name -> node),
// and a file may be named by several entries (hard links, counted in nlink). A
// directory has exactly one entry, so it keeps a pointer to its parent. A node lives
// while an entry names it or an open file holds it (refs): an unlinked file stays
// usable through its descriptors and is freed, with its data, at the last close.
#include "types.h"
#include "console.h"
#include "cpio.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "path.h"
#include "pipe.h"
#include "proc.h"
#include "ramfs.h"
#include "scheme.h"
#include "vm.h"

#define NS 1000000000ull
#define NAME_MAX_K 255
#define LINK_MAX_K 65000
#define MAX_SYMLINKS 40
#define FILE_MAX (1ull << 30)

// The file systems of this scheme, as st_dev numbers (proc: is 3, sysfile.c's statfs).
enum { FS_ARCHIVE = 1, FS_TMP = 2, FS_SHM = 4, FS_COUNT };
// Bytes of file data each file system holds (the archive's: counted at boot), for statfs.
static uint64_t fs_bytes[FS_COUNT];

struct rdirent;
struct rnode {
  uint32_t mode, uid, gid, nlink;
  uint64_t ino;
  uint8_t *data;            // contents (regular file) or target (symlink)
  size_t size, cap;         // cap == 0: data is in the archive, or NULL (not ours to free)
  // The data is whole page frames (page_alloc), because the file is or was mapped: the
  // mappings point at these very frames (each holds a page_share; a private mapping's
  // copy on write), so writes through any shared one, write(2), and what private ones
  // read all see the same bytes. When the data moves (a growth past cap) or shrinks
  // (truncate), the mappings let go of the old frames and of the pages past the new
  // end (vm_zap_node): their next touch finds the file as it is now, as on Linux.
  bool paged;
  // A file of the read-only archive tree: its pages as mappings see them, each filled
  // on first touch and then mapped by every process that maps it (copy on write), so
  // a library's pages are in memory once however many programs use them. NULL until
  // first mapped; the cache holds one reference to each frame (page_alloc's). A frame
  // no mapping holds goes back when memory runs out (cache_trim); nodes with a cache
  // are on the cached list (cache_next).
  uint8_t **cache;
  struct rnode *cache_next;
  uint8_t rw;               // 0: read-only; else the tmpfs it is in (FS_TMP, FS_SHM)
  int refs;                 // open files holding the node
  const char *dev;          // a device node opens this scheme path instead
  uint64_t rdev;            // a device node made by mknod: its number (opens: ENXIO)
  struct pipe *fifo;        // a FIFO: its pipe while open (pipe.c), else NULL
  bool linkable;            // an O_TMPFILE file (without O_EXCL): linkat may name it
  void *sock;               // a socket node: the socket bound to it (unix.c), or NULL
  struct timespec_k atime, mtime, ctime;
  // Directories only:
  struct rnode *parent;     // NULL for the root and once removed
  struct rdirent *ents;     // newest first: in decreasing cookie order
  uint64_t next_cookie;     // the cookie of the next entry added
};

struct rdirent {
  struct rdirent *next;
  struct rnode *node;
  // Where the entry is for readdir: never reused within a directory, so a reader
  // resumes at the right place however entries come and go between its calls.
  uint64_t cookie;
  size_t len;
  char name[];
};

// Cookies start above the readdir offsets of ".", ".." and "the newest entry" (0..2).
#define FIRST_COOKIE 3
static struct rnode root = {.mode = S_IFDIR | 0755, .nlink = 2, .ino = 1,
                            .next_cookie = FIRST_COOKIE};
static uint64_t next_ino = 2;

static struct timespec_k now(void) {
  uint64_t ns = time_ns();
  return (struct timespec_k){.tv_sec = boot_epoch + ns / NS, .tv_nsec = ns % NS};
}

static struct rdirent *lookup(const struct rnode *dir, const char *name, size_t len) {
  for (struct rdirent *e = dir->ents; e; e = e->next)
    if (e->len == len && memcmp(e->name, name, len) == 0)
      return e;
  return NULL;
}

// ---- nodes and entries ----
static struct rnode *node_alloc(uint32_t mode, uint8_t rw) {
  struct rnode *n = kmalloc(sizeof *n);
  if (!n)
    return NULL;
  struct proc *p = myproc();
  struct timespec_k t = now();
  *n = (struct rnode){.mode = mode, .nlink = S_ISDIR(mode) ? 2 : 0, .ino = next_ino++,
                      .rw = rw, .uid = p ? p->euid : 0, .gid = p ? p->egid : 0,
                      .atime = t, .mtime = t, .ctime = t, .next_cookie = FIRST_COOKIE};
  return n;
}

// The archive's page cache: the nodes that have one, and the frames it holds (for
// /proc/meminfo's Cached).
static struct rnode *cached_nodes;
static uint64_t cache_frames;

static void cache_drop(struct rnode *n) {
  for (size_t i = 0; i < ALIGN_UP(n->size, PAGE_SIZE) / PAGE_SIZE; i++)
    if (n->cache[i]) {
      page_release(n->cache[i]);
      cache_frames--;
    }
  for (struct rnode **pp = &cached_nodes; *pp; pp = &(*pp)->cache_next)
    if (*pp == n) {
      *pp = n->cache_next;
      break;
    }
  kfree(n->cache);
  n->cache = NULL;
}

// Give back cached frames no mapping holds (only the cache's reference is left), at
// least want of them if there are so many: page_alloc's reclaim, before it fails. A
// frame given back is read from the archive again at its next touch.
static uint64_t cache_trim(uint64_t want) {
  uint64_t freed = 0;
  for (struct rnode *n = cached_nodes; n && freed < want; n = n->cache_next)
    for (size_t i = 0; i < ALIGN_UP(n->size, PAGE_SIZE) / PAGE_SIZE && freed < want; i++)
      if (n->cache[i] && !page_shared(n->cache[i])) {
        page_release(n->cache[i]);
        n->cache[i] = NULL;
        cache_frames--, freed++;
      }
  return freed;
}

void ramfs_cache_stats(uint64_t *frames, uint64_t *unmapped) {
  *frames = cache_frames, *unmapped = 0;
  for (struct rnode *n = cached_nodes; n; n = n->cache_next)
    for (size_t i = 0; i < ALIGN_UP(n->size, PAGE_SIZE) / PAGE_SIZE; i++)
      *unmapped += n->cache[i] && !page_shared(n->cache[i]);
}

// Let go of n's data, if it is ours, and of its page cache.
static void data_free(struct rnode *n) {
  if (n->cache)
    cache_drop(n);
  if (n->cap)
    fs_bytes[n->rw] -= n->cap;
  if (n->cap && n->paged && n->refs)
    vm_zap_node(n, FILE_MAX, n->data, n->data + n->cap); // (mappings hold refs)
  if (n->cap && n->paged)
    for (size_t off = 0; off < n->cap; off += PAGE_SIZE)
      page_release(n->data + off);
  else if (n->cap)
    kfree(n->data);
}

// Free n once no entry names it and no open file holds it.
static void node_put(struct rnode *n) {
  if (n->nlink > 0 || n->refs > 0 || n == &root)
    return;
  if (n->fifo)
    pipe_fifo_detach(n->fifo);
  data_free(n);
  kfree(n);
}

static struct rdirent *ent_new(const char *name, size_t len, struct rnode *n) {
  struct rdirent *e = kmalloc(sizeof *e + len + 1);
  if (!e)
    return NULL;
  memcpy(e->name, name, len);
  e->name[len] = 0;
  e->len = len;
  e->node = n;
  return e;
}

static void dir_changed(struct rnode *dir) { dir->mtime = dir->ctime = now(); }

// New entries go first, with the highest cookie yet: a reader walking the list from
// newer to older never meets the entries made after it started, so a program that
// adds entries as it lists them (cp into the same directory) still comes to an end.
static void ent_push(struct rnode *dir, struct rdirent *e) {
  e->next = dir->ents;
  e->cookie = dir->next_cookie++;
  dir->ents = e;
  dir_changed(dir);
}

static void ent_free(struct rnode *dir, struct rdirent *e) {
  for (struct rdirent **pp = &dir->ents; *pp; pp = &(*pp)->next)
    if (*pp == e) {
      *pp = e->next;
      break;
    }
  kfree(e);
  dir_changed(dir);
}

// Count (link_in) or uncount (link_out) an entry of dir that names n: a directory's
// ".." is a link to dir; any other node counts its names.
static void link_in(struct rnode *dir, struct rnode *n) {
  if (S_ISDIR(n->mode))
    n->parent = dir, dir->nlink++;
  else
    n->nlink++;
  n->ctime = now();
}

static void link_out(struct rnode *dir, struct rnode *n) {
  if (S_ISDIR(n->mode))
    n->parent = NULL, dir->nlink--;
  else
    n->nlink--;
  n->ctime = now();
}

static const struct rdirent *name_of(const struct rnode *d);
static bool named(const char *name, size_t len, const char *want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

// The tmpfs a new node called name in dir starts, if any: /tmp and /dev/shm (made at
// boot; nobody else may create in / or /dev).
static uint8_t mount_at(const struct rnode *dir, const char *name, size_t len) {
  const struct rdirent *d = dir->parent == &root ? name_of(dir) : NULL;
  if (dir == &root && named(name, len, "tmp"))
    return FS_TMP;
  if (d && named(d->name, d->len, "dev") && named(name, len, "shm"))
    return FS_SHM;
  return 0;
}

// A new node in dir called name; no checks (boot, and callers that made them).
static struct rnode *add_child(struct rnode *dir, const char *name, size_t len, uint32_t mode) {
  struct rnode *n = node_alloc(mode, dir->rw ? dir->rw : mount_at(dir, name, len));
  struct rdirent *e = n ? ent_new(name, len, n) : NULL;
  if (!e) {
    kfree(n);
    return NULL;
  }
  link_in(dir, n);
  ent_push(dir, e);
  return n;
}

// ---- permissions ----
// May the current process access n with mask (4 read, 2 write, 1 execute/search)?
static bool perm_ok(const struct rnode *n, int mask) {
  struct proc *p = myproc();
  uint32_t m = n->mode;
  if (!p || p->euid == 0) // root may do anything but execute a file no one may
    return !(mask & 1) || S_ISDIR(m) || (m & 0111);
  int bits = p->euid == n->uid ? (m >> 6) & 7 : p->egid == n->gid ? (m >> 3) & 7 : m & 7;
  return (bits & mask) == mask;
}

static bool owner_or_root(const struct rnode *n) {
  struct proc *p = myproc();
  return !p || p->euid == 0 || p->euid == n->uid;
}

// In a sticky directory (/tmp is 01777) only root and the owners of the entry's node
// or of the directory may remove or rename the entry.
static bool sticky_ok(const struct rnode *dir, const struct rnode *n) {
  struct proc *p = myproc();
  return !(dir->mode & S_ISVTX) || !p || p->euid == 0 || p->euid == n->uid ||
         p->euid == dir->uid;
}

// A file changed by someone without privilege loses its set-id bits, so it cannot
// become a set-uid program with contents its owner did not write.
static void kill_suid(struct rnode *n) {
  struct proc *p = myproc();
  if (!S_ISREG(n->mode) || !p || p->euid == 0)
    return;
  n->mode &= ~S_ISUID;
  if (n->mode & S_IXGRP)
    n->mode &= ~S_ISGID;
}

// ---- paths ----
// Absolute path of a directory node, into out (outsz bytes). Returns length or error;
// -ENOENT for a directory that was removed (or is inside one). A loop, not recursion:
// a tree can be as deep as a 4096-byte path allows (2000 levels), far deeper than the
// kernel stack could follow call by call.
static const struct rdirent *name_of(const struct rnode *d) {
  const struct rdirent *e = d->parent ? d->parent->ents : NULL;
  while (e && e->node != d)
    e = e->next;
  return e;
}

static int node_path(const struct rnode *n, char *out, size_t outsz) {
  for (const struct rnode *d = n; d != &root; d = d->parent) // removed on the way up?
    if (!name_of(d))
      return -ENOENT;
  if (outsz < 2)
    return -ENAMETOOLONG;
  size_t pos = outsz - 1; // built backwards from the end of out, then moved to the front
  out[pos] = 0;
  for (const struct rnode *d = n; d != &root; d = d->parent) {
    const struct rdirent *e = name_of(d);
    if (e->len + 1 > pos)
      return -ENAMETOOLONG;
    pos -= e->len;
    memcpy(out + pos, e->name, e->len);
    out[--pos] = '/';
  }
  if (n == &root)
    out[--pos] = '/';
  size_t len = outsz - 1 - pos;
  memmove(out, out + pos, len + 1);
  return len;
}

// Replace path (in buf) by: the link's target, taken relative to the directory dir
// that holds the link, followed by rest. Cleaned.
static int splice_link(char *buf, const struct rnode *dir, const struct rnode *link,
                       const char *rest) {
  char *tmp = kmalloc(PATH_MAX_K), *dirpath = kmalloc(PATH_MAX_K);
  int r = -ENOMEM;
  if (!tmp || !dirpath)
    goto out;
  r = -ENAMETOOLONG;
  size_t tl = link->size, rl = strlen(rest);
  if (tl + rl + 2 > PATH_MAX_K)
    goto out;
  memcpy(tmp, link->data, tl);
  tmp[tl] = '/';
  memcpy(tmp + tl + 1, rest, rl + 1);
  r = node_path(dir, dirpath, PATH_MAX_K);
  // Inside a chroot, an absolute target starts at the root and ".." stops there.
  const char *root = myproc() ? myproc()->fs->root : "/", *view = path_under(root, dirpath);
  if (r >= 0)
    r = view ? path_clean_in(root, view, tmp, buf, PATH_MAX_K)
             : path_clean(dirpath, tmp, buf, PATH_MAX_K);
out:
  kfree(tmp);
  kfree(dirpath);
  return r < 0 ? r : 0;
}

// Where a name is, or would go.
struct loc {
  struct rnode *dir;    // the directory that holds (or would hold) the last component
  const char *name;     // the last component (not NUL-terminated)
  size_t len;           // 0: the path is "/", which no directory holds
  struct rdirent *ent;  // its entry, or NULL if there is none
};

// Walk the clean absolute path in buf (PATH_MAX_K bytes; links met are spliced into
// it). follow: follow a symlink in the last component too. miss: if only the last
// component is missing, where it would go (its name points into buf).
static int walk_in(char *buf, bool follow, struct rnode **out, struct loc *miss) {
  int links = 0;
restart:;
  struct rnode *n = &root;
  const char *p = buf, *comp, *after;
  size_t len, alen;
  while ((p = path_next(p, &comp, &len))) {
    if (!S_ISDIR(n->mode))
      return -ENOTDIR;
    if (!perm_ok(n, 1))
      return -EACCES;
    if (len > NAME_MAX_K)
      return -ENAMETOOLONG;
    struct rdirent *e = lookup(n, comp, len);
    bool last = path_next(p, &after, &alen) == NULL;
    if (!e && last && miss)
      *miss = (struct loc){.dir = n, .name = comp, .len = len};
    if (!e)
      return -ENOENT;
    if (S_ISLNK(e->node->mode) && (!last || follow)) {
      if (++links > MAX_SYMLINKS)
        return -ELOOP;
      int r = splice_link(buf, n, e->node, p);
      if (r < 0)
        return r;
      goto restart;
    }
    n = e->node;
  }
  *out = n;
  return 0;
}

// Walk path; buf is PATH_MAX_K bytes and ends as the path with every link resolved.
static int walk(const char *path, char *buf, bool follow, struct rnode **out, struct loc *miss) {
  size_t l = strnlen(path, PATH_MAX_K);
  if (l == PATH_MAX_K)
    return -ENAMETOOLONG;
  memcpy(buf, path, l + 1);
  return walk_in(buf, follow, out, miss);
}

int ramfs_resolve(const char *path, bool follow, struct rnode **out) {
  char *buf = kmalloc(PATH_MAX_K);
  int r = buf ? walk(path, buf, follow, out, NULL) : -ENOMEM;
  kfree(buf);
  return r;
}

// Find the directory holding path's last component (not followed if a link) and its
// entry. The caller needs search permission on that directory to look the name up.
static int locate(const char *path, struct loc *l) {
  size_t slash = 0;
  for (size_t i = 0; path[i]; i++)
    if (path[i] == '/')
      slash = i;
  *l = (struct loc){.name = path + slash + 1, .len = strlen(path + slash + 1)};
  if (!l->len)
    return 0;
  if (l->len > NAME_MAX_K)
    return -ENAMETOOLONG;
  char *d = kmalloc(PATH_MAX_K);
  if (!d)
    return -ENOMEM;
  size_t dl = slash ? slash : 1; // the parent of "/x" is "/"
  memcpy(d, path, dl);
  d[dl] = 0;
  int r = walk_in(d, true, &l->dir, NULL);
  kfree(d);
  if (r == 0 && !S_ISDIR(l->dir->mode))
    r = -ENOTDIR;
  if (r == 0 && !perm_ok(l->dir, 1))
    r = -EACCES;
  if (r == 0)
    l->ent = lookup(l->dir, l->name, l->len);
  return r;
}

// ---- creating and removing names ----
// May a new entry go where l says? As Linux: an existing name wins over a read-only
// tree, and a trailing slash (FS_SLASH) on a missing name asks for a directory that is
// not there.
static int may_create(const struct loc *l, int flags) {
  if (!l->len || l->ent)
    return -EEXIST;
  if (flags & FS_SLASH)
    return -ENOENT;
  if (!l->dir->rw)
    return -EROFS;
  if (!perm_ok(l->dir, 3))
    return -EACCES;
  return 0;
}

// A new node for l (checked by may_create). New nodes take the group of a set-gid
// directory, and new directories keep it set-gid.
static int make_node(const struct loc *l, uint32_t mode, struct rnode **out) {
  struct rnode *n = add_child(l->dir, l->name, l->len, mode);
  if (!n)
    return -ENOMEM;
  if (l->dir->mode & S_ISGID) {
    n->gid = l->dir->gid;
    if (S_ISDIR(mode))
      n->mode |= S_ISGID;
  }
  *out = n;
  return 0;
}

// May the entry at l be removed (or renamed away, or replaced) by an operation meant
// for a directory (dir) or not?
static int may_delete(const struct loc *l, bool dir) {
  if (!l->ent)
    return -ENOENT;
  if (!perm_ok(l->dir, 3))
    return -EACCES;
  if (!sticky_ok(l->dir, l->ent->node))
    return -EPERM;
  bool isdir = S_ISDIR(l->ent->node->mode);
  if (dir && !isdir)
    return -ENOTDIR;
  if (!dir && isdir)
    return -EISDIR;
  return 0;
}

// Take the entry at l out of its directory; the node goes when nothing holds it.
static void remove_entry(const struct loc *l) {
  struct rnode *n = l->ent->node;
  ent_free(l->dir, l->ent);
  link_out(l->dir, n);
  if (S_ISDIR(n->mode))
    n->nlink = 0; // its "." and its name are gone at once
  node_put(n);
}

// mknod: a FIFO, a regular file (type 0 or S_IFREG), a socket node, or (root only, as
// Linux's CAP_MKNOD) a character or block device node, which has no driver here: opening
// it gives ENXIO. A directory is EPERM, another type EINVAL (sysfs.c checks the type).
int ramfs_mknod(const char *path, uint32_t mode, uint64_t dev) {
  struct loc l;
  struct rnode *n;
  uint32_t type = mode & S_IFMT ? mode & S_IFMT : S_IFREG;
  int r = locate(path, &l);
  if (r == 0)
    r = may_create(&l, 0);
  if (r == 0 && (type == S_IFCHR || type == S_IFBLK) && myproc()->euid != 0)
    r = -EPERM;
  if (r == 0)
    r = make_node(&l, type | (mode & 07777 & ~myproc()->fs->umask), &n);
  if (r == 0 && (type == S_IFCHR || type == S_IFBLK))
    n->rdev = dev;
  return r;
}

int ramfs_mkdir(const char *path, uint32_t mode) {
  struct loc l;
  struct rnode *n;
  int r = locate(path, &l);
  if (r == 0)
    r = may_create(&l, 0);
  if (r == 0)
    r = make_node(&l, S_IFDIR | (mode & 01777 & ~myproc()->fs->umask), &n);
  return r;
}

// unlink (flags 0) or rmdir (AT_REMOVEDIR); FS_SLASH: the path ended in '/'.
int ramfs_unlink(const char *path, int flags) {
  bool rmdir = flags & AT_REMOVEDIR;
  struct loc l;
  int r = locate(path, &l);
  if (r < 0)
    return r;
  if (!l.len) // "/"
    return rmdir ? -EBUSY : -EISDIR;
  if (!l.dir->rw)
    return -EROFS;
  if (l.ent && !rmdir && (flags & FS_SLASH))
    return S_ISDIR(l.ent->node->mode) ? -EISDIR : -ENOTDIR;
  if ((r = may_delete(&l, rmdir)) < 0)
    return r;
  if (rmdir && l.ent->node->ents)
    return -ENOTEMPTY;
  remove_entry(&l);
  return 0;
}

int ramfs_symlink(const char *target, const char *path, int flags) {
  struct loc l;
  struct rnode *n;
  size_t tl = strlen(target);
  int r = locate(path, &l);
  if (r == 0)
    r = may_create(&l, flags);
  if (r < 0)
    return r;
  uint8_t *d = kmalloc(tl + 1);
  if (!d)
    return -ENOMEM;
  if ((r = make_node(&l, S_IFLNK | 0777, &n)) < 0) {
    kfree(d);
    return r;
  }
  memcpy(d, target, tl + 1);
  n->data = d, n->size = tl, n->cap = tl + 1;
  return 0;
}

// Linux's protected_hardlinks: without privilege, only link a file you own or could
// read and write, and never someone else's set-id program.
static bool may_hardlink(const struct rnode *n) {
  if (owner_or_root(n))
    return true;
  bool setid = (n->mode & S_ISUID) || (n->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
  return S_ISREG(n->mode) && !setid && perm_ok(n, 6);
}

// A new name path for the node n (found by the caller).
int ramfs_link(struct rnode *n, const char *path, int flags) {
  struct loc l;
  int r = locate(path, &l);
  if (r == 0)
    r = may_create(&l, flags);
  if (r < 0)
    return r;
  if (n->rw != l.dir->rw)
    return -EXDEV;
  if (S_ISDIR(n->mode) || !may_hardlink(n))
    return -EPERM;
  if (n->nlink == 0 && !n->linkable) // unlinked but open: no name left to link to
    return -ENOENT;
  n->linkable = false;
  if (n->nlink >= LINK_MAX_K)
    return -EMLINK;
  struct rdirent *e = ent_new(l.name, l.len, n);
  if (!e)
    return -ENOMEM;
  link_in(l.dir, n);
  ent_push(l.dir, e);
  return 0;
}

// ---- rename ----
static bool in_subtree(const struct rnode *top, const struct rnode *d) {
  for (; d; d = d->parent)
    if (d == top)
      return true;
  return false;
}

// Which tree an entry is in: the one of its directory ("/" is in the read-only one).
static uint8_t loc_rw(const struct loc *l) { return l->len ? l->dir->rw : 0; }

// The checks of rename(2), in Linux's order. Returns 1 if old and new already name the
// same node (nothing to do).
static int rename_checks(const struct loc *o, const struct loc *t, int flags) {
  if (loc_rw(o) != loc_rw(t))
    return -EXDEV;
  if (!o->len)
    return -EBUSY;
  if (!t->len)
    return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
  if (!o->dir->rw)
    return -EROFS;
  if (!o->ent)
    return -ENOENT;
  struct rnode *n = o->ent->node, *victim = t->ent ? t->ent->node : NULL;
  bool dir = S_ISDIR(n->mode);
  if (victim && (flags & RENAME_NOREPLACE))
    return -EEXIST;
  if (!dir && (flags & FS_SLASH))
    return -ENOTDIR;
  if (dir && in_subtree(n, t->dir))
    return -EINVAL; // into itself
  if (victim && S_ISDIR(victim->mode) && in_subtree(victim, o->dir))
    return -ENOTEMPTY; // over a directory that contains it
  if (victim == n)
    return 1;
  return 0;
}

// The permission and type checks of replacing or adding the new name.
static int rename_perms(const struct loc *o, const struct loc *t) {
  struct rnode *n = o->ent->node;
  bool dir = S_ISDIR(n->mode);
  int r = may_delete(o, dir);
  if (r == 0 && t->ent)
    r = may_delete(t, dir);
  else if (r == 0 && !perm_ok(t->dir, 3))
    r = -EACCES;
  // Moving a directory rewrites its "..": that needs write permission on it.
  if (r == 0 && dir && o->dir != t->dir && !perm_ok(n, 2))
    r = -EACCES;
  if (r == 0 && t->ent && S_ISDIR(t->ent->node->mode) && t->ent->node->ents)
    r = -ENOTEMPTY;
  return r;
}

// Move the node named at o to t. Nothing can fail once the new entry exists.
static int rename_commit(const struct loc *o, const struct loc *t) {
  struct rnode *n = o->ent->node, *victim = t->ent ? t->ent->node : NULL;
  struct rdirent *e = t->ent;
  if (!e && !(e = ent_new(t->name, t->len, n)))
    return -ENOMEM;
  if (victim) { // the replaced entry names n now, and keeps its readdir place
    link_out(t->dir, victim);
    if (S_ISDIR(victim->mode))
      victim->nlink = 0;
    e->node = n;
    dir_changed(t->dir);
  } else {
    ent_push(t->dir, e);
  }
  ent_free(o->dir, o->ent);
  link_out(o->dir, n);
  link_in(t->dir, n);
  if (victim)
    node_put(victim);
  return 0;
}

// rename(2) with flags 0 or RENAME_NOREPLACE, plus FS_SLASH if either path ended in '/'.
int ramfs_rename(const char *from, const char *to, int flags) {
  struct loc o, t;
  int r = locate(from, &o);
  if (r == 0)
    r = locate(to, &t);
  if (r == 0)
    r = rename_checks(&o, &t, flags);
  if (r == 0)
    r = rename_perms(&o, &t);
  if (r == 0)
    r = rename_commit(&o, &t);
  return r < 0 ? r : 0;
}

// ---- socket nodes ----
// bind(2) names a socket with a new node that points at it and that it holds (refs), so
// an unlinked name stays valid memory until the socket lets go of it.
int ramfs_mksock(const char *path, uint32_t mode, void *sock, struct rnode **out) {
  struct loc l;
  int r = locate(path, &l);
  if (r == 0)
    r = may_create(&l, 0);
  if (r == -EEXIST)
    return -EADDRINUSE;
  if (r == 0)
    r = make_node(&l, S_IFSOCK | (mode & 0777 & ~myproc()->fs->umask), out);
  if (r == 0) {
    (*out)->sock = sock;
    (*out)->refs++;
  }
  return r;
}

// The socket bound at path. connect(2) and sendto(2) need write permission on the node;
// a name that is no socket, or one whose socket is gone, refuses.
int ramfs_sock_find(const char *path, void **sock) {
  struct rnode *n;
  int r = ramfs_resolve(path, true, &n);
  if (r < 0)
    return r;
  if (!perm_ok(n, 2))
    return -EACCES;
  if ((n->mode & S_IFMT) != S_IFSOCK || !n->sock)
    return -ECONNREFUSED;
  *sock = n->sock;
  return 0;
}

void ramfs_sock_unbind(struct rnode *n) {
  n->sock = NULL;
  n->refs--;
  node_put(n);
}

// ---- attributes ----
struct rnode *ramfs_file_node(struct file *f) {
  return f->scheme == &ramfs_scheme ? f->priv : NULL;
}

// The node at path; must_dir (a trailing '/') makes a symlink followed, as in Linux.
int ramfs_lookup(const char *path, bool follow, bool must_dir, struct rnode **out) {
  int r = ramfs_resolve(path, follow || must_dir, out);
  if (r == 0 && must_dir && !S_ISDIR((*out)->mode))
    r = -ENOTDIR;
  return r;
}

int ramfs_chmod(struct rnode *n, uint32_t mode) {
  struct proc *p = myproc();
  if (!n->rw)
    return -EROFS;
  if (!owner_or_root(n))
    return -EPERM;
  mode &= 07777;
  if (p->euid != 0 && p->egid != n->gid)
    mode &= ~S_ISGID; // only a member of the file's group may make it set-gid
  n->mode = (n->mode & S_IFMT) | mode;
  n->ctime = now();
  return 0;
}

// Linux's rule: without privilege, the owner may "change" the owner only to itself,
// and the group only to the file's or its own.
static bool chown_ok(const struct rnode *n, uint32_t uid, uint32_t gid) {
  struct proc *p = myproc();
  if (p->euid == 0)
    return true;
  bool own = p->euid == n->uid;
  if (uid != FS_NOCHANGE && !(own && uid == n->uid))
    return false;
  if (gid != FS_NOCHANGE && !(own && (gid == n->gid || gid == p->egid)))
    return false;
  return true;
}

// uid or gid FS_NOCHANGE (-1) stay.
int ramfs_chown(struct rnode *n, uint32_t uid, uint32_t gid) {
  if (!n->rw)
    return -EROFS;
  if (!chown_ok(n, uid, gid))
    return -EPERM;
  if (uid != FS_NOCHANGE)
    n->uid = uid;
  if (gid != FS_NOCHANGE)
    n->gid = gid;
  // A new owner does not inherit a set-id program (Linux clears the bits even for root).
  if (!S_ISDIR(n->mode) && !S_ISLNK(n->mode)) {
    n->mode &= ~S_ISUID;
    if (n->mode & S_IXGRP)
      n->mode &= ~S_ISGID;
  }
  n->ctime = now();
  return 0;
}

static void set_time(struct timespec_k *t, const struct timespec_k *want, struct timespec_k at) {
  if (!want || want->tv_nsec == UTIME_NOW)
    *t = at;
  else if (want->tv_nsec != UTIME_OMIT)
    *t = *want;
}

// ts: access and modification times (UTIME_NOW, UTIME_OMIT allowed), NULL for now.
// Setting the current time needs ownership or write permission; setting any other
// needs ownership.
int ramfs_utimens(struct rnode *n, const struct timespec_k *ts) {
  if (!n->rw)
    return -EROFS;
  bool explicit = ts && ((ts[0].tv_nsec != UTIME_NOW && ts[0].tv_nsec != UTIME_OMIT) ||
                         (ts[1].tv_nsec != UTIME_NOW && ts[1].tv_nsec != UTIME_OMIT));
  if (!owner_or_root(n) && explicit)
    return -EPERM;
  if (!owner_or_root(n) && !perm_ok(n, 2))
    return -EACCES;
  struct timespec_k t = now();
  set_time(&n->atime, ts ? &ts[0] : NULL, t);
  set_time(&n->mtime, ts ? &ts[1] : NULL, t);
  n->ctime = t;
  return 0;
}

// ---- contents ----
// Make n's data ours and at least need bytes.
static int make_private(struct rnode *n, size_t need) {
  if (n->cap >= need && n->cap)
    return 0;
  size_t cap = MAX(need, n->cap ? n->cap * 2 : 64);
  if (n->paged)
    cap = ALIGN_UP(cap, PAGE_SIZE);
  uint8_t *d = n->paged ? page_alloc(cap / PAGE_SIZE) : kmalloc(cap);
  if (!d)
    return -ENOMEM;
  memcpy(d, n->data, MIN(n->size, need));
  data_free(n);
  n->data = d;
  n->cap = cap;
  fs_bytes[n->rw] += cap;
  return 0;
}

static int truncate_node(struct rnode *n, uint64_t len) {
  if (len > FILE_MAX)
    return -EFBIG;
  if (len == 0) { // give the memory back rather than keep a big buffer
    if (n->paged)
      vm_zap_node(n, 0, NULL, NULL); // (private copies too: every page is past the end)
    data_free(n);
    n->data = NULL, n->cap = 0;
  } else {
    int r = make_private(n, len);
    if (r < 0)
      return r;
    if (len > n->size)
      memset(n->data + n->size, 0, len - n->size);
    if (len < n->size && n->paged) { // the last page's rest reads as zeros in mappings
      memset(n->data + len, 0, ALIGN_UP(len, PAGE_SIZE) - len);
      vm_zap_node(n, ALIGN_UP(len, PAGE_SIZE), NULL, NULL);
    }
  }
  n->size = len;
  return 0;
}

static void modified(struct rnode *n) {
  n->mtime = n->ctime = now();
  kill_suid(n);
}

// truncate(2) (check_write: by path, so permission is checked here) and ftruncate(2)
// (the descriptor was opened for writing).
int ramfs_truncate(struct rnode *n, uint64_t len, bool check_write) {
  if (S_ISDIR(n->mode))
    return -EISDIR;
  if (!S_ISREG(n->mode))
    return -EINVAL;
  if (!n->rw)
    return -EROFS;
  if (check_write && !perm_ok(n, 2))
    return -EACCES;
  int r = truncate_node(n, len);
  if (r == 0)
    modified(n);
  return r;
}

// ---- the scheme ----
static void fill_stat(const struct rnode *n, struct stat *st);

static int open_checks(struct rnode *n, int flags) {
  int acc = flags & O_ACCMODE;
  if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
    return -ENOTDIR;
  if (S_ISDIR(n->mode) && (acc != O_RDONLY || (flags & O_CREAT)))
    return -EISDIR;
  if (S_ISLNK(n->mode))
    return -ELOOP; // O_NOFOLLOW on a link
  if ((n->mode & S_IFMT) == S_IFSOCK)
    return -ENXIO; // sockets are reached with connect(2), never opened
  if (acc != O_WRONLY && !perm_ok(n, 4))
    return -EACCES;
  if (acc != O_RDONLY || (flags & O_TRUNC)) {
    if (!n->dev && !n->rw)
      return -EROFS;
    if (!perm_ok(n, 2))
      return -EACCES;
  }
  if ((flags & O_NOATIME) && !owner_or_root(n))
    return -EPERM; // (after the access checks, as Linux)
  return 0;
}

// O_PATH: the node itself, whatever it is (a link too, with O_NOFOLLOW), with no access
// check but the directories' search permission the walk made; nothing is opened.
static int open_path_only(struct file *f, const char *path, int flags) {
  struct rnode *n;
  int r = ramfs_resolve(path, !(flags & O_NOFOLLOW), &n);
  if (r < 0)
    return r;
  if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
    return -ENOTDIR;
  f->flags = flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW);
  f->priv = n;
  n->refs++;
  return 0;
}

// The node to open, made if O_CREAT asks and it is missing (then returns 1: a new
// file is opened whatever its mode says). O_CREAT|O_EXCL never follows a final link;
// O_CREAT alone through a dangling link makes the link's target, as Linux does.
static int open_node(const char *path, int flags, int mode, struct rnode **n) {
  bool creat = flags & O_CREAT, excl = creat && (flags & O_EXCL);
  struct loc miss = {0};
  char *buf = kmalloc(PATH_MAX_K);
  if (!buf)
    return -ENOMEM;
  int r = walk(path, buf, !(flags & O_NOFOLLOW) && !excl, n, &miss);
  if (r == 0 && excl)
    r = -EEXIST;
  else if (r == -ENOENT && creat && miss.dir && (r = may_create(&miss, 0)) == 0)
    r = make_node(&miss, S_IFREG | (mode & 07777 & ~myproc()->fs->umask), n) < 0 ? -ENOMEM : 1;
  kfree(buf);
  return r;
}

// O_TMPFILE: a new regular file with no name, in the directory path (open_at has
// checked the flags); linkat can give it one unless O_EXCL said no.
static int open_tmpfile(struct file *f, const char *path, int flags, int mode) {
  struct rnode *dir, *n;
  int r = ramfs_resolve(path, true, &dir);
  if (r < 0)
    return r;
  if (!S_ISDIR(dir->mode))
    return -ENOTDIR;
  if (!dir->rw)
    return -EROFS;
  if (!perm_ok(dir, 3))
    return -EACCES;
  if (!(n = node_alloc(S_IFREG | (mode & 07777 & ~myproc()->fs->umask), dir->rw)))
    return -ENOMEM;
  if (dir->mode & S_ISGID)
    n->gid = dir->gid;
  n->linkable = !(flags & O_EXCL);
  f->priv = n;
  n->refs++;
  return 0;
}

// The open of node n (checked) into f; created: n was just made for it. A FIFO opens
// its pipe (fifo(7)'s waits), a device node mknod made has no driver (ENXIO).
static int open_at(struct file *f, struct rnode *n, int flags, bool created) {
  uint32_t type = n->mode & S_IFMT;
  if (type == S_IFCHR || type == S_IFBLK)
    return -ENXIO;
  if (type == S_IFIFO) {
    struct stat st;
    fill_stat(n, &st);
    return pipe_fifo_open(&n->fifo, f, flags, &st);
  }
  if ((flags & O_TRUNC) && S_ISREG(n->mode) && !created) {
    int r = truncate_node(n, 0);
    if (r < 0)
      return r;
    modified(n);
  }
  f->scheme = &ramfs_scheme;
  f->priv = n;
  n->refs++;
  return 0;
}

static int ramfs_open(struct file *f, const char *path, int flags, int mode) {
  struct rnode *n;
  if (flags & O_PATH)
    return open_path_only(f, path, flags);
  if (flags & O_TMPFILE_BIT)
    return open_tmpfile(f, path, flags, mode);
  int r = open_node(path, flags, mode, &n);
  if (r == 0)
    r = open_checks(n, flags);
  if (r < 0)
    return r;
  if (n->dev && strchr(n->dev, ':')) // a device node naming a scheme path: open that
    return vfs_reopen(f, n->dev, flags);
  if (n->dev) { // a device node: hand the file to the scheme it names
    f->scheme = scheme_find(n->dev);
    return f->scheme ? f->scheme->open(f, "", flags, mode) : -ENXIO;
  }
  return open_at(f, n, flags, r == 1);
}

// Open a file on the node of an open file of this scheme anew (/proc/PID/fd/N), with
// its own offset, checked as an open by name is.
int ramfs_reopen(struct file *f, struct file *of, int flags) {
  struct rnode *n = of->priv;
  int r = open_checks(n, flags);
  return r < 0 ? r : open_at(f, n, flags, false);
}

static void ramfs_close(struct file *f) {
  struct rnode *n = f->priv;
  n->refs--;
  node_put(n);
}

static long ramfs_read(struct file *f, void *buf, size_t len, uint64_t off) {
  struct rnode *n = f->priv;
  if (S_ISDIR(n->mode))
    return -EISDIR;
  if (off >= n->size)
    return 0;
  len = MIN(len, n->size - off);
  memcpy(buf, n->data + off, len);
  return len;
}

static long ramfs_write(struct file *f, const void *buf, size_t len, uint64_t off) {
  struct rnode *n = f->priv;
  if (f->flags & O_APPEND)
    off = n->size;
  if (off > FILE_MAX || len > FILE_MAX)
    return -EFBIG;
  if (len == 0)
    return 0;
  int r = off + len > n->size ? truncate_node(n, off + len) : make_private(n, n->size);
  if (r < 0)
    return r;
  memcpy(n->data + off, buf, len);
  modified(n);
  return len;
}

static void fill_stat(const struct rnode *n, struct stat *st) {
  // /tmp and /dev/shm are file systems of their own, as if mounted: tools compare
  // st_dev to know whether rename can work.
  *st = (struct stat){.st_dev = n->rw ? n->rw : FS_ARCHIVE, .st_ino = n->ino, .st_nlink = n->nlink, .st_mode = n->mode,
                      .st_uid = n->uid, .st_gid = n->gid, .st_size = n->size,
                      .st_blksize = 4096, .st_blocks = (n->size + 511) / 512, .st_rdev = n->rdev,
                      .st_atim = n->atime, .st_mtim = n->mtime, .st_ctim = n->ctime};
}

static int ramfs_stat(struct file *f, struct stat *st) {
  fill_stat(f->priv, st);
  return 0;
}

int ramfs_stat_path(const char *path, bool follow, struct stat *st) {
  struct rnode *n;
  int r = ramfs_resolve(path, follow, &n);
  if (r == 0)
    fill_stat(n, st);
  return r;
}

static long ramfs_readlink(const char *path, char *buf, size_t len) {
  struct rnode *n;
  int r = ramfs_resolve(path, false, &n);
  if (r < 0)
    return r;
  if (!S_ISLNK(n->mode))
    return -EINVAL;
  len = MIN(len, n->size);
  memcpy(buf, n->data, len);
  return len;
}

// SEEK_DATA and SEEK_HOLE as lseek(2) allows a file system without holes to: all of
// the file is data, and its end is the only hole.
static long ramfs_seek(struct file *f, int64_t off, int whence) {
  struct rnode *n = f->priv;
  if ((whence == SEEK_DATA || whence == SEEK_HOLE) && S_ISREG(n->mode)) {
    if ((uint64_t)off >= n->size)
      return -ENXIO;
    return f->off = whence == SEEK_DATA ? (uint64_t)off : n->size;
  }
  return seek_generic(f, off, whence, n->size);
}

static int dtype(uint32_t mode) { return (mode & S_IFMT) >> 12; }

// f->off is 0 for ".", 1 for "..", 2 for the newest entry; past that, the cookie of the
// entry last returned, so the next is the first older one.
static long ramfs_readdir(struct file *f, void *buf, size_t len) {
  struct rnode *dir = f->priv;
  if (!S_ISDIR(dir->mode))
    return -ENOTDIR;
  if (dir != &root && !dir->parent)
    return -ENOENT; // removed: not even "." is left, as on Linux
  size_t used = 0;
  static const char *const dots[] = {".", ".."};
  for (; f->off < 2; f->off++) { // a removed directory (and the root) is its own ".."
    const struct rnode *d = f->off == 0 || !dir->parent ? dir : dir->parent;
    const char *name = dots[f->off];
    if (dirent_put(buf, len, &used, d->ino, f->off + 1, dtype(d->mode), name, strlen(name)) < 0)
      return used ? (long)used : -EINVAL;
  }
  for (const struct rdirent *e = dir->ents; e; e = e->next) {
    if (f->off > 2 && e->cookie >= f->off)
      continue;
    if (dirent_put(buf, len, &used, e->node->ino, e->cookie, dtype(e->node->mode), e->name,
                   e->len) < 0)
      return used ? (long)used : -EINVAL;
    f->off = e->cookie;
  }
  return used;
}

const struct scheme ramfs_scheme = {
    .name = "", .open = ramfs_open, .read = ramfs_read, .write = ramfs_write,
    .seek = ramfs_seek, .close = ramfs_close, .stat = ramfs_stat, .readdir = ramfs_readdir,
    .stat_path = ramfs_stat_path, .readlink = ramfs_readlink,
};

// The program file at path, for exec: its bytes, attributes and the resolved path.
// *stable: the bytes are the archive's and never change or go away; otherwise (a /tmp
// file) they are valid only until the file is next changed, and exec copies them.
int ramfs_exec_image(const char *path, const uint8_t **data, size_t *size, uint32_t *mode,
                     uint32_t *uid, uint32_t *gid, char *realpath, size_t realsz, bool *stable) {
  struct rnode *n;
  char *buf = kmalloc(PATH_MAX_K);
  int r = buf ? walk(path, buf, true, &n, NULL) : -ENOMEM;
  if (r == 0 && !S_ISREG(n->mode))
    r = -EACCES;
  if (r == 0 && !perm_ok(n, 1))
    r = -EACCES;
  if (r == 0 && strlen(buf) >= realsz)
    r = -ENAMETOOLONG;
  if (r == 0) {
    memcpy(realpath, buf, strlen(buf) + 1); // walk left the link-free path there
    *data = n->data, *size = n->size, *mode = n->mode, *uid = n->uid, *gid = n->gid;
    *stable = n->cap == 0;
  }
  kfree(buf);
  return r;
}

// ---- mappings (vm.c's file areas) ----
void ramfs_node_hold(struct rnode *n) { n->refs++; }

// The directory entry naming n, and the directory (*dir): a file has no parent
// pointer, so the tree is searched, depth first, without recursion (see node_path).
static const struct rdirent *entry_of(const struct rnode *n, const struct rnode **dir) {
  const struct rnode *d = &root;
  const struct rdirent *e = root.ents;
  for (;;) {
    while (e && e->node != n && !(S_ISDIR(e->node->mode) && e->node->parent == d))
      e = e->next;
    if (e && e->node == n) {
      *dir = d;
      return e;
    }
    if (e) { // a subdirectory: look inside, and come back to e->next afterwards
      d = e->node;
      e = d->ents;
      continue;
    }
    while (d != &root && !(e = name_of(d)->next)) // d done: on to its next sibling
      d = d->parent;
    if (d == &root && !e)
      return NULL;
    d = d->parent;
  }
}

// The path of a file node (for maps), or -ENOENT once no name is left.
int ramfs_node_path(const struct rnode *n, char *out, size_t outsz) {
  const struct rnode *dir;
  const struct rdirent *e = S_ISDIR(n->mode) ? NULL : entry_of(n, &dir);
  if (S_ISDIR(n->mode))
    return node_path(n, out, outsz);
  if (!e)
    return -ENOENT;
  int r = node_path(dir, out, outsz);
  if (r < 0)
    return r;
  size_t len = strlen(out);
  if (len == 1)
    len = 0; // the root: "/" + name, not "//name"
  if (len + 1 + e->len + 1 > outsz)
    return -ENAMETOOLONG;
  out[len] = '/';
  memcpy(out + len + 1, e->name, e->len);
  out[len + 1 + e->len] = 0;
  return len + 1 + e->len;
}

void ramfs_node_drop(struct rnode *n) {
  n->refs--;
  node_put(n);
}

void ramfs_node_ids(const struct rnode *n, uint64_t *dev, uint64_t *ino) {
  *dev = n->rw ? n->rw : FS_ARCHIVE; // as fill_stat
  *ino = n->ino;
}

// The mappable node behind f, made ready for a mapping (a writable file's data becomes
// page frames, which the mappings will share). -ENODEV for what has no pages.
int ramfs_map_node(struct file *f, struct rnode **out) {
  struct rnode *n = ramfs_file_node(f);
  if (!n || !S_ISREG(n->mode))
    return -ENODEV;
  if (n->rw && !n->paged) {
    size_t cap = ALIGN_UP(n->size, PAGE_SIZE);
    uint8_t *d = cap ? page_alloc(cap / PAGE_SIZE) : NULL;
    if (cap && !d)
      return -ENOMEM;
    memcpy(d, n->data, n->size);
    data_free(n);
    n->data = d, n->cap = cap, n->paged = true;
    fs_bytes[n->rw] += cap;
  }
  *out = n;
  return 0;
}

// The cached frame of the page at off (page-aligned, inside the file) of a file of the
// read-only archive, filled on first use, with one more share of it for the caller's
// mapping (which must copy it before a write). -ENOENT: n is not such a file.
int ramfs_cached_page(struct rnode *n, uint64_t off, uint8_t **frame) {
  size_t i = off / PAGE_SIZE;
  if (n->rw || n->cap || !S_ISREG(n->mode) || off >= n->size)
    return -ENOENT;
  if (!n->cache) {
    if (!(n->cache = kmalloc(ALIGN_UP(n->size, PAGE_SIZE) / PAGE_SIZE * sizeof *n->cache)))
      return -ENOMEM;
    n->cache_next = cached_nodes;
    cached_nodes = n;
  }
  if (!n->cache[i]) {
    uint8_t *frame = page_alloc_raw(1); // (a trim may run in here: the slot is still empty)
    if (!frame)
      return -ENOMEM;
    memcpy(frame, n->data + off, MIN(PAGE_SIZE, n->size - off));
    memset(frame + MIN(PAGE_SIZE, n->size - off), 0, PAGE_SIZE - MIN(PAGE_SIZE, n->size - off));
    n->cache[i] = frame;
    cache_frames++;
  }
  *frame = n->cache[i];
  page_share(*frame);
  return 0;
}

// The frame for the page at file offset off (page-aligned) of a mapping, with one more
// share of it: a writable file's own frame, the page cache's for a file of the
// read-only archive; *cow: the mapping must copy it before a write (a private one).
// Otherwise a new frame with a copy of the bytes. -ENXIO if the page lies wholly past
// the end.
int ramfs_map_page(struct rnode *n, uint64_t off, bool shared, uint8_t **frame, bool *cow) {
  *cow = false;
  if (off >= ALIGN_UP(n->size, PAGE_SIZE))
    return -ENXIO;
  if (n->paged) { // cap is whole pages and >= size, so the page is there
    *frame = n->data + off;
    page_share(*frame);
    *cow = !shared;
    return 0;
  }
  if (!n->rw && !n->cap) {
    *cow = true;
    return ramfs_cached_page(n, off, frame);
  }
  if (!(*frame = page_alloc(1)))
    return -ENOMEM;
  memcpy(*frame, n->data + off, MIN(PAGE_SIZE, n->size - off));
  return 0;
}

// ---- boot: build the tree from the archive ----
static struct rnode *mkpath(const char *name, size_t len, uint32_t mode) {
  struct rnode *dir = &root;
  const char *comp, *p, *a;
  size_t cl, al;
  char tmp[256];
  if (len >= sizeof tmp)
    return NULL;
  memcpy(tmp, name, len);
  tmp[len] = 0;
  p = tmp;
  while ((p = path_next(p, &comp, &cl))) {
    if (!S_ISDIR(dir->mode) || cl > NAME_MAX_K)
      return NULL;
    struct rdirent *e = lookup(dir, comp, cl);
    bool last = path_next(p, &a, &al) == NULL;
    struct rnode *c = e ? e->node : add_child(dir, comp, cl, last ? mode : (S_IFDIR | 0755));
    if (!c || last)
      return c;
    dir = c;
  }
  return &root;
}

static void add_entry(const struct cpio_entry *e) {
  struct rnode *n = mkpath(e->name, e->namelen, e->mode);
  // A later archive may replace a file or link by another kind of file, not a directory.
  if (!n || (S_ISDIR(n->mode) != S_ISDIR(e->mode))) {
    kprintf("initramfs: cannot add %s\n", e->name);
    return;
  }
  n->mode = e->mode, n->uid = e->uid, n->gid = e->gid;
  n->atime = n->mtime = n->ctime = (struct timespec_k){.tv_sec = e->mtime};
  if (!S_ISDIR(e->mode)) {
    n->data = (uint8_t *)e->data;
    n->size = e->size;
    fs_bytes[FS_ARCHIVE] += e->size;
  }
}

static void add_device(const char *name, const char *scheme) {
  struct rnode *n = mkpath(name, strlen(name), S_IFCHR | 0666);
  if (n)
    n->dev = scheme, n->mode = S_IFCHR | 0666;
}

// A device node made at run time, for a device a driver found (vcon.c): path is
// relative to the root ("dev/virtio-ports/gdb"), target a scheme path ("vcon:gdb").
int ramfs_add_device(const char *path, const char *target) {
  struct rnode *n = mkpath(path, strlen(path), S_IFCHR | 0600);
  if (!n || (n->mode & S_IFMT) != S_IFCHR)
    return -EEXIST;
  if (n->dev && strcmp(n->dev, target) == 0)
    return 0;
  char *t = kstrdup(target); // (a node never goes away, nor does what it names)
  if (!t)
    return -ENOMEM;
  n->dev = t;
  n->mode = S_IFCHR | 0600;
  return 0;
}

void ramfs_init(const void *archive, size_t size) {
  size_t pos = 0;
  struct cpio_entry e;
  int r, count = 0;
  root.atime = root.mtime = root.ctime = now();
  page_add_reclaim(cache_trim);
  while ((r = cpio_next(archive, size, &pos, &e)) > 0) {
    if (!(e.namelen == 1 && e.name[0] == '.'))
      add_entry(&e), count++;
  }
  if (r < 0)
    kprintf("initramfs: malformed archive at byte %lu\n", pos);
  add_device("dev/null", "null");
  add_device("dev/zero", "zero");
  add_device("dev/full", "full");
  add_device("dev/console", "debug");
  add_device("dev/tty", "tty");
  add_device("dev/ttyS1", "com2");
  if (!lookup(&root, "tmp", 3))
    mkpath("tmp", 3, S_IFDIR | 01777);
  mkpath("dev/shm", 7, S_IFDIR | 01777); // POSIX shm_open and sem_open make files here
  struct rnode *fd = mkpath("dev/fd", 6, S_IFLNK | 0777); // as udev makes it on Linux
  if (fd && !fd->data)
    fd->data = (uint8_t *)"/proc/self/fd", fd->size = 13;
  klog("initramfs: %d entries, %lu bytes\n", count, size);
}

// The absolute path of an open directory of this scheme (for *at() calls).
int ramfs_file_path(struct file *f, char *out, size_t n) {
  if (f->scheme != &ramfs_scheme)
    return -ENOTDIR;
  struct rnode *d = f->priv;
  if (!S_ISDIR(d->mode))
    return -ENOTDIR;
  return node_path(d, out, n);
}

// Bytes of file data held by the file system with st_dev dev (0 for other devices).
uint64_t ramfs_bytes(uint64_t dev) { return dev < FS_COUNT ? fs_bytes[dev] : 0; }

// The next entry after e (in directory *d) in a walk of the whole tree, depth first: a
// loop with parent pointers, as node_path, not recursion.
static const struct rdirent *walk_next(const struct rnode **d, const struct rdirent *e) {
  if (S_ISDIR(e->node->mode) && e->node->ents) {
    *d = e->node;
    return e->node->ents;
  }
  while (!e->next && *d != &root) { // done with *d: on after its entry in its parent
    e = name_of(*d);
    *d = (*d)->parent;
    if (!e)
      return NULL;
  }
  return e->next;
}

// Path of the first entry for which match() holds, found by walking the whole tree.
static int find_path(bool (*match)(const struct rnode *, const void *), const void *arg,
                     char *out, size_t n) {
  const struct rnode *d = &root;
  for (const struct rdirent *e = root.ents; e; e = walk_next(&d, e)) {
    if (!match(e->node, arg))
      continue;
    int len = d == &root ? 0 : node_path(d, out, n);
    if (len < 0 || len + 1 + e->len + 1 > n)
      return len < 0 ? len : -ENAMETOOLONG;
    out[len] = '/';
    memcpy(out + len + 1, e->name, e->len);
    out[len + 1 + e->len] = 0;
    return len + 1 + e->len;
  }
  return -ENOENT;
}

static bool is_node(const struct rnode *n, const void *arg) { return n == arg; }
static bool is_device(const struct rnode *n, const void *arg) {
  return n->dev && strcmp(n->dev, arg) == 0;
}

// A name of an open file of this scheme, as /proc/PID/fd shows it (Linux's " (deleted)"
// for one that has none left: the old name is not kept).
int ramfs_name(struct file *f, char *out, size_t n) {
  const struct rnode *node = f->priv;
  if (S_ISDIR(node->mode))
    return node_path(node, out, n);
  int r = find_path(is_node, node, out, n);
  return r == -ENOENT ? ksnprintf(out, n, " (deleted)") : r;
}

// The device node that opens scheme (/dev/null for "null"), if there is one.
int ramfs_device_name(const char *scheme, char *out, size_t n) {
  return find_path(is_device, scheme, out, n);
}
