// Host tests for kernel/path.c: scheme selection, lexical clean-up, component walking.
#include <stdlib.h>
#include <string.h>
#include "types.h"
#include "errno.h"
#include "path.h"
#include "hosttest.h"

// path_scheme(path) must give (want_rc, want_scheme, rest == path + rest_off).
static void scheme_case(const char *path, int want_rc, const char *want_scheme,
                        size_t rest_off) {
  char scheme[SCHEME_NAME_MAX + 8];
  memset(scheme, 'Z', sizeof(scheme));
  const char *rest = NULL;
  int rc = path_scheme(path, scheme, &rest);
  if (rc != want_rc) {
    FAILF("\"%s\": rc %d, want %d", path, rc, want_rc);
    return;
  }
  if (rc != 0)
    return;
  if (memchr(scheme, '\0', SCHEME_NAME_MAX) == NULL || strcmp(scheme, want_scheme) != 0)
    FAILF("\"%s\": scheme \"%.*s\", want \"%s\"", path, SCHEME_NAME_MAX, scheme,
          want_scheme);
  else if (rest != path + rest_off)
    FAILF("\"%s\": rest \"%s\", want \"%s\"", path, rest ? rest : "(null)",
          path + rest_off);
}

// Tables of scheme_case arguments: SCHEMES({path, rc, scheme, rest_off}, ...).
struct scheme_want {
  const char *path;
  int rc;
  const char *scheme;
  size_t rest_off;
};
static void scheme_cases(const struct scheme_want *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    scheme_case(c[i].path, c[i].rc, c[i].scheme, c[i].rest_off);
}
#define SCHEMES(...) scheme_cases(HT_TABLE(struct scheme_want, __VA_ARGS__))

static void scheme_prefix(void) {
  SCHEMES({"null:", 0, "null", 5}, {"file:/a/b", 0, "file", 5},
          {"a-b_c9:x", 0, "a-b_c9", 7}, {"tcp:/scheme/x", 0, "tcp", 4},
          {"x::", 0, "x", 2});
}

// Not a scheme: an empty name, upper case (not a scheme character), '/' before the ':'.
static void not_a_scheme(void) {
  SCHEMES({":x", 0, "", 0}, {"Foo:x", 0, "", 0}, {"a.b:x", 0, "", 0}, {"a/b:c", 0, "", 0},
          {"/a:b", 0, "", 0}, {"/x/y", 0, "", 0}, {"x/y", 0, "", 0}, {"plain", 0, "", 0},
          {".", 0, "", 0});
}

static void scheme_name_length(void) {
  SCHEMES({"abcdefghijklmno:r", 0, "abcdefghijklmno", 16}, // 15 + NUL fits
          {"abcdefghijklmnop:r", -ENAMETOOLONG, "", 0},
          {"/scheme/abcdefghijklmno/r", 0, "abcdefghijklmno", 24},
          {"/scheme/abcdefghijklmnop/r", -ENAMETOOLONG, "", 0});
}

static void scheme_dir(void) {
  SCHEMES({"/scheme", 0, "", 0}, {"/scheme/", 0, "", 0}, {"/scheme//", 0, "", 0},
          {"/scheme/null", 0, "null", 12}, {"/scheme/null/", 0, "null", 13},
          {"/scheme/tcp/a/b", 0, "tcp", 12}, {"/scheme//tcp//a/b", 0, "tcp", 14},
          {"/schemes/x", 0, "", 0}, {"/schemex", 0, "", 0}, {"scheme/x", 0, "", 0},
          {"/scheme/Bad", -ENOENT, "", 0}, {"/scheme/a:b", -ENOENT, "", 0});
}

static void empty_path(void) { scheme_case("", -ENOENT, "", 0); }

// path_clean into a heap buffer of exactly outsz bytes (ASan catches overruns).
static void clean_case(const char *cwd, const char *path, size_t outsz, int want_rc,
                       const char *want) {
  char *out = malloc(outsz ? outsz : 1);
  int rc = path_clean(cwd, path, out, outsz);
  if (rc != want_rc)
    FAILF("(\"%s\", \"%s\", %zu): rc %d, want %d", cwd ? cwd : "NULL", path, outsz, rc,
          want_rc);
  else if (rc >= 0 && (strcmp(out, want) != 0 || strlen(out) != (size_t)rc))
    FAILF("(\"%s\", \"%s\"): \"%s\", want \"%s\"", cwd ? cwd : "NULL", path, out, want);
  free(out);
}

