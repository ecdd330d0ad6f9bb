// ELF64 executable checks and load plan. Everything in the file is untrusted: fields
// are copied out with memcpy (the buffer may be unaligned) and every sum of sizes is
// checked for overflow before it is compared with a bound.
#include "types.h"
#include "elf.h"
#include "errno.h"
#include "lib.h"

#define PAGE 4096ull

// The on-disk layouts, defined here because the freestanding kernel has no <elf.h>.
struct ehdr64 {
  unsigned char ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr64 {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct ehdr64) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct phdr64) == 56, "Elf64_Phdr is 56 bytes");

enum {
  ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62,
  PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6,
  PF_X = 1, PF_W = 2, PF_R = 4,
  MAX_PHNUM = 64, INTERP_MAX = 4096,
};

// a + b without wrapping; false if it would wrap.
static bool add_ok(uint64_t a, uint64_t b, uint64_t *sum) {
  *sum = a + b;
  return *sum >= a;
}

static void read_phdr(const void *data, const struct ehdr64 *eh, int i, struct phdr64 *ph) {
  memcpy(ph, (const char *)data + eh->phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

// Identity checks: is this a 64-bit little-endian x86-64 executable we could run?
static int check_ehdr(const struct ehdr64 *eh, size_t size) {
  static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
  if (memcmp(eh->ident, magic, 4) != 0)
    return -ENOEXEC;
  // ident[4] class 2 = 64-bit, ident[5] data 1 = little-endian, ident[6] version 1.
  if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->ident[6] != 1 || eh->version != 1)
    return -ENOEXEC;
  if (eh->machine != EM_X86_64 || (eh->type != ET_EXEC && eh->type != ET_DYN))
    return -ENOEXEC;
  if (eh->phentsize != sizeof(struct phdr64) || eh->phnum < 1 || eh->phnum > MAX_PHNUM)
    return -ENOEXEC;
  // phnum <= 64, so the table size cannot overflow; only phoff + table can.
  uint64_t end;
  if (!add_ok(eh->phoff, (uint64_t)eh->phnum * sizeof(struct phdr64), &end) || end > size)
    return -ENOEXEC;
  return 0;
}

static int prot_of(uint32_t flags) {
  return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
         ((flags & PF_X) ? PROT_EXEC : 0);
}

// Validate one PT_LOAD and turn it into a segment at its final (based) address.
// prev_end is where the previous segment ended: loads must ascend without overlap.
static int make_seg(const struct phdr64 *ph, size_t size, uint64_t base, uint64_t user_top,
                    uint64_t prev_end, struct elf_seg *s) {
  uint64_t file_end, vaddr, end;
  if (ph->filesz > ph->memsz)
    return -EINVAL;
  if (!add_ok(ph->offset, ph->filesz, &file_end) || file_end > size)
    return -EINVAL;
  // Page-granular mapping needs file offset and address to agree within the page.
  if (ph->vaddr % PAGE != ph->offset % PAGE)
    return -EINVAL;
  if (!add_ok(ph->vaddr, base, &vaddr) || !add_ok(vaddr, ph->memsz, &end))
    return -EINVAL;
  if (vaddr < PAGE || end > user_top || vaddr < prev_end)
    return -EINVAL;
  s->vaddr = vaddr;
  s->memsz = ph->memsz;
  s->fileoff = ph->offset;
  s->filesz = ph->filesz;
  s->prot = prot_of(ph->flags);
  return 0;
}

// The first PT_INTERP names the interpreter; Linux's checks and errors: a NUL-terminated
// path of 2..4096 bytes (-ENOEXEC), inside the file (a short read: -EIO).
static int take_interp(const struct phdr64 *ph, size_t size, struct elf_image *out) {
  uint64_t end;
  if (out->interp_len)
    return 0;
  if (ph->filesz < 2 || ph->filesz > INTERP_MAX)
    return -ENOEXEC;
  if (!add_ok(ph->offset, ph->filesz, &end) || end > size)
    return -EIO;
  out->interp_off = ph->offset;
  out->interp_len = ph->filesz;
  return 0;
}

// Walk the program headers: note PT_INTERP, collect the non-empty PT_LOADs.
static int collect_segs(const void *data, size_t size, const struct ehdr64 *eh,
                        uint64_t user_top, struct elf_image *out) {
  int nload = 0;
  uint64_t prev_end = 0;
  for (int i = 0; i < eh->phnum; i++) {
    struct phdr64 ph;
    read_phdr(data, eh, i, &ph);
    int err = ph.type == PT_INTERP ? take_interp(&ph, size, out) : 0;
    if (err)
      return err;
    if (ph.type != PT_LOAD || ph.memsz == 0)
      continue;
    if (nload == ELF_MAX_SEGS)
      return -EINVAL;
    struct elf_seg *s = &out->seg[nload];
    err = make_seg(&ph, size, out->base, user_top, prev_end, s);
    if (err)
      return err;
    prev_end = s->vaddr + s->memsz;
    nload++;
  }
  out->nseg = nload;
  return nload == 0 ? -ENOEXEC : 0;
}

// AT_PHDR: PT_PHDR says where the table is; otherwise find the load that maps it.
static int find_phdr(const void *data, const struct ehdr64 *eh, struct elf_image *out) {
  uint64_t table_end = eh->phoff + (uint64_t)eh->phnum * sizeof(struct phdr64);
  out->phdr_vaddr = 0;
  for (int i = 0; i < eh->phnum; i++) {
    struct phdr64 ph;
    read_phdr(data, eh, i, &ph);
    if (ph.type == PT_PHDR)
      return add_ok(ph.vaddr, out->base, &out->phdr_vaddr) ? 0 : -EINVAL;
  }
  for (int i = 0; i < out->nseg; i++) {
    const struct elf_seg *s = &out->seg[i];
    // Checked in make_seg: fileoff + filesz does not wrap.
    if (s->fileoff <= eh->phoff && table_end <= s->fileoff + s->filesz) {
      out->phdr_vaddr = s->vaddr + (eh->phoff - s->fileoff);
      return 0;
    }
  }
  return 0;
}

static bool entry_is_exec(const struct elf_image *img) {
  for (int i = 0; i < img->nseg; i++) {
    const struct elf_seg *s = &img->seg[i];
    if ((s->prot & PROT_EXEC) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
      return true;
  }
  return false;
}

int elf_parse(const void *data, size_t size, uint64_t pie_base, uint64_t user_top,
              struct elf_image *out) {
  struct ehdr64 eh;
  if (size < sizeof(eh))
    return -ENOEXEC;
  memcpy(&eh, data, sizeof(eh));
  int err = check_ehdr(&eh, size);
  if (err)
    return err;
  if (eh.type == ET_DYN && pie_base % PAGE != 0)
    return -EINVAL;
  memset(out, 0, sizeof(*out));
  out->base = eh.type == ET_DYN ? pie_base : 0;
  out->phnum = eh.phnum;
  out->phent = eh.phentsize;
  if ((err = collect_segs(data, size, &eh, user_top, out)) != 0)
    return err;
  if (out->interp_len && ((const char *)data)[out->interp_off + out->interp_len - 1] != 0)
    return -ENOEXEC;
  if ((err = find_phdr(data, &eh, out)) != 0)
    return err;
  if (!add_ok(eh.entry, out->base, &out->entry) || !entry_is_exec(out))
    return -EINVAL;
  // Segment ends are <= user_top, but user_top itself might be near 2^64.
  uint64_t last_end = out->seg[out->nseg - 1].vaddr + out->seg[out->nseg - 1].memsz;
  if (last_end > UINT64_MAX - (PAGE - 1))
    return -EINVAL;
  out->lo = ALIGN_DOWN(out->seg[0].vaddr, PAGE);
  out->hi = ALIGN_UP(last_end, PAGE);
  return 0;
}
