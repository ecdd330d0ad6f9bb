// mkcpio OUT.cpio < MANIFEST: write a cpio "newc" archive (the initramfs).
//
// Manifest lines, whitespace-separated; '#' starts a comment; blank lines are ignored:
//   file  GUEST_PATH HOST_PATH MODE UID GID
//   dir   GUEST_PATH MODE UID GID
//   slink GUEST_PATH TARGET MODE UID GID
// MODE is octal permission bits (setuid 4000, sticky 1000, ...); the file type bits
// come from the line's kind. GUEST_PATH is absolute. A later line for the same path
// replaces an earlier one, so callers can append overrides to a base manifest.
// Missing parent directories are created (0755, uid 0, gid 0).
//
// The output is deterministic: entries are sorted by path (which puts every directory
// before its contents), inode numbers count up from 1 in that order, mtimes are 0.
// The archive is written to a temporary file and renamed into place, so OUT is
// never left half-written. Exit status 0, or 1 with a message on any error.
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUEST_PATH_MAX 4096

struct node {
  char *path;          // guest path without the leading '/'
  unsigned type;       // S_IFREG, S_IFDIR or S_IFLNK
  unsigned perm, uid, gid;
  unsigned char *data; // file contents or symlink target
  size_t size;
};

static struct node *nodes;
static size_t nnodes, cap_nodes;
static int lineno;

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "mkcpio: ");
  if (lineno > 0)
    fprintf(stderr, "manifest line %d: ", lineno);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory");
  return p;
}

static struct node *find(const char *path) {
  for (size_t i = 0; i < nnodes; i++)
    if (strcmp(nodes[i].path, path) == 0)
      return &nodes[i];
  return NULL;
}

static struct node *add_node(const char *path) {
  if (nnodes == cap_nodes) {
    cap_nodes = cap_nodes ? 2 * cap_nodes : 256;
    nodes = realloc(nodes, cap_nodes * sizeof(*nodes));
    if (!nodes)
      die("out of memory");
  }
  struct node *n = &nodes[nnodes++];
  memset(n, 0, sizeof(*n));
  n->path = strdup(path);
  return n;
}

// "/a//b/" -> "a/b". Rejects relative paths, "." and "..", and "/" itself.
static char *normalize(const char *guest) {
  if (guest[0] != '/')
    die("guest path '%s' is not absolute", guest);
  if (strlen(guest) >= GUEST_PATH_MAX)
    die("guest path '%.40s...' is too long", guest);
  char *out = xmalloc(strlen(guest) + 1), *copy = strdup(guest), *save = NULL;
  out[0] = '\0';
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
      die("guest path '%s' contains '.' or '..'", guest);
    if (out[0])
      strcat(out, "/");
    strcat(out, c);
  }
  free(copy);
  if (out[0] == '\0')
    die("guest path '%s' names the root, which always exists", guest);
  return out;
}

// Create every missing ancestor of path as a default directory.
static void add_parents(const char *path) {
  char *p = strdup(path);
  for (char *slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (!find(p)) {
      struct node *n = add_node(p);
      n->type = S_IFDIR;
      n->perm = 0755;
    }
    *slash = '/';
  }
  free(p);
}

static unsigned parse_num(const char *s, int base, unsigned long max, const char *what) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, base);
  if (errno || end == s || *end || v > max || s[0] == '-' || s[0] == '+')
    die("bad %s '%s'", what, s);
  return (unsigned)v;
}

static unsigned char *read_host_file(const char *host, size_t *size) {
  FILE *f = fopen(host, "rb");
  struct stat st;
  if (!f || fstat(fileno(f), &st) != 0)
    die("cannot read host file '%s': %s", host, strerror(errno));
  if (!S_ISREG(st.st_mode))
    die("host file '%s' is not a regular file", host);
  if (st.st_size > 0xffffffff)
    die("host file '%s' is too big for a newc archive (4 GiB)", host);
  unsigned char *buf = xmalloc(st.st_size);
  if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size || ferror(f))
    die("cannot read host file '%s': %s", host, strerror(errno));
  fclose(f);
  *size = st.st_size;
  return buf;
}

// Record one manifest entry, replacing any earlier entry for the same path.
static void set_entry(const char *guest, unsigned type, const char **num, unsigned char *data,
                      size_t size) {
  unsigned perm = parse_num(num[0], 8, 07777, "mode");
  unsigned uid = parse_num(num[1], 10, 0xffffffffu, "uid");
  unsigned gid = parse_num(num[2], 10, 0xffffffffu, "gid");
  char *path = normalize(guest);
  add_parents(path);
  struct node *n = find(path);
  if (!n)
    n = add_node(path);
  free(n->data);
  n->type = type;
  n->perm = perm;
  n->uid = uid;
  n->gid = gid;
  n->data = data;
  n->size = size;
  free(path);
}