// Tables of path_clean(cwd, path) results with room to spare: CLEANS({cwd, path, want}).
struct clean_want {
  const char *cwd, *path, *want;
};
static void clean_cases(const struct clean_want *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    clean_case(c[i].cwd, c[i].path, PATH_MAX_K, (int)strlen(c[i].want), c[i].want);
}
#define CLEANS(...) clean_cases(HT_TABLE(struct clean_want, __VA_ARGS__))

static void clean_basic(void) {
  CLEANS({"/", "/", "/"}, {"/", "a", "/a"}, {"/home/u", "a/b", "/home/u/a/b"},
         {"/home/u", "/etc", "/etc"},
         {NULL, "/etc/passwd", "/etc/passwd"}, // cwd is not read for absolute paths
         {"/x", "", "/x"}, {"/a/b/", "", "/a/b"});
}

// An untidy cwd is cleaned too; only "." and ".." are special.
static void clean_slashes_and_dots(void) {
  CLEANS({"/", "//a//b//", "/a/b"}, {"/", "/a/./b/.", "/a/b"}, {"/", "./././", "/"},
         {"//a/./b/", "c", "/a/b/c"}, {"/", "/a/.../..b/.c/b..", "/a/.../..b/.c/b.."});
}

static void clean_dotdot(void) {
  CLEANS({"/", "/a/b/..", "/a"}, {"/", "/..", "/"}, {"/", "/../../a", "/a"},
         {"/a/b", "../../../c", "/c"}, {"/a/b", "..", "/a"}, {"/a", "..", "/"},
         {"/a", "../..", "/"}, {"/a/b/c", "../x/../../y", "/a/y"},
         {"/", "/a/b/../../c/d/..", "/c"});
}

static void clean_out_size(void) {
  clean_case("/", "/abc", 5, 4, "/abc"); // exactly fits with its NUL
  clean_case("/", "/abc", 4, -ENAMETOOLONG, "");
  clean_case("/", "/", 2, 1, "/");
  clean_case("/", "/", 1, -ENAMETOOLONG, "");
  clean_case("/", "/", 0, -ENAMETOOLONG, "");
  clean_case("/ab", "c", 6, 5, "/ab/c");
  clean_case("/ab", "c", 5, -ENAMETOOLONG, "");
}

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void clean_long_paths(void) {
  char *p = repeat('a', PATH_MAX_K - 1);
  p[0] = '/';
  clean_case("/", p, PATH_MAX_K, PATH_MAX_K - 1, p); // the longest that fits
  free(p);
  p = repeat('/', PATH_MAX_K); // cleans to "/", but is too long to be a path
  clean_case("/", p, PATH_MAX_K, -ENAMETOOLONG, "");
  char *cwd = repeat('c', PATH_MAX_K);
  cwd[0] = '/';
  clean_case(cwd, "x", PATH_MAX_K, -ENAMETOOLONG, "");
  clean_case(cwd, "/x", PATH_MAX_K, 2, "/x"); // the cwd is not used
  free(cwd);
  cwd = repeat('c', 3000);
  cwd[0] = '/';
  free(p);
  p = repeat('p', 2000);
  clean_case(cwd, p, PATH_MAX_K, -ENAMETOOLONG, ""); // each fits, not together
  free(cwd);
  free(p);
}

// A second, independent cleaner: split into components, keep a stack, join.
static void reference_clean(const char *cwd, const char *path, char *out) {
  char buf[256], *stack[128], *save = NULL;
  int depth = 0;
  snprintf(buf, sizeof(buf), "%s/%s", path[0] == '/' ? "" : cwd, path);
  for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, "..") == 0)
      depth -= depth > 0;
    else if (strcmp(c, ".") != 0)
      stack[depth++] = c;
  }
  out[0] = '\0';
  for (int i = 0; i < depth; i++)
    strcat(strcat(out, "/"), stack[i]);
  if (depth == 0)
    strcpy(out, "/");
}

