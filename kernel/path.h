// Path names: which scheme a path goes to, and lexical clean-up. Pure, unit-tested.
#pragma once
#include "types.h"

#define PATH_MAX_K 4096
#define SCHEME_NAME_MAX 16

// Decide the scheme of a path:
//   "name:rest"          -> scheme "name", rest "rest"  (name is [a-z0-9_-]+, no '/')
//   "/scheme/name/rest"  -> scheme "name", rest "rest"  ("/scheme/name" -> rest "")
//   "/x/y" or "x/y"      -> scheme "" (the root file scheme), rest = the path unchanged
// scheme must hold SCHEME_NAME_MAX bytes. Returns 0 or -ENAMETOOLONG (scheme name too
// long) or -ENOENT (empty path).
// "/scheme" and "/scheme/" stay with the root file scheme (rest = path); extra slashes
// around the name are skipped ("/scheme//tcp//a" -> "tcp", "a"); a "/scheme/" name
// with characters no scheme can have ("/scheme/Foo") is -ENOENT. Callers should clean
// the path first (path_clean) so "." and ".." are already gone.
int path_scheme(const char *path, char *scheme, const char **rest);

// Make an absolute, clean path from cwd (absolute) and path (absolute or relative):
// collapses "//", drops ".", and resolves ".." lexically (never above "/").
// Writes at most outsz bytes including the NUL. Returns the length, or -ENAMETOOLONG.
// cwd is only read for a relative path (it may be NULL otherwise); both inputs must be
// shorter than PATH_MAX_K; out must not overlap them; an empty path gives cwd. The
// result must fit in out at every step of the walk, not only at the end.
int path_clean(const char *cwd, const char *path, char *out, size_t outsz);

// Next component of a path: skips leading '/', sets *comp and *len, returns the rest
// (pointing just past the component). Returns NULL when there is no component left.
const char *path_next(const char *p, const char **comp, size_t *len);

// A clean absolute path as seen from inside root (chroot): the part of path under root
// ("/" for root itself), or NULL if path is not root or under it. Both clean, absolute.
const char *path_under(const char *root, const char *path);

// path_clean for a process whose root is root (clean, absolute; "/" is no change): path
// (absolute, or relative to cwd, which is given as seen inside root) is taken as seen
// inside root, so ".." never climbs above it; out gets the real path, root's joined with
// the result. Returns the length or -ENAMETOOLONG.
int path_clean_in(const char *root, const char *cwd, const char *path, char *out, size_t outsz);
