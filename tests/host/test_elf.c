// Host tests for kernel/elf.c. Images are built in memory with the host's <elf.h>, so
// the structure layouts elf.c defines for itself are checked against the real ones.
// Extra ELF files given on the command line are parsed as further cases.
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "types.h"
#include "errno.h"
#include "elf.h"
#include "hosttest.h"
#include "../../tools/elfbuild.h"

#define USER_TOP 0x800000000000ull
#define PIE_BASE 0x10000000ull
#define IMG_MAX 0x20000

static _Alignas(8) unsigned char img[IMG_MAX];
static size_t img_size;

static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(img + eh()->e_phoff) + i; }

static void set_ph(int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                   uint64_t filesz, uint64_t memsz) {
  *ph(i) = elf_phdr(type, flags, off, vaddr, filesz, memsz);
}

// The standard image: headers in a read-only page, text, data+bss, GNU_STACK.
//   LOAD R   off 0      vaddr V+0      filesz 0x200 memsz 0x200
//   LOAD R X off 0x1000 vaddr V+0x1000 filesz 0x800 memsz 0x800
//   LOAD RW  off 0x2000 vaddr V+0x2000 filesz 0x100 memsz 0x3000
// entry V+0x1010; the file is 0x2100 bytes.
static void build(uint16_t type, uint64_t v) {
  memset(img, 0xcc, sizeof(img));
  elf_header(eh(), type, v + 0x1010, 4);
  set_ph(0, PT_LOAD, PF_R, 0, v, 0x200, 0x200);
  set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, v + 0x1000, 0x800, 0x800);
  set_ph(2, PT_LOAD, PF_R | PF_W, 0x2000, v + 0x2000, 0x100, 0x3000);
  set_ph(3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
  img_size = 0x2100;
}

static void build_exec(void) { build(ET_EXEC, 0x400000); }

// Parse a copy of exactly img[0..size) on the heap, so ASan reports any read past it.
static int parse_n(size_t size, uint64_t base, uint64_t top, struct elf_image *out) {
  unsigned char *copy = malloc(size ? size : 1);
  memcpy(copy, img, size);
  int rc = elf_parse(copy, size, base, top, out);
  free(copy);
  return rc;
}

static int parse(void) {
  struct elf_image im;
  return parse_n(img_size, PIE_BASE, USER_TOP, &im);
}

static void valid_exec(void) {
  build_exec();
  struct elf_image im;
  if (!EXPECT_EQ(parse_n(img_size, PIE_BASE, USER_TOP, &im), 0))
    return;
  // (Only the first failed check is reported, so stopping after one loses nothing.)
  if (!EXPECT_ALL(EQ(im.base, 0), EQ(im.entry, 0x401010), EQ(im.phdr_vaddr, 0x400040),
                  EQ(im.phnum, 4), EQ(im.phent, 56), EQ(im.lo, 0x400000),
                  EQ(im.hi, 0x405000), EQ(im.nseg, 3)))
    return;
  EXPECT_ALL(EQ(im.seg[0].vaddr, 0x400000), EQ(im.seg[0].prot, PROT_READ),
             EQ(im.seg[1].vaddr, 0x401000), EQ(im.seg[1].fileoff, 0x1000),
             EQ(im.seg[1].filesz, 0x800), EQ(im.seg[1].prot, PROT_READ | PROT_EXEC),
             EQ(im.seg[2].memsz, 0x3000), EQ(im.seg[2].filesz, 0x100),
             EQ(im.seg[2].prot, PROT_READ | PROT_WRITE));
}

static void valid_pie(void) {
  build(ET_DYN, 0);
  struct elf_image im;
  if (!EXPECT_EQ(parse_n(img_size, PIE_BASE, USER_TOP, &im), 0))
    return;
  EXPECT_ALL(EQ(im.base, PIE_BASE), EQ(im.entry, PIE_BASE + 0x1010),
             EQ(im.phdr_vaddr, PIE_BASE + 0x40), EQ(im.lo, PIE_BASE),
             EQ(im.hi, PIE_BASE + 0x5000), EQ(im.nseg, 3),
             EQ(im.seg[2].vaddr, PIE_BASE + 0x2000),
             EQ(im.seg[2].fileoff, 0x2000)); // file offsets are not relocated
}

static void pie_at_zero_rejected(void) {
  build(ET_DYN, 0);
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), -EINVAL); // first page must stay unmapped
}

static void pie_misaligned_base(void) {
  build(ET_DYN, 0);
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, PIE_BASE + 0x10, USER_TOP, &im), -EINVAL);
}

