// mkbadelf OUTDIR: write malformed ELF executables for usertests' exec tests.
//
// Every file starts from one minimal, valid static x86-64 executable built here in
// memory (one PT_LOAD, code `mov $60,%eax; xor %edi,%edi; syscall`), then breaks one
// thing. OUTDIR/badelf-valid is that program unchanged: the control, which must run
// and exit 0. The other files must make execve fail; tests/guest/usertests.c holds the errno
// Vitrine returns for each (ENOEXEC for format errors, EINVAL for impossible segments,
// ENOENT/EACCES/EIO/ELIBBAD for the interpreter cases, as Linux).
//
// Several cases are shaped so that Linux, which checks less before mapping, still fails
// cleanly (the test suite is validated on the host): e.g. the overlapping segment is
// non-executable and maps over the code, so Linux runs into a fault instead of exit 0.
// Linux does not check EI_CLASS at all and runs badelf-class32 (it exits 99).
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfbuild.h"

#define BASE 0x400000ULL // where the image is loaded (ET_EXEC)
#define CODE_OFF 0x100   // code lives here; room before it for up to 3 program headers
#define INTERP_OFF 0x180 // an interpreter path, for the PT_INTERP case
#define IMG_SIZE 0x200   // file size of the valid image

// The valid control exits 0. Every malformed file exits RAN_STATUS instead if a kernel
// runs it anyway, so "it ran" cannot be mistaken for the control's success.
#define RAN_STATUS 99
static const unsigned char exit0[] = {
    0xb8, 0x3c, 0x00, 0x00, 0x00, // mov $60, %eax (exit)
    0x31, 0xff,                   // xor %edi, %edi
    0x0f, 0x05,                   // syscall
};
static const unsigned char exit99[] = {
    0xb8, 0x3c, 0x00, 0x00, 0x00,       // mov $60, %eax (exit)
    0xbf, RAN_STATUS, 0x00, 0x00, 0x00, // mov $RAN_STATUS, %edi
    0x0f, 0x05,                         // syscall
};

struct img {
  unsigned char b[IMG_SIZE];
  size_t len; // bytes written to the file (may be less than IMG_SIZE: truncation)
};

