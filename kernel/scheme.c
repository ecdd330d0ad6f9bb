// The scheme registry and path dispatch: which scheme a path goes to, and the VFS
// calls that take a path. It knows schemes only as tables of operations (struct scheme)
// that boot registers (main.c); the root file scheme is the one with the empty name.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "panic.h"
#include "path.h"
#include "proc.h"
#include "scheme.h"

#define NSCHEME 16
static struct {
  const struct scheme *s;
  const char *mount; // a directory of the root tree that this scheme serves, or NULL
} schemes[NSCHEME];
static int nschemes;

void scheme_register(const struct scheme *s, const char *mount) {
  if (nschemes == NSCHEME || scheme_find(s->name))
    panic("scheme_register: cannot register \"%s\"", s->name);
  schemes[nschemes].s = s;
  schemes[nschemes++].mount = mount;
}

const struct scheme *scheme_find(const char *name) {
  for (int i = 0; i < nschemes; i++)
    if (strcmp(schemes[i].s->name, name) == 0)
      return schemes[i].s;
  return NULL;
}

static bool is_root(const struct scheme *s) { return s->name[0] == 0; }

// path_scheme(), where "name:" is a scheme only if one is registered by that name: any
// other such path is a file name of the root scheme ("a:b", as Linux programs make).
int vfs_scheme(const char *path, char *scheme, const char **rest) {
  int r = path_scheme(path, scheme, rest);
  if (strncmp(path, "/scheme/", 8) == 0) // (a missing scheme there is ENOENT)
    return r;
  if (r == -ENAMETOOLONG || (r == 0 && scheme[0] && !scheme_find(scheme))) {
    scheme[0] = 0, *rest = path;
    return 0;
  }
  return r;
}

// A clean absolute path of the root scheme that lies in a mounted scheme's directory
// (/proc is the proc: scheme, as on Linux) goes to that scheme instead.
static void mount_redirect(const struct scheme **s, const char **rest) {
  const char *r = *rest;
  for (int i = 0; i < nschemes; i++) {
    const char *m = schemes[i].mount;
    size_t n = m ? strlen(m) : 0;
    if (n && strncmp(r, m, n) == 0 && (r[n] == 0 || r[n] == '/')) {
      *s = schemes[i].s;
      *rest = r[n] ? r + n + 1 : "";
      return;
    }
  }
}

// Open path into an existing file (a link in another scheme points there).
int vfs_reopen(struct file *f, const char *path, int flags) {
  struct file *n;
  int r = vfs_open(path, flags, 0, &n);
  if (r < 0)
    return r;
  f->scheme = n->scheme;
  f->priv = n->priv;
  f->mounted = n->mounted;
  kfree(n);
  return 0;
}

int vfs_open(const char *path, int flags, int mode, struct file **out) {
  char scheme_name[SCHEME_NAME_MAX];
  const char *rest;
  int r = vfs_scheme(path, scheme_name, &rest);
  if (r < 0)
    return r;
  const struct scheme *s = scheme_find(scheme_name);
  if (!s)
    return -ENOENT;
  char *clean = NULL;
  if (is_root(s)) { // the root scheme takes clean absolute paths
    clean = kmalloc(PATH_MAX_K);
    if (!clean)
      return -ENOMEM;
    r = path_clean(myproc() ? myproc()->fs->cwd : "/", path, clean, PATH_MAX_K);
    if (r < 0)
      goto out;
    rest = clean;
    mount_redirect(&s, &rest);
  }
  struct file *f = kmalloc(sizeof *f);
  r = -ENOMEM;
  if (!f)
    goto out;
  *f = (struct file){.scheme = s, .refs = 1, .flags = flags, .mounted = clean && !is_root(s)};
  r = s->open(f, rest, flags, mode);
  if (r < 0)
    kfree(f);
  else
    *out = f;
out:
  kfree(clean);
  return r < 0 ? r : 0;
}

// The scheme and the rest of a path; for the root scheme, rest is made clean and
// absolute in buf (PATH_MAX_K bytes).
static int split(const char *path, char *buf, const struct scheme **s, const char **rest) {
  char name[SCHEME_NAME_MAX];
  int r = vfs_scheme(path, name, rest);
  if (r < 0)
    return r;
  if (!(*s = scheme_find(name)))
    return -ENOENT;
  if (!is_root(*s))
    return 0;
  r = path_clean(myproc() ? myproc()->fs->cwd : "/", path, buf, PATH_MAX_K);
  *rest = buf;
  mount_redirect(s, rest);
  return r < 0 ? r : 0;
}

// split() into a new PATH_MAX_K buffer, which the caller frees (even after an error).
static int split_new(const char *path, char **buf, const struct scheme **s, const char **rest) {
  *buf = kmalloc(PATH_MAX_K);
  return *buf ? split(path, *buf, s, rest) : -ENOMEM;
}

int vfs_stat(const char *path, bool follow, struct stat *st) {
  char *buf;
  const struct scheme *s;
  const char *rest;
  int r = split_new(path, &buf, &s, &rest);
  if (r == 0 && s->stat_path) {
    r = s->stat_path(rest, follow, st);
  } else if (r == 0) { // other schemes: stat through an open file
    struct file *f;
    r = vfs_open(path, O_RDONLY | (follow ? 0 : O_NOFOLLOW), 0, &f);
    if (r == 0) {
      r = f->scheme->stat ? f->scheme->stat(f, st) : -EACCES;
      file_put(f);
    }
  }
  kfree(buf);
  return r;
}

long vfs_readlink(const char *path, char *out, size_t n) {
  char *buf;
  const struct scheme *s;
  const char *rest;
  long r = split_new(path, &buf, &s, &rest);
  if (r == 0)
    r = s->readlink ? s->readlink(rest, out, n) : -EINVAL;
  kfree(buf);
  return r;
}

// access(2): checked against the real ids, as Linux does.
int vfs_access(const struct stat *st, int mode) {
  struct proc *p = myproc();
  uint32_t m = st->st_mode;
  if (p->ruid == 0)
    return (mode & 1) && !S_ISDIR(m) && !(m & 0111) ? -EACCES : 0;
  int bits = p->ruid == st->st_uid ? (m >> 6) & 7 : p->rgid == st->st_gid ? (m >> 3) & 7 : m & 7;
  return (bits & mode) == mode ? 0 : -EACCES;
}
