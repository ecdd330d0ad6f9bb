// ELF64 executable checks and load plan (kernel/elf.c). Pure: no allocation, no paging,
// so the checks are unit-tested on the host (tests/host/test_elf.c).
#pragma once
#include "types.h"

#define ELF_MAX_SEGS 16
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

struct elf_seg {
  uint64_t vaddr;   // where the segment starts in the process (load base added)
  uint64_t memsz;   // bytes in memory; bytes past filesz are zero
  uint64_t fileoff; // offset of the segment's bytes in the file
  uint64_t filesz;
  int prot;         // PROT_* from p_flags
};

struct elf_image {
  uint64_t entry;      // entry point, load base added
  uint64_t phdr_vaddr; // address of the program headers in memory (for AT_PHDR), 0 if not loaded
  uint16_t phnum;
  uint16_t phent;
  uint64_t base;       // load base: 0 for ET_EXEC, the given base for ET_DYN (static-PIE)
  uint64_t lo, hi;     // page-aligned lowest and highest address the segments cover
  uint64_t interp_off;  // PT_INTERP: the interpreter's path is at this file offset,
  uint64_t interp_len;  // NUL included; 0 if the file names none
  int nseg;
  struct elf_seg seg[ELF_MAX_SEGS];
};

// Check the ELF file in data[0..size) and fill *out. pie_base is the load base used
// for ET_DYN files; it must be page-aligned. user_top is the first address past the
// user half. Returns 0, or -ENOEXEC for anything that is not a loadable x86-64
// executable (bad magic, class, machine, type, truncated headers, a PT_INTERP path
// shorter than 2 or longer than 4096 bytes or not ending in NUL), -EIO for a PT_INTERP
// path past the end of the file (as Linux: a short read), and -EINVAL for a
// well-formed header that describes impossible segments (overlap, misalignment,
// addresses outside [PAGE_SIZE, user_top), sizes that overflow). The first PT_INTERP
// is recorded (interp_off, interp_len); loading it is the caller's.
// Details: PT_LOADs with memsz 0 are skipped (and not counted); more than ELF_MAX_SEGS
// others is -EINVAL, none is -ENOEXEC. Loads must be in ascending address order and
// their bytes must not overlap (two may share a page). Without PT_PHDR, phdr_vaddr is
// set only if one PT_LOAD's file bytes hold the whole program header table. The entry
// point must lie inside an executable segment. *out is only meaningful on success.
int elf_parse(const void *data, size_t size, uint64_t pie_base, uint64_t user_top,
              struct elf_image *out);
