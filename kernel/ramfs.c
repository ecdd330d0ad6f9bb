// The root file scheme: a tree of nodes in memory, filled at boot from the initramfs
// (a cpio archive passed as a multiboot module). File contents stay in the archive's
// memory until a file is written, when it gets a private copy. Everything outside
// /tmp is read-only (EROFS).
//
// Paths arrive clean and absolute (scheme.c). ".." was resolved lexically there, as in
// Plan 9; symbolic links are followed here while walking.
#include "proc.h"
#include "file.h"
#include "cpio.h"
#include "path.h"

struct rnode {
  char *name;
  uint32_t mode, uid, gid, nlink;
  uint64_t ino;
  uint8_t *data;            // contents (regular file) or target (symlink)
  size_t size, cap;         // cap == 0: data points into the archive (not ours to free)
  const char *dev;          // a device node opens this scheme path instead
  struct rnode *parent, *children, *next;
};

static struct rnode root = {.name = "", .mode = S_IFDIR | 0755, .nlink = 2, .ino = 1};
static uint64_t next_ino = 2;
#define MAX_SYMLINKS 40

static struct rnode *child(struct rnode *dir, const char *name, size_t len) {
  for (struct rnode *c = dir->children; c; c = c->next)
    if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
      return c;
  return NULL;
}

static struct rnode *node_new(struct rnode *dir, const char *name, size_t len, uint32_t mode) {
  struct rnode *n = kmalloc(sizeof *n);
  char *nm = kmalloc(len + 1);
  if (!n || !nm) {
    kfree(n), kfree(nm);
    return NULL;
  }
  memcpy(nm, name, len);
  *n = (struct rnode){.name = nm, .mode = mode, .nlink = S_ISDIR(mode) ? 2 : 1,
                      .ino = next_ino++, .parent = dir, .next = dir->children};
  dir->children = n;
  if (S_ISDIR(mode))
    dir->nlink++;
  return n;
}

static bool writable_tree(const struct rnode *n) {
  for (; n; n = n->parent)
    if (n->parent == &root && strcmp(n->name, "tmp") == 0)
      return true;
  return false;
}

// May the current process access n with mask (4 read, 2 write, 1 execute/search)?
static bool perm_ok(const struct rnode *n, int mask) {
  struct proc *p = myproc();
  uint32_t m = n->mode;
  if (!p || p->euid == 0) // root may do anything but execute a file no one may
    return !(mask & 1) || S_ISDIR(m) || (m & 0111);
  int bits = p->euid == n->uid ? (m >> 6) & 7 : p->egid == n->gid ? (m >> 3) & 7 : m & 7;
  return (bits & mask) == mask;
}

// Absolute path of a directory node, into out (outsz bytes). Returns length or error.
static int node_path(const struct rnode *n, char *out, size_t outsz) {
  if (n == &root)
    return outsz > 1 ? (out[0] = '/', out[1] = 0, 1) : -ENAMETOOLONG;
  int len = node_path(n->parent, out, outsz);
  size_t nl = strlen(n->name);
  if (len < 0 || len + nl + 2 > outsz)
    return -ENAMETOOLONG;
  if (len > 1)
    out[len++] = '/';
  memcpy(out + len, n->name, nl + 1);
  return len + nl;
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
  if (r >= 0)
    r = path_clean(dirpath, tmp, buf, PATH_MAX_K);
out:
  kfree(tmp);
  kfree(dirpath);
  return r < 0 ? r : 0;
}

// Walk a clean absolute path. follow: follow a symlink in the last component too.
static int walk_in(char *buf, bool follow, struct rnode **out) {
  int links = 0;
restart:;
  struct rnode *n = &root;
  const char *p = buf, *comp;
  size_t len;
  while ((p = path_next(p, &comp, &len))) {
    if (!S_ISDIR(n->mode))
      return -ENOTDIR;
    if (!perm_ok(n, 1))
      return -EACCES;
    if (len > 255)
      return -ENAMETOOLONG;
    struct rnode *c = child(n, comp, len);
    if (!c)
      return -ENOENT;
    const char *after;
    size_t alen;
    bool last = path_next(p, &after, &alen) == NULL;
    if (S_ISLNK(c->mode) && (!last || follow)) {
      if (++links > MAX_SYMLINKS)
        return -ELOOP;
      int r = splice_link(buf, n, c, p);
      if (r < 0)
        return r;
      goto restart;
    }
    n = c;
  }
  *out = n;
  return 0;
}

int ramfs_resolve(const char *path, bool follow, struct rnode **out) {
  char *buf = kmalloc(PATH_MAX_K);
  if (!buf)
    return -ENOMEM;
  size_t l = strnlen(path, PATH_MAX_K);
  int r = -ENAMETOOLONG;
  if (l < PATH_MAX_K) {
    memcpy(buf, path, l + 1);
    r = walk_in(buf, follow, out);
  }
  kfree(buf);
  return r;
}