static void parse_line(char **tok, int ntok) {
  const char *kind = tok[0];
  if (strcmp(kind, "file") == 0 && ntok == 6) {
    size_t size;
    unsigned char *data = read_host_file(tok[2], &size);
    set_entry(tok[1], S_IFREG, (const char **)tok + 3, data, size);
  } else if (strcmp(kind, "dir") == 0 && ntok == 5) {
    set_entry(tok[1], S_IFDIR, (const char **)tok + 2, NULL, 0);
  } else if (strcmp(kind, "slink") == 0 && ntok == 6) {
    if (strlen(tok[2]) >= GUEST_PATH_MAX)
      die("symlink target is too long");
    set_entry(tok[1], S_IFLNK, (const char **)tok + 3, (unsigned char *)strdup(tok[2]),
              strlen(tok[2]));
  } else if (strcmp(kind, "file") && strcmp(kind, "dir") && strcmp(kind, "slink")) {
    die("unknown entry kind '%s' (want file, dir or slink)", kind);
  } else {
    die("'%s' takes %d fields, not %d", kind, strcmp(kind, "dir") ? 5 : 4, ntok - 1);
  }
}

// Split a line at whitespace; a token starting with '#' ends it.
static int tokenize(char *line, char **tok, int max) {
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
    if (t[0] == '#')
      break;
    if (n == max)
      die("too many fields");
    tok[n++] = t;
  }
  return n;
}

static void read_manifest(FILE *in) {
  char *line = NULL, *tok[8];
  size_t cap = 0;
  while (getline(&line, &cap, in) != -1) {
    lineno++;
    int n = tokenize(line, tok, 8);
    if (n > 0)
      parse_line(tok, n);
  }
  free(line);
  lineno = 0;
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const struct node *)a)->path, ((const struct node *)b)->path);
}

// Only now is the tree final (later lines may have replaced a directory).
static void check_parents(void) {
  for (size_t i = 0; i < nnodes; i++) {
    char *p = strdup(nodes[i].path), *slash = strrchr(p, '/');
    if (slash) {
      *slash = '\0';
      if (find(p)->type != S_IFDIR)
        die("'/%s' holds '/%s' but is not a directory", p, nodes[i].path);
    }
    free(p);
  }
}

static void put(FILE *out, const void *buf, size_t n, size_t *off) {
  static const char zeros[512];
  if (buf)
    fwrite(buf, 1, n, out);
  else
    fwrite(zeros, 1, n, out);
  *off += n;
}

static void pad(FILE *out, size_t *off, size_t align) {
  put(out, NULL, (align - *off % align) % align, off);
}

static void write_entry(FILE *out, size_t *off, unsigned ino, const char *name,
                        const struct node *n) {
  char hdr[111];
  unsigned mode = n ? n->type | n->perm : 0, nlink = n && n->type == S_IFDIR ? 2 : 1;
  // Both fit in 32 bits: names are < GUEST_PATH_MAX, files were checked when read.
  unsigned namesize = strlen(name) + 1, size = n ? n->size : 0;
  snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
           ino, mode, n ? n->uid : 0, n ? n->gid : 0, nlink, 0, size, 0, 0, 0, 0,
           namesize, 0);
  put(out, hdr, 110, off);
  put(out, name, namesize, off);
  pad(out, off, 4);
  if (size)
    put(out, n->data, size, off);
  pad(out, off, 4);
}

static void write_archive(const char *path) {
  char *tmp = xmalloc(strlen(path) + 16);
  sprintf(tmp, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!out)
    die("cannot create '%s': %s", tmp, strerror(errno));
  size_t off = 0;
  for (size_t i = 0; i < nnodes; i++)
    write_entry(out, &off, (unsigned)i + 1, nodes[i].path, &nodes[i]);
  write_entry(out, &off, 0, "TRAILER!!!", NULL);
  pad(out, &off, 512); // the traditional block size; cpio readers expect it
  // fclose must run even after a write error, so it is not short-circuited away.
  bool ok = fchmod(fd, 0644) == 0 && !ferror(out);
  ok = fclose(out) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    int err = errno;
    unlink(tmp);
    die("cannot write '%s': %s", path, strerror(err));
  }
  free(tmp);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: mkcpio OUT.cpio < MANIFEST\n");
    return 1;
  }
  read_manifest(stdin);
  if (nnodes > 0xfffffffe)
    die("too many entries");
  qsort(nodes, nnodes, sizeof(*nodes), by_path);
  check_parents();
  write_archive(argv[1]);
  return 0;
}