static Elf64_Ehdr *ehdr(struct img *m) { return (Elf64_Ehdr *)m->b; }
static Elf64_Phdr *phdr(struct img *m, int i) {
  return (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

// The valid control image: one R+X PT_LOAD mapping the whole file at BASE.
static void valid(struct img *m, const unsigned char *code, size_t codelen) {
  memset(m, 0, sizeof *m);
  elf_header(ehdr(m), ET_EXEC, BASE + CODE_OFF, 1);
  *phdr(m, 0) = elf_phdr(PT_LOAD, PF_R | PF_X, 0, BASE, IMG_SIZE, IMG_SIZE);
  memcpy(m->b + CODE_OFF, code, codelen);
  m->len = IMG_SIZE;
}

// Append a copy of program header 0 as header n (the table grows to n+1 entries).
static Elf64_Phdr *add_phdr(struct img *m) {
  int n = ehdr(m)->e_phnum++;
  *phdr(m, n) = *phdr(m, 0);
  return phdr(m, n);
}

static void trunc_ehdr(struct img *m) { m->len = 40; }
// The file ends in the middle of the only program header.
static void trunc_phdr(struct img *m) { m->len = sizeof(Elf64_Ehdr) + 30; }
static void bad_magic(struct img *m) { m->b[EI_MAG1] = 'X'; }
static void class32(struct img *m) { m->b[EI_CLASS] = ELFCLASS32; }
static void machine(struct img *m) { ehdr(m)->e_machine = EM_AARCH64; }
static void type_rel(struct img *m) { ehdr(m)->e_type = ET_REL; }
static void phentsize(struct img *m) { ehdr(m)->e_phentsize = 32; }
static void phnum0(struct img *m) { ehdr(m)->e_phnum = 0; }
// 65535 headers of 56 bytes: far past the end of the file.
static void phnum_huge(struct img *m) { ehdr(m)->e_phnum = 0xffff; }
// phoff + phnum * phentsize overflows 64 bits.
static void phoff_overflow(struct img *m) { ehdr(m)->e_phoff = 0xfffffffffffffff0ULL; }
// A program header table with no PT_LOAD at all: nothing to run.
static void no_load(struct img *m) { phdr(m, 0)->p_type = PT_NOTE; }

static void kernel_seg(struct img *m) {
  phdr(m, 0)->p_vaddr = phdr(m, 0)->p_paddr = 0xffffffff80000000ULL;
  ehdr(m)->e_entry = 0xffffffff80000000ULL + CODE_OFF;
}

// A second, writable but non-executable segment over the same page as the code.
static void overlap(struct img *m) {
  Elf64_Phdr *p = add_phdr(m);
  p->p_flags = PF_R | PF_W;
}

static void filesz_gt_memsz(struct img *m) { phdr(m, 0)->p_memsz = 0x10; }

// The segment's file bytes start past the end of the file (offset and address stay
// congruent modulo the page size, so only the offset is wrong).
static void offset_past_end(struct img *m) { phdr(m, 0)->p_offset = 0x10000; }

static void huge_memsz(struct img *m) { phdr(m, 0)->p_memsz = 1ULL << 63; }
// vaddr + memsz wraps around 2^64.
static void wrap(struct img *m) { phdr(m, 0)->p_memsz = 0xfffffffffffff000ULL; }

// p_vaddr and p_offset differ modulo the page size: the segment cannot be mapped.
static void misaligned(struct img *m) {
  phdr(m, 0)->p_vaddr = phdr(m, 0)->p_paddr = BASE + 8;
  ehdr(m)->e_entry = BASE + 8 + CODE_OFF;
}

// A PT_INTERP (before the PT_LOAD, as it must come) naming path, of filesz bytes.
static Elf64_Phdr *set_interp(struct img *m, const char *path, size_t filesz) {
  Elf64_Phdr *load = add_phdr(m);
  *load = *phdr(m, 0);
  Elf64_Phdr *p = phdr(m, 0);
  *p = elf_phdr(PT_INTERP, PF_R, INTERP_OFF, BASE + INTERP_OFF, filesz, filesz);
  p->p_align = 1;
  memcpy(m->b + INTERP_OFF, path, strlen(path) + 1);
  return p;
}

// An interpreter that does not exist: ENOENT, on Linux too.
static void interp(struct img *m) {
  static const char path[] = "/nonexistent/ld-vitrine.so";
  set_interp(m, path, sizeof path);
}

// The interpreter path does not end in NUL (ENOEXEC).
static void interp_nonul(struct img *m) { set_interp(m, "/tests/badelf-valid", 19); }

// A path of one byte (ENOEXEC: too short to name anything).
static void interp_short(struct img *m) { set_interp(m, "/", 1); }

// The path lies past the end of the file (Linux's short read: EIO).
static void interp_past_end(struct img *m) {
  set_interp(m, "/tests/badelf-valid", 20)->p_offset = 0x10000;
}

// The interpreter is not an ELF file (ELIBBAD): the bad-magic case, executable.
static void interp_notelf(struct img *m) {
  static const char path[] = "/tests/badelf-bad-magic";
  set_interp(m, path, sizeof path);
}

// The interpreter is a directory (EACCES, as any exec of one).
static void interp_dir(struct img *m) { set_interp(m, "/tests", 7); }

// The interpreter itself names an interpreter, and is a fixed-address program loaded
// where the program is: Vitrine refuses it (ELIBBAD) before the point of no return;
// Linux maps it over the program and the process dies.
static void interp_dynamic(struct img *m) {
  static const char path[] = "/tests/badelf-interp";
  set_interp(m, path, sizeof path);
}

// The entry point lies in no segment.
static void entry_outside(struct img *m) { ehdr(m)->e_entry = 0x500000; }

static void none(struct img *m) { (void)m; }

static const struct {
  const char *name; // cases[0] is the valid control
  void (*mutate)(struct img *);
} cases[] = {
    {"valid", none},
    {"trunc-ehdr", trunc_ehdr},
    {"trunc-phdr", trunc_phdr},
    {"bad-magic", bad_magic},
    {"class32", class32},
    {"machine", machine},
    {"type-rel", type_rel},
    {"phentsize", phentsize},
    {"phnum0", phnum0},
    {"phnum-huge", phnum_huge},
    {"phoff-overflow", phoff_overflow},
    {"no-load", no_load},
    {"interp", interp},
    {"interp-nonul", interp_nonul},
    {"interp-short", interp_short},
    {"interp-past-end", interp_past_end},
    {"interp-notelf", interp_notelf},
    {"interp-dir", interp_dir},
    {"interp-dynamic", interp_dynamic},
    {"kernel-seg", kernel_seg},
    {"overlap", overlap},
    {"filesz-gt-memsz", filesz_gt_memsz},
    {"offset-past-end", offset_past_end},
    {"huge-memsz", huge_memsz},
    {"wrap", wrap},
    {"misaligned", misaligned},
    {"entry-outside", entry_outside},
};

static int write_file(const char *dir, const char *name, const struct img *m) {
  char path[4096];
  snprintf(path, sizeof path, "%s/badelf-%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (fd < 0 || write(fd, m->b, m->len) != (ssize_t)m->len || close(fd) < 0) {
    fprintf(stderr, "mkbadelf: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: mkbadelf OUTDIR\n");
    return 2;
  }
  mkdir(argv[1], 0755); // may exist already; write_file reports real problems
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct img m;
    if (i == 0)
      valid(&m, exit0, sizeof exit0);
    else
      valid(&m, exit99, sizeof exit99);
    cases[i].mutate(&m);
    if (write_file(argv[1], cases[i].name, &m) < 0)
      return 1;
  }
  return 0;
}
