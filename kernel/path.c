// Path names: scheme selection and lexical clean-up. Purely textual: nothing here
// looks at a file system, so ".." is resolved by dropping the previous component.
#include "types.h"
#include "errno.h"
#include "lib.h"
#include "path.h"

static const char SCHEME_DIR[] = "/scheme/";
#define SCHEME_DIR_LEN (sizeof(SCHEME_DIR) - 1)

static bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static size_t scheme_span(const char *s) {
  size_t n = 0;
  while (scheme_char(s[n]))
    n++;
  return n;
}

static int set_scheme(char *scheme, const char *name, size_t len) {
  if (len >= SCHEME_NAME_MAX)
    return -ENAMETOOLONG;
  memcpy(scheme, name, len);
  scheme[len] = '\0';
  return 0;
}

// "/scheme/name[/rest]": path starts with SCHEME_DIR. A bare "/scheme/" stays with the
// root file scheme, like "/scheme".
static int scheme_dir(const char *path, char *scheme, const char **rest) {
  const char *name = path + SCHEME_DIR_LEN;
  while (*name == '/')
    name++;
  size_t len = 0;
  while (name[len] != '\0' && name[len] != '/')
    len++;
  if (len == 0) {
    scheme[0] = '\0';
    *rest = path;
    return 0;
  }
  // No scheme can be called this, so there is nothing to find.
  if (scheme_span(name) != len)
    return -ENOENT;
  int err = set_scheme(scheme, name, len);
  if (err)
    return err;
  const char *r = name + len;
  while (*r == '/')
    r++;
  *rest = r;
  return 0;
}

// A "/scheme/" name made of characters no scheme can have ("/scheme/Foo") also gives
// -ENOENT.
int path_scheme(const char *path, char *scheme, const char **rest) {
  if (path[0] == '\0')
    return -ENOENT;
  size_t n = scheme_span(path);
  if (n > 0 && path[n] == ':') {
    int err = set_scheme(scheme, path, n);
    if (err)
      return err;
    *rest = path + n + 1;
    return 0;
  }
  if (strncmp(path, SCHEME_DIR, SCHEME_DIR_LEN) == 0)
    return scheme_dir(path, scheme, rest);
  scheme[0] = '\0';
  *rest = path;
  return 0;
}

const char *path_next(const char *p, const char **comp, size_t *len) {
  while (*p == '/')
    p++;
  if (*p == '\0')
    return NULL;
  size_t n = 0;
  while (p[n] != '\0' && p[n] != '/')
    n++;
  *comp = p;
  *len = n;
  return p + n;
}

// Apply one component to the clean absolute path out[0..*n) ("/" or "/a/b").
static int push(char *out, size_t outsz, size_t *n, const char *c, size_t len) {
  if (len == 1 && c[0] == '.')
    return 0;
  if (len == 2 && c[0] == '.' && c[1] == '.') {
    while (*n > 1 && out[*n - 1] != '/')
      (*n)--;
    if (*n > 1)
      (*n)--; // the separator before the dropped component, but never the root '/'
    out[*n] = '\0';
    return 0;
  }
  size_t sep = *n > 1 ? 1 : 0;
  if (len + sep + 1 > outsz - *n)
    return -ENAMETOOLONG;
  if (sep)
    out[(*n)++] = '/';
  memcpy(out + *n, c, len);
  *n += len;
  out[*n] = '\0';
  return 0;
}

static int push_all(char *out, size_t outsz, size_t *n, const char *p) {
  const char *c;
  size_t len;
  while ((p = path_next(p, &c, &len)) != NULL) {
    int err = push(out, outsz, n, c, len);
    if (err)
      return err;
  }
  return 0;
}

// cwd is only read when path is relative (it may be NULL otherwise); out must not
// overlap either input. Both inputs must be shorter than PATH_MAX_K, and the result
// must fit in out at every step, not only at the end ("/<long>/.." with a small out
// fails), which keeps the walk a single pass.
int path_clean(const char *cwd, const char *path, char *out, size_t outsz) {
  if (outsz < 2 || strnlen(path, PATH_MAX_K) == PATH_MAX_K)
    return -ENAMETOOLONG;
  size_t n = 1;
  out[0] = '/';
  out[1] = '\0';
  if (path[0] != '/') {
    if (strnlen(cwd, PATH_MAX_K) == PATH_MAX_K)
      return -ENAMETOOLONG;
    int err = push_all(out, outsz, &n, cwd);
    if (err)
      return err;
  }
  int err = push_all(out, outsz, &n, path);
  return err ? err : (int)n;
}

const char *path_under(const char *root, const char *path) {
  if (root[0] == '/' && root[1] == 0)
    return path;
  size_t n = strlen(root);
  if (strncmp(path, root, n) != 0)
    return NULL;
  if (path[n] == 0)
    return "/";
  return path[n] == '/' ? path + n : NULL;
}

// The view is made in place after root's bytes: path_clean writes "/view", which joins
// root and view with the slash it starts with ("/" alone is root itself).
int path_clean_in(const char *root, const char *cwd, const char *path, char *out, size_t outsz) {
  size_t rl = strlen(root);
  if (rl == 1)
    return path_clean(cwd, path, out, outsz);
  if (rl >= outsz)
    return -ENAMETOOLONG;
  int n = path_clean(cwd, path, out + rl, outsz - rl);
  if (n < 0)
    return n;
  memcpy(out, root, rl);
  if (n == 1) { // the root itself
    out[rl] = 0;
    return (int)rl;
  }
  return (int)rl + n;
}