// The directory that would hold path's last component, and that component.
static int resolve_parent(const char *path, struct rnode **dir, const char **name) {
  const char *slash = path;
  for (const char *s = path; *s; s++)
    if (*s == '/')
      slash = s;
  *name = slash + 1;
  if (!**name)
    return -EEXIST; // "/" itself
  char *d = kmalloc(slash - path + 2);
  if (!d)
    return -ENOMEM;
  memcpy(d, path, slash - path);
  d[slash == path ? 1 : slash - path] = 0;
  if (slash == path)
    d[0] = '/';
  int r = ramfs_resolve(d, true, dir);
  kfree(d);
  if (r == 0 && !S_ISDIR((*dir)->mode))
    r = -ENOTDIR;
  return r;
}

static int create(const char *path, int mode, struct rnode **out) {
  struct rnode *dir;
  const char *name;
  int r = resolve_parent(path, &dir, &name);
  if (r < 0)
    return r;
  if (!writable_tree(dir))
    return -EROFS;
  if (!perm_ok(dir, 3))
    return -EACCES;
  if (strlen(name) > 255)
    return -ENAMETOOLONG;
  struct rnode *n = node_new(dir, name, strlen(name), S_IFREG | (mode & 07777 & ~myproc()->umask));
  if (!n)
    return -ENOMEM;
  n->uid = myproc()->euid;
  n->gid = myproc()->egid;
  *out = n;
  return 0;
}

// Make n's data ours and at least cap bytes.
static int make_private(struct rnode *n, size_t need) {
  if (n->cap >= need && n->cap)
    return 0;
  size_t cap = MAX(need, n->cap ? n->cap * 2 : 64);
  uint8_t *d = kmalloc(cap);
  if (!d)
    return -ENOMEM;
  memcpy(d, n->data, n->size);
  if (n->cap)
    kfree(n->data);
  n->data = d;
  n->cap = cap;
  return 0;
}

static int truncate_node(struct rnode *n, uint64_t len) {
  if (len > (1u << 30))
    return -EFBIG;
  int r = make_private(n, len);
  if (r < 0)
    return r;
  if (len > n->size)
    memset(n->data + n->size, 0, len - n->size);
  n->size = len;
  return 0;
}

static int open_checks(struct rnode *n, int flags) {
  int acc = flags & O_ACCMODE;
  if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
    return -ENOTDIR;
  if (S_ISDIR(n->mode) && acc != O_RDONLY)
    return -EISDIR;
  if (S_ISLNK(n->mode))
    return -ELOOP; // O_NOFOLLOW on a link
  if (acc != O_WRONLY && !perm_ok(n, 4))
    return -EACCES;
  if (acc != O_RDONLY || (flags & O_TRUNC)) {
    if (!n->dev && !writable_tree(n))
      return -EROFS;
    if (!perm_ok(n, 2))
      return -EACCES;
  }
  return 0;
}

static int ramfs_open(struct file *f, const char *path, int flags, int mode) {
  struct rnode *n;
  int r = ramfs_resolve(path, !(flags & O_NOFOLLOW), &n);
  if (r == -ENOENT && (flags & O_CREAT))
    r = create(path, mode, &n);
  else if (r == 0 && (flags & O_CREAT) && (flags & O_EXCL))
    r = -EEXIST;
  if (r == 0)
    r = open_checks(n, flags);
  if (r < 0)
    return r;
  if (n->dev) { // a device node: hand the file to the scheme it names
    f->scheme = scheme_find(n->dev);
    return f->scheme ? f->scheme->open(f, "", flags, mode) : -ENXIO;
  }
  if ((flags & O_TRUNC) && S_ISREG(n->mode) && (r = truncate_node(n, 0)) < 0)
    return r;
  f->priv = n;
  return 0;
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
  if (off > (1u << 30) || len > (1u << 30))
    return -EFBIG;
  if (off + len > n->size) {
    int r = truncate_node(n, off + len);
    if (r < 0)
      return r;
  } else {
    int r = make_private(n, n->size);
    if (r < 0)
      return r;
  }
  memcpy(n->data + off, buf, len);
  return len;
}