static void pie_base_overflow(void) {
  build(ET_DYN, 0);
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0xfffffffffffff000ull, UINT64_MAX, &im), -EINVAL);
}

static void exec_ignores_pie_base(void) {
  build_exec();
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0x7000000, USER_TOP, &im), 0);
  EXPECT_EQ(im.base, 0);
  EXPECT_EQ(im.entry, 0x401010);
}

static void pt_phdr_used(void) {
  build_exec();
  set_ph(3, PT_PHDR, PF_R, 0x40, 0x400080, 4 * 56, 4 * 56);
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.phdr_vaddr, 0x400080); // taken from PT_PHDR, not computed
  build(ET_DYN, 0);
  set_ph(3, PT_PHDR, PF_R, 0x40, 0x40, 4 * 56, 4 * 56);
  EXPECT_EQ(parse_n(img_size, PIE_BASE, USER_TOP, &im), 0);
  EXPECT_EQ(im.phdr_vaddr, PIE_BASE + 0x40);
}

static void phdr_not_loaded(void) {
  build_exec();
  // Move the table past every segment's file bytes.
  memcpy(img + 0x2100, img + 0x40, 4 * 56);
  eh()->e_phoff = 0x2100;
  img_size = 0x2100 + 4 * 56;
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.phdr_vaddr, 0);
}

static void phdr_partly_loaded(void) {
  build_exec();
  ph(0)->p_filesz = ph(0)->p_memsz = 0x40 + 56; // holds only the first entry
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.phdr_vaddr, 0);
}

// Cases: the standard executable with up to three fields changed (a field of the ELF
// header, a byte of e_ident, or a field of a program header), and what parsing it must
// give.
struct img_set {
  size_t off, size; // where in the image (size 0: no change)
  uint64_t value;
};
#define EH_SET(field, value)                                                           \
  {offsetof(Elf64_Ehdr, field), sizeof(((Elf64_Ehdr *)0)->field), (value)}
#define ID_SET(index, value) {(index), 1, (value)}
#define PH_SET(seg, field, value)                                                      \
  {sizeof(Elf64_Ehdr) + (seg) * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, field),      \
   sizeof(((Elf64_Phdr *)0)->field), (value)}
struct img_case {
  const char *what;
  int want;
  struct img_set set[3];
};

static void img_cases(const struct img_case *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    build_exec();
    for (int j = 0; j < 3 && c[i].set[j].size; j++)
      memcpy(img + c[i].set[j].off, &c[i].set[j].value, c[i].set[j].size);
    int rc = parse();
    if (rc != c[i].want)
      FAILF("%s: got %d, want %d", c[i].what, rc, c[i].want);
  }
}
#define IMG_CASES(...) img_cases(HT_TABLE(struct img_case, __VA_ARGS__))

static void bad_magic(void) {
  for (int i = 0; i < 4; i++) {
    build_exec();
    img[i] ^= 0x20;
    if (parse() != -ENOEXEC)
      FAILF("magic byte %d changed: got %d", i, parse());
  }
}

static void bad_ident(void) {
  IMG_CASES({"ELFCLASS32", -ENOEXEC, {ID_SET(EI_CLASS, ELFCLASS32)}},
            {"class 0", -ENOEXEC, {ID_SET(EI_CLASS, 0)}},
            {"ELFDATA2MSB", -ENOEXEC, {ID_SET(EI_DATA, ELFDATA2MSB)}},
            {"EI_VERSION 0", -ENOEXEC, {ID_SET(EI_VERSION, 0)}},
            {"e_version 2", -ENOEXEC, {EH_SET(e_version, 2)}});
}

// Each value of a 16-bit field of the ELF header, in the standard executable, is
// -ENOEXEC.
static void bad_u16(size_t off, const char *field, const uint16_t *values, size_t n) {
  for (size_t i = 0; i < n; i++) {
    build_exec();
    memcpy(img + off, &values[i], sizeof(values[i]));
    int rc = parse();
    if (rc != -ENOEXEC)
      FAILF("%s %#x: got %d, want -ENOEXEC", field, values[i], rc);
  }
}
#define BAD_U16(field, ...)                                                            \
  bad_u16(offsetof(Elf64_Ehdr, field), #field, HT_TABLE(uint16_t, __VA_ARGS__))

static void bad_machine(void) { BAD_U16(e_machine, EM_386, EM_AARCH64); }
static void bad_type(void) { BAD_U16(e_type, ET_NONE, ET_REL, ET_CORE, 0xfe00); }
static void bad_phentsize(void) { BAD_U16(e_phentsize, 32, 64, 0); }
static void bad_phnum(void) { BAD_U16(e_phnum, 0, 65, 0xffff); }

static void phnum_64_ok(void) {
  build_exec();
  // Entries 4..63 are PT_NULL; the table then runs past the first segment's bytes.
  for (int i = 4; i < 64; i++)
    set_ph(i, PT_NULL, 0, 0, 0, 0, 0);
  eh()->e_phnum = 64;
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.nseg, 3);
  EXPECT_EQ(im.phnum, 64);
  EXPECT_EQ(im.phdr_vaddr, 0);
}

