// The root file scheme (ramfs.c): the initramfs's tree in memory, writable under /tmp.
#pragma once
#include "types.h"
#include "file.h"

extern const struct scheme ramfs_scheme;
void ramfs_init(const void *cpio, size_t size);

// What exec and proc: need from the root file scheme.
struct rnode;
int ramfs_resolve(const char *path, bool follow, struct rnode **out);
int ramfs_exec_image(const char *path, const uint8_t **data, size_t *size, uint32_t *mode,
                     uint32_t *uid, uint32_t *gid, char *realpath, size_t realsz, bool *stable);
int ramfs_stat_path(const char *path, bool follow, struct stat *st);
int ramfs_file_path(struct file *f, char *out, size_t n);
// For /proc/PID/fd and statfs: the name of an open file (any kind), the device node
// of a scheme, the bytes of file data on a file system (by st_dev).
int ramfs_name(struct file *f, char *out, size_t n);
int ramfs_device_name(const char *scheme, char *out, size_t n);
uint64_t ramfs_bytes(uint64_t dev);
int ramfs_reopen(struct file *f, struct file *of, int flags); // of: a file of this scheme
// A device node made at run time (vcon.c): path relative to the root, target a scheme path.
int ramfs_add_device(const char *path, const char *target);

// Mapping files (vm.c, sysmem.c): a mapping holds its node as an open file does.
int ramfs_map_node(struct file *f, bool shared, struct rnode **out);
int ramfs_map_page(struct rnode *n, uint64_t off, bool shared, uint8_t **frame, bool *cow);
int ramfs_cached_page(struct rnode *n, uint64_t off, uint8_t **frame);
size_t ramfs_cache_pages(void); // frames the archive files' page caches hold
void ramfs_node_hold(struct rnode *n);
int ramfs_node_path(const struct rnode *n, char *out, size_t outsz);
void ramfs_node_drop(struct rnode *n);
void ramfs_node_ids(const struct rnode *n, uint64_t *dev, uint64_t *ino);

// Changing the tree (sysfs.c). Paths are clean and absolute, of the root file
// scheme. FS_SLASH in flags: the user's path ended in '/' (which cleaning removed), so
// it must name a directory.
#define FS_SLASH 0x40000000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_IXGRP 00010
#define FS_NOCHANGE 0xffffffffu // chown: keep this id
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
int ramfs_mkdir(const char *path, uint32_t mode);
int ramfs_mknod(const char *path, uint32_t mode, uint64_t dev);
int ramfs_unlink(const char *path, int flags); // flags: AT_REMOVEDIR, FS_SLASH
int ramfs_symlink(const char *target, const char *path, int flags);
int ramfs_link(struct rnode *n, const char *path, int flags);
int ramfs_rename(const char *from, const char *to, int flags);
int ramfs_lookup(const char *path, bool follow, bool must_dir, struct rnode **out);
struct rnode *ramfs_file_node(struct file *f); // NULL: not a file of this scheme
int ramfs_chmod(struct rnode *n, uint32_t mode);
int ramfs_chown(struct rnode *n, uint32_t uid, uint32_t gid);
int ramfs_utimens(struct rnode *n, const struct timespec_k *ts);
int ramfs_truncate(struct rnode *n, uint64_t len, bool check_write);

// Socket nodes (unix.c): bind makes one pointing at its socket (EADDRINUSE if the name
// exists); connect finds the socket (-ECONNREFUSED: not a socket, or no longer bound);
// the socket unbinds when it closes, and the node goes once unlinked too.
int ramfs_mksock(const char *path, uint32_t mode, void *sock, struct rnode **out);
int ramfs_sock_find(const char *path, void **sock);
void ramfs_sock_unbind(struct rnode *n);