static void random_string(char *s, int max) {
  static const char alphabet[] = "ab./";
  int n = rand() % max;
  for (int i = 0; i < n; i++)
    s[i] = alphabet[rand() % 4];
  s[n] = '\0';
}

// Random paths over a small alphabet agree with the reference and are fixed points.
static void clean_matches_reference(void) {
  srand(4242);
  for (int iter = 0; iter < 100000; iter++) {
    char cwd[24] = "/", path[24], out[128], again[128], want[256];
    random_string(cwd + 1, 20);
    random_string(path, 20);
    int rc = path_clean(cwd, path, out, sizeof(out));
    reference_clean(cwd, path, want);
    if (rc < 0 || strcmp(out, want) != 0) {
      FAILF("(\"%s\", \"%s\"): rc %d \"%s\", want \"%s\"", cwd, path, rc, out, want);
      return;
    }
    if (path_clean("/", out, again, sizeof(again)) != rc || strcmp(again, out) != 0) {
      FAILF("cleaning \"%s\" again gave \"%s\"", out, again);
      return;
    }
  }
}

// Walk p with path_next and compare the components with want (space-separated).
static void next_case(const char *p, const char *want) {
  char got[256] = "";
  const char *comp, *rest = p;
  size_t len;
  while ((rest = path_next(rest, &comp, &len)) != NULL) {
    if (comp + len != rest) {
      FAILF("\"%s\": rest is not just past the component", p);
      return;
    }
    snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s", got[0] ? " " : "",
             (int)len, comp);
  }
  if (strcmp(got, want) != 0)
    FAILF("\"%s\": components \"%s\", want \"%s\"", p, got, want);
}

static void next_components(void) {
  next_case("/a//bc/", "a bc");
  next_case("abc", "abc");
  next_case("", "");
  next_case("///", "");
  next_case("/./../x", ". .. x");
  next_case("a/b/c/d", "a b c d");
}

// chroot's view: path_under and path_clean_in.
static void in_case(const char *root, const char *cwd, const char *path, const char *want) {
  char out[64];
  int n = path_clean_in(root, cwd, path, out, sizeof out);
  if (want == NULL ? n != -ENAMETOOLONG : n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want))
    FAILF("root \"%s\" cwd \"%s\" path \"%s\": %d \"%s\", want \"%s\"", root, cwd, path, n,
          n < 0 ? "" : out, want ? want : "ENAMETOOLONG");
}

static void clean_in_root(void) {
  in_case("/", "/a", "b/../c", "/a/c");
  in_case("/j", "/", "/etc/x", "/j/etc/x");
  in_case("/j", "/", "/", "/j");
  in_case("/j", "/", "..", "/j");
  in_case("/j", "/d", "../../../etc", "/j/etc");
  in_case("/j/k", "/d", "x/./y/..", "/j/k/d/x");
  in_case("/j", "/", "/../..//a/", "/j/a");
  in_case("/0123456789012345678901234567890123456789012345678901234567890", "/", "/abc", NULL);
  const char *u;
  if (strcmp(path_under("/", "/a/b"), "/a/b") != 0 || strcmp(path_under("/j", "/j"), "/") != 0 ||
      strcmp((u = path_under("/j", "/j/x/y")) ? u : "", "/x/y") != 0 ||
      path_under("/j", "/jk") != NULL || path_under("/j", "/") != NULL ||
      path_under("/j/k", "/j") != NULL)
    FAILF("path_under");
}

static const struct ht_case cases[] = {
    HT(scheme_prefix), HT(not_a_scheme), HT(scheme_name_length), HT(scheme_dir),
    HT(empty_path), HT(clean_basic), HT(clean_slashes_and_dots), HT(clean_dotdot),
    HT(clean_out_size), HT(clean_long_paths), HT(clean_matches_reference),
    HT(next_components), HT(clean_in_root),
};

int main(int argc, char **argv) { return HT_MAIN(cases, argc, argv, NULL); }