static void phdrs_outside_file(void) {
  build_exec();
  eh()->e_phoff = img_size - 56; // only the first of four entries fits
  EXPECT_EQ(parse(), -ENOEXEC);
  eh()->e_phoff = img_size;
  EXPECT_EQ(parse(), -ENOEXEC);
  eh()->e_phoff = 0xffffffffffffffc0ull; // phoff + table wraps around
  EXPECT_EQ(parse(), -ENOEXEC);
  eh()->e_phoff = UINT64_MAX;
  EXPECT_EQ(parse(), -ENOEXEC);
}

// PT_INTERP: the first one's path is recorded; Linux's errors for a bad one.
static void interp_recorded(void) {
  build_exec();
  set_ph(3, PT_INTERP, PF_R, 0x1100, 0x401100, 28, 28);
  memcpy(img + 0x1100, "/lib64/ld-linux-x86-64.so.2", 28);
  struct elf_image im;
  if (EXPECT_EQ(parse_n(img_size, PIE_BASE, USER_TOP, &im), 0)) {
    EXPECT_EQ(im.interp_off, 0x1100);
    EXPECT_EQ(im.interp_len, 28);
  }
  img[0x1100 + 27] = 'x'; // no NUL at the end
  EXPECT_EQ(parse(), -ENOEXEC);
  img[0x1100 + 27] = 0;
  ph(3)->p_filesz = 1; // too short to name anything
  EXPECT_EQ(parse(), -ENOEXEC);
  ph(3)->p_filesz = 4097; // longer than PATH_MAX
  EXPECT_EQ(parse(), -ENOEXEC);
  ph(3)->p_filesz = 28;
  ph(3)->p_offset = img_size - 10; // runs past the end: Linux's short read
  EXPECT_EQ(parse(), -EIO);
  ph(3)->p_offset = UINT64_MAX - 4; // offset + size wraps
  EXPECT_EQ(parse(), -EIO);
  build_exec();
  EXPECT_EQ(parse_n(img_size, PIE_BASE, USER_TOP, &im), 0);
  EXPECT_EQ(im.interp_len, 0); // none named
}

static void no_loads(void) {
  build_exec();
  for (int i = 0; i < 3; i++)
    ph(i)->p_type = PT_NOTE;
  EXPECT_EQ(parse(), -ENOEXEC);
  build_exec();
  for (int i = 0; i < 3; i++)
    ph(i)->p_memsz = ph(i)->p_filesz = 0;
  EXPECT_EQ(parse(), -ENOEXEC);
}

static void empty_load_skipped(void) {
  build_exec();
  // A zero-size load, even at address 0 and misaligned, maps nothing.
  set_ph(3, PT_LOAD, PF_R, 0x123, 0, 0, 0);
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.nseg, 3);
}

// n loads: one text page holding the headers, then n-1 bss pages.
static void build_many(int n) {
  memset(img, 0, sizeof(img));
  elf_header(eh(), ET_EXEC, 0x400100, n);
  set_ph(0, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x40 + 56 * n, 0x1000);
  for (int i = 1; i < n; i++)
    set_ph(i, PT_LOAD, PF_R | PF_W, 0, 0x400000 + 0x1000 * i, 0, 0x1000);
  img_size = 0x40 + 56 * n;
}

static void max_segments(void) {
  struct elf_image im;
  build_many(ELF_MAX_SEGS);
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.nseg, ELF_MAX_SEGS);
  EXPECT_EQ(im.hi, 0x400000 + 0x1000 * ELF_MAX_SEGS);
  build_many(ELF_MAX_SEGS + 1);
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), -EINVAL);
  build_many(64);
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), -EINVAL);
}

static void filesz_over_memsz(void) {
  build_exec();
  ph(2)->p_filesz = 0x3001;
  ph(2)->p_memsz = 0x3000;
  img_size = 0x6000;
  EXPECT_EQ(parse(), -EINVAL);
}