static void fill_stat(const struct rnode *n, struct stat *st) {
  *st = (struct stat){.st_dev = 1, .st_ino = n->ino, .st_nlink = n->nlink, .st_mode = n->mode,
                      .st_uid = n->uid, .st_gid = n->gid, .st_size = n->size,
                      .st_blksize = 4096, .st_blocks = (n->size + 511) / 512};
  st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = boot_epoch;
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

long ramfs_readlink(const char *path, char *buf, size_t len) {
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

static long ramfs_seek(struct file *f, int64_t off, int whence) {
  struct rnode *n = f->priv;
  return seek_generic(f, off, whence, n->size);
}

static int dtype(uint32_t mode) { return (mode & S_IFMT) >> 12; }

// Entry i of a directory: ".", "..", then the children.
static long ramfs_readdir(struct file *f, void *buf, size_t len) {
  struct rnode *dir = f->priv;
  if (!S_ISDIR(dir->mode))
    return -ENOTDIR;
  size_t used = 0;
  uint64_t i = 0;
  for (struct rnode *c = NULL;; i++) {
    const char *name = i == 0 ? "." : i == 1 ? ".." : NULL;
    const struct rnode *e = i == 0 ? dir : i == 1 ? (dir->parent ? dir->parent : dir) : NULL;
    if (i >= 2) {
      c = c ? c->next : dir->children;
      if (!c)
        break;
      e = c, name = c->name;
    }
    if (i < f->off)
      continue;
    if (dirent_put(buf, len, &used, e->ino, i + 1, dtype(e->mode), name, strlen(name)) < 0)
      return used ? (long)used : -EINVAL;
    f->off = i + 1;
  }
  return used;
}

const struct scheme ramfs_scheme = {
    .name = "", .open = ramfs_open, .read = ramfs_read, .write = ramfs_write,
    .seek = ramfs_seek, .stat = ramfs_stat, .readdir = ramfs_readdir,
};

// The program file at path, for exec: its bytes (in the archive or a private copy;
// stable while nothing writes the file), attributes and the resolved path.
int ramfs_exec_image(const char *path, const uint8_t **data, size_t *size, uint32_t *mode,
                     uint32_t *uid, uint32_t *gid, char *realpath, size_t realsz) {
  struct rnode *n;
  int r = ramfs_resolve(path, true, &n);
  if (r < 0)
    return r;
  if (!S_ISREG(n->mode))
    return -EACCES;
  if (!perm_ok(n, 1))
    return -EACCES;
  r = node_path(n->parent, realpath, realsz);
  if (r < 0 || r + strlen(n->name) + 2 > realsz)
    return -ENAMETOOLONG;
  if (r > 1)
    realpath[r++] = '/';
  memcpy(realpath + r, n->name, strlen(n->name) + 1);
  *data = n->data, *size = n->size, *mode = n->mode, *uid = n->uid, *gid = n->gid;
  return 0;
}

// ---- boot: build the tree from the archive ----
static struct rnode *mkpath(const char *name, size_t len, uint32_t mode) {
  struct rnode *dir = &root;
  const char *comp, *p = name;
  size_t cl;
  char tmp[256];
  if (len >= sizeof tmp)
    return NULL;
  memcpy(tmp, name, len);
  tmp[len] = 0;
  p = tmp;
  while ((p = path_next(p, &comp, &cl))) {
    struct rnode *c = child(dir, comp, cl);
    const char *a;
    size_t al;
    bool last = path_next(p, &a, &al) == NULL;
    if (!c)
      c = node_new(dir, comp, cl, last ? mode : (S_IFDIR | 0755));
    if (!c)
      return NULL;
    if (last)
      return c;
    dir = c;
  }
  return &root;
}

static void add_entry(const struct cpio_entry *e) {
  struct rnode *n = mkpath(e->name, e->namelen, e->mode);
  if (!n) {
    kprintf("initramfs: cannot add %s\n", e->name);
    return;
  }
  n->mode = e->mode, n->uid = e->uid, n->gid = e->gid;
  if (!S_ISDIR(e->mode)) {
    n->data = (uint8_t *)e->data;
    n->size = e->size;
  }
}

static void add_device(const char *name, const char *scheme) {
  struct rnode *n = mkpath(name, strlen(name), S_IFCHR | 0666);
  if (n)
    n->dev = scheme, n->mode = S_IFCHR | 0666;
}

void ramfs_init(const void *archive, size_t size) {
  size_t pos = 0;
  struct cpio_entry e;
  int r, count = 0;
  while ((r = cpio_next(archive, size, &pos, &e)) > 0) {
    if (!(e.namelen == 1 && e.name[0] == '.'))
      add_entry(&e), count++;
  }
  if (r < 0)
    kprintf("initramfs: malformed archive at byte %lu\n", pos);
  add_device("dev/null", "null");
  add_device("dev/zero", "zero");
  add_device("dev/console", "debug");
  add_device("dev/tty", "debug");
  if (!child(&root, "tmp", 3))
    mkpath("tmp", 3, S_IFDIR | 01777);
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
