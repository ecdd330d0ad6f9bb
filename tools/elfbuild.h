// elfbuild.h: the headers of a little-endian x86-64 ELF64 executable, for the programs
// that build executables in memory (tools/mkbadelf.c, tests/host/test_elf.c).
#pragma once
#include <elf.h>
#include <stdint.h>
#include <string.h>

// An ELF header whose phnum program headers follow it directly.
static inline void elf_header(Elf64_Ehdr *e, uint16_t type, uint64_t entry, uint16_t phnum) {
  memset(e, 0, sizeof(*e));
  memcpy(e->e_ident, ELFMAG, SELFMAG);
  e->e_ident[EI_CLASS] = ELFCLASS64;
  e->e_ident[EI_DATA] = ELFDATA2LSB;
  e->e_ident[EI_VERSION] = EV_CURRENT;
  e->e_ident[EI_OSABI] = ELFOSABI_SYSV;
  e->e_type = type;
  e->e_machine = EM_X86_64;
  e->e_version = EV_CURRENT;
  e->e_entry = entry;
  e->e_phoff = sizeof(Elf64_Ehdr);
  e->e_ehsize = sizeof(Elf64_Ehdr);
  e->e_phentsize = sizeof(Elf64_Phdr);
  e->e_phnum = phnum;
}

// A program header loaded at vaddr (paddr the same), page-aligned.
static inline Elf64_Phdr elf_phdr(uint32_t type, uint32_t flags, uint64_t off,
                                  uint64_t vaddr, uint64_t filesz, uint64_t memsz) {
  return (Elf64_Phdr){.p_type = type, .p_flags = flags, .p_offset = off,
                      .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                      .p_memsz = memsz, .p_align = 0x1000};
}