static void segment_past_file(void) {
  IMG_CASES({"filesz past the end", -EINVAL, {PH_SET(2, p_filesz, 0x101)}},
            {"offset + filesz wraps", -EINVAL,
             {PH_SET(2, p_offset, 0xfffffffffffff000ull), PH_SET(2, p_vaddr, 0x402000)}},
            {"huge sizes", -EINVAL,
             {PH_SET(2, p_filesz, UINT64_MAX - 0x1000),
              PH_SET(2, p_memsz, UINT64_MAX - 0x1000)}});
}

static void misaligned_offset(void) {
  IMG_CASES({"text offset", -EINVAL, {PH_SET(1, p_offset, 0x1008)}},
            {"data vaddr (offset 0x2000)", -EINVAL, {PH_SET(2, p_vaddr, 0x402100)}});
}

static void below_first_page(void) {
  build(ET_EXEC, 0);
  EXPECT_EQ(parse(), -EINVAL);
}

static void user_top_bound(void) {
  build_exec();
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, 0x405000, &im), 0); // ends exactly at user_top
  EXPECT_EQ(parse_n(img_size, 0, 0x404fff, &im), -EINVAL);
  build(ET_EXEC, USER_TOP - 0x4000); // the bss crosses user_top
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), -EINVAL);
}

static void memsz_wraps(void) {
  build_exec();
  ph(2)->p_memsz = UINT64_MAX - 0x1000; // vaddr + memsz wraps
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, UINT64_MAX, &im), -EINVAL);
  ph(2)->p_memsz = 1ull << 62;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), -EINVAL);
}

static void hi_would_wrap(void) {
  // A text segment ending within the last page of the address space: hi = 2^64.
  build(ET_EXEC, 0xffffffffffffc000ull);
  ph(2)->p_memsz = 0x1001;
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, UINT64_MAX, &im), -EINVAL);
}

static void unsorted_loads(void) {
  build_exec();
  Elf64_Phdr t = *ph(1);
  *ph(1) = *ph(2);
  *ph(2) = t;
  EXPECT_EQ(parse(), -EINVAL);
}

static void overlapping_loads(void) {
  IMG_CASES({"one byte into the data segment", -EINVAL, {PH_SET(1, p_memsz, 0x1001)}},
            {"ends exactly where data starts", 0, {PH_SET(1, p_memsz, 0x1000)}},
            {"the text's address twice", -EINVAL,
             {PH_SET(2, p_vaddr, 0x401000), PH_SET(2, p_offset, 0x1000)}});
}

static void shared_page_ok(void) {
  // Data starting in the text segment's last page, past its last byte, is allowed:
  // the loader deals with pages, the format only forbids overlapping bytes.
  build_exec();
  ph(2)->p_vaddr = 0x401900;
  ph(2)->p_offset = 0x1900;
  struct elf_image im;
  EXPECT_EQ(parse_n(img_size, 0, USER_TOP, &im), 0);
  EXPECT_EQ(im.hi, 0x405000);
}

static void entry_checks(void) {
  uint64_t bad[] = {0x400010, 0x402010, 0x401800, 0x500000, 0, UINT64_MAX};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    build_exec();
    eh()->e_entry = bad[i];
    if (parse() != -EINVAL)
      FAILF("entry %#lx: got %d", (unsigned long)bad[i], parse());
  }
  build_exec();
  eh()->e_entry = 0x401000;
  EXPECT_EQ(parse(), 0);
  eh()->e_entry = 0x4017ff;
  EXPECT_EQ(parse(), 0);
}

// Every prefix of the file fails cleanly: -ENOEXEC while the headers are cut,
// -EINVAL while only segment bytes are missing, and success at the full size.
static void truncated_every_length(void) {
  build_exec();
  size_t full = img_size, hdr_end = 0x40 + 4 * 56;
  struct elf_image im;
  for (size_t n = 0; n <= full; n++) {
    int want = n < hdr_end ? -ENOEXEC : n < full ? -EINVAL : 0;
    int rc = parse_n(n, 0, USER_TOP, &im);
    if (rc != want) {
      FAILF("size %zu: got %d, want %d", n, rc, want);
      return;
    }
  }
}

// Invariants every accepted image must satisfy, whatever the input was.
static const char *image_problem(const struct elf_image *im, uint64_t top) {
  if (im->nseg < 1 || im->nseg > ELF_MAX_SEGS)
    return "nseg out of range";
  bool entry_ok = false;
  for (int i = 0; i < im->nseg; i++) {
    const struct elf_seg *s = &im->seg[i];
    if (s->vaddr < 4096 || s->vaddr + s->memsz > top || s->vaddr + s->memsz < s->vaddr)
      return "segment outside user range";
    if (s->filesz > s->memsz || s->vaddr % 4096 != s->fileoff % 4096)
      return "bad segment sizes";
    if (i > 0 && s->vaddr < im->seg[i - 1].vaddr + im->seg[i - 1].memsz)
      return "segments overlap";
    if ((s->prot & PROT_EXEC) && im->entry - s->vaddr < s->memsz)
      entry_ok = true;
  }
  if (!entry_ok)
    return "entry not executable";
  if (im->lo % 4096 || im->hi % 4096 || im->lo > im->seg[0].vaddr || im->hi < im->lo)
    return "bad lo/hi";
  return NULL;
}

// Random corruption of the header bytes (fixed seed): never a crash, and anything
// accepted still satisfies the invariants.
static void fuzz_headers(void) {
  srand(12345);
  struct elf_image im;
  for (int iter = 0; iter < 200000; iter++) {
    build(iter % 2 ? ET_EXEC : ET_DYN, iter % 2 ? 0x400000 : 0);
    int flips = 1 + rand() % 4;
    for (int k = 0; k < flips; k++)
      img[rand() % (0x40 + 4 * 56)] = rand();
    if (parse_n(img_size, PIE_BASE, USER_TOP, &im) == 0) {
      const char *why = image_problem(&im, USER_TOP);
      if (why) {
        FAILF("iteration %d accepted an image with %s", iter, why);
        return;
      }
    }
  }
}

static unsigned char *read_whole(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  unsigned char *buf = malloc(n > 0 ? n : 1);
  if (fread(buf, 1, n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = n;
  return buf;
}

// Compare elf_parse with a direct reading of the program headers.
static void check_real_file(const char *path) {
  size_t size;
  unsigned char *buf = read_whole(path, &size);
  if (!buf) {
    FAILF("cannot read %s (the Makefile's deps step installs busybox-static)", path);
    return;
  }
  const Elf64_Ehdr *e = (const Elf64_Ehdr *)buf;
  uint64_t base = e->e_type == ET_DYN ? PIE_BASE : 0;
  struct elf_image im;
  if (EXPECT_EQ(elf_parse(buf, size, PIE_BASE, USER_TOP, &im), 0)) {
    EXPECT_EQ(im.entry, e->e_entry + base);
    EXPECT_EQ(im.phnum, e->e_phnum);
    EXPECT(im.phdr_vaddr != 0);
    EXPECT(image_problem(&im, USER_TOP) == NULL);
    int n = 0;
    for (int i = 0; i < e->e_phnum; i++) {
      const Elf64_Phdr *p = (const Elf64_Phdr *)(buf + e->e_phoff) + i;
      if (p->p_type != PT_LOAD || p->p_memsz == 0)
        continue;
      if (n < im.nseg && (im.seg[n].vaddr != p->p_vaddr + base ||
                          im.seg[n].memsz != p->p_memsz || im.seg[n].filesz != p->p_filesz))
        FAILF("segment %d differs from program header %d", n, i);
      n++;
    }
    EXPECT_EQ(im.nseg, n);
  }
  free(buf);
}

static void real_busybox(void) { check_real_file("/bin/busybox"); }

static void real_file(void) { check_real_file(ht_file); }

static const struct ht_case cases[] = {
    HT(valid_exec), HT(valid_pie), HT(pie_at_zero_rejected), HT(pie_misaligned_base),
    HT(pie_base_overflow), HT(exec_ignores_pie_base), HT(pt_phdr_used),
    HT(phdr_not_loaded), HT(phdr_partly_loaded), HT(bad_magic), HT(bad_ident),
    HT(bad_machine), HT(bad_type), HT(bad_phentsize), HT(bad_phnum), HT(phnum_64_ok),
    HT(phdrs_outside_file), HT(interp_recorded), HT(no_loads), HT(empty_load_skipped),
    HT(max_segments), HT(filesz_over_memsz), HT(segment_past_file), HT(misaligned_offset),
    HT(below_first_page), HT(user_top_bound), HT(memsz_wraps), HT(hi_would_wrap),
    HT(unsorted_loads), HT(overlapping_loads), HT(shared_page_ok), HT(entry_checks),
    HT(truncated_every_length), HT(fuzz_headers), HT(real_busybox),
};

int main(int argc, char **argv) { return HT_MAIN(cases, argc, argv, real_file); }
