# Vitrine: `make` builds everything, `make run` boots a shell, `make test` runs every test.
# See README.md.

B := build
# tools/deps.sh checks the host packages the build needs (and installs them as root):
# once, then again only when deps.sh changes or on `make deps`. Every rule that compiles
# or packs waits for it to finish (order-only, `| $(DEPS_OK)`: even under make -j, no
# compiler runs before it is installed, and the stamp's date rebuilds nothing).
DEPS_OK := $(B)/deps.ok
KCC := gcc
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
  -mno-red-zone -mcmodel=kernel -mno-sse -mno-mmx -mno-sse2 -mgeneral-regs-only \
  -fno-omit-frame-pointer -fno-strict-aliasing -fno-builtin-memcpy \
  -Wall -Wextra -Werror -Iinclude -Ikernel -Ikernel/arch/x86_64 -MMD -MP
KLDFLAGS := -Wl,--no-warn-rwx-segments -Wl,--build-id=none -nostdlib -static -no-pie -z max-page-size=0x1000 -T kernel/arch/x86_64/kernel.ld

KSRC := $(wildcard kernel/*.c kernel/arch/x86_64/*.c)
KASM := $(wildcard kernel/arch/x86_64/*.S)
KOBJ := $(patsubst %.c,$(B)/%.o,$(KSRC)) $(patsubst %.S,$(B)/%.o,$(KASM))

UCC := musl-gcc
UCFLAGS := -std=gnu11 -O2 -g -static -Wall -Wextra -Werror -Iinclude -Iuser/lib -MMD -MP
# user/lib/*.c: an archive, so a program links only the parts it uses.
ULIBOBJ := $(patsubst user/lib/%.c,$(B)/user/lib/%.o,$(wildcard user/lib/*.c))
ULIB := $(B)/user/libv.a
# The programs that ship: user/*.c, installed in /bin (init at /init).
UPROGS := $(patsubst user/%.c,$(B)/user/%,$(wildcard user/*.c))
# The test programs, installed in /tests: one per file of tests/guest (suites, fuzz),
# tests/guest/helpers (programs the tests run) and tests/bench, and one per directory
# tests/guest/NAME/ (all its .c files linked together, e.g. proctests).
TFILEDIRS := tests/guest tests/guest/helpers tests/bench
TSRC := $(wildcard $(TFILEDIRS:%=%/*.c))
# tests/guest/glibc*/: built with the host's gcc and glibc, -static (glibc starts threads
# its own way: clone3, rseq, robust lists), not with musl and libv.
GDIRS := $(patsubst tests/guest/%/,%,$(sort $(dir $(wildcard tests/guest/glibc*/*.c))))
TDIRS := $(filter-out $(GDIRS),$(patsubst tests/guest/%/,%,$(filter-out tests/guest/helpers/,$(sort $(dir $(wildcard tests/guest/*/*.c))))))
TPROGS := $(patsubst %.c,$(B)/guest/%,$(notdir $(TSRC))) $(TDIRS:%=$(B)/guest/%) $(GDIRS:%=$(B)/guest/%)

HOSTCC := gcc
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -iquote kernel -fsanitize=address,undefined
HOSTTESTS := $(patsubst tests/host/%.c,$(B)/host/%,$(wildcard tests/host/test_*.c))
HOSTLIBSRC := kernel/elf.c kernel/cpio.c kernel/path.c

.PHONY: all run test bench qemu-gdb debug clean deps
all: $(B)/vitrine.elf $(UPROGS) $(TPROGS) $(B)/strace/stamp $(B)/initramfs.cpio
	@: # (quiet when there was nothing to do)

$(DEPS_OK): tools/deps.sh
	@tools/deps.sh
	@mkdir -p $(B) && touch $@

deps:
	@tools/deps.sh
	@mkdir -p $(B) && touch $(DEPS_OK)

$(B)/vitrine.elf: $(KOBJ) kernel/arch/x86_64/kernel.ld | $(DEPS_OK)
	$(KCC) $(KLDFLAGS) -o $@ $(KOBJ) -lgcc

$(B)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -c -o $@ $<

# The vDSO (kernel/vdso/, docs/dynamic.md): a shared object the kernel carries as bytes
# (vdso_image.S) and maps into every process. It must need no relocation: it runs
# wherever it is mapped without a loader touching it.
VDSOFLAGS := -std=gnu11 -O2 -g -fPIC -fno-stack-protector -fno-builtin -Iinclude \
  -Wall -Wextra -Werror -nostdlib -shared -Wl,-T,kernel/vdso/vdso.lds \
  -Wl,--version-script=kernel/vdso/vdso.map -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 \
  -Wl,--eh-frame-hdr -Wl,--build-id=none -Wl,--no-undefined -Wl,-z,max-page-size=4096
$(B)/vdso/vdso.so: kernel/vdso/vdso.c kernel/vdso/vdso.lds kernel/vdso/vdso.map include/vitrine/vdso.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(KCC) $(VDSOFLAGS) -o $@ $<
	@readelf -r $@ | grep -q 'no relocations' || { echo "$@ has relocations"; rm -f $@; exit 1; }
$(B)/kernel/arch/x86_64/vdso_image.o: $(B)/vdso/vdso.so
$(B)/kernel/arch/x86_64/vdso_image.o: KCFLAGS += -DVDSO_SO='"$(B)/vdso/vdso.so"'

$(B)/%.o: %.S | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(ULIBOBJ): $(B)/user/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h include/vitrine/*) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(UCC) $(UCFLAGS) -c -o $@ $<

$(ULIB): $(ULIBOBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/user/%: user/%.c $(ULIB) $(wildcard user/lib/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(UCC) $(UCFLAGS) -o $@ $< $(ULIB)

# Test programs: a single file, or a directory's objects (in $(B)/obj, so that
# $(B)/guest holds only the programs).
define guest_file_prog
$(B)/guest/%: $(1)/%.c $(ULIB) $(wildcard user/lib/*.h) | $(DEPS_OK)
	@mkdir -p $$(dir $$@)
	$$(UCC) $$(UCFLAGS) -o $$@ $$< $$(ULIB)
endef
$(foreach d,$(TFILEDIRS),$(eval $(call guest_file_prog,$(d))))

# tests/gdb.sh's threaded target: -O0, so that gdb's `next` goes line by line.
$(B)/guest/gdbthreads: UCFLAGS += -O0

# The one dynamically linked test program (make bench's spawndyn and dynmem): musl's
# loader, /lib/ld-musl-x86_64.so.1, goes into the image with it (tools/manifest.sh).
$(B)/guest/dyntrue: tests/bench/dyntrue.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(UCC) $(filter-out -static,$(UCFLAGS)) -o $@ $<

$(B)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(UCC) $(UCFLAGS) -c -o $@ $<

define guest_dir_prog
$(B)/guest/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/guest/$(1)/*.c)) $(ULIB) | $(DEPS_OK)
	$$(UCC) $$(UCFLAGS) -o $$@ $$^
endef
$(foreach d,$(TDIRS),$(eval $(call guest_dir_prog,$(d))))

define guest_glibc_prog
$(B)/guest/$(1): $(wildcard tests/guest/$(1)/*.c) $(wildcard tests/guest/*.h) | $(DEPS_OK)
	@mkdir -p $$(dir $$@)
	gcc -std=gnu11 -O2 -g -static -pthread -Wall -Wextra -Werror -o $$@ $$(filter %.c,$$^)
endef
$(foreach d,$(GDIRS),$(eval $(call guest_glibc_prog,$(d))))

$(B)/tools/%: tools/%.c $(wildcard tools/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/host/%: tests/host/%.c $(HOSTLIBSRC) $(wildcard kernel/*.h include/vitrine/*) tests/host/hosttest.h $(wildcard user/lib/*.[ch]) $(wildcard tools/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ $< $(HOSTLIBSRC)

# Malformed ELF files for usertests' exec tests (in the guest: /tests/badelf-*).
$(B)/tests/badelf-valid: $(B)/tools/mkbadelf
	$(B)/tools/mkbadelf $(B)/tests

# Upstream strace, static with musl, from Debian's source package (/usr/bin/strace in the
# guest), and the test programs of the selection of its test suite that tests/strace-suite.sh
# runs: built once (tools/strace-build.sh keeps its own stamps and does nothing when there
# is nothing to do; `make clean` rebuilds it).
$(B)/strace/stamp: tools/strace-build.sh tools/debian-src.sh tests/strace-tests.txt | $(DEPS_OK)
	tools/strace-build.sh $(B)

# The initramfs: our programs in /bin, init at /init, test programs, scripts and data in
# /tests (tools/manifest.sh).
$(B)/initramfs.cpio: $(UPROGS) $(TPROGS) $(B)/strace/stamp $(B)/tests/badelf-valid $(wildcard tools/profile tools/etc/*) $(B)/tools/mkcpio tools/manifest.sh $(wildcard tests/guest/*.sh) | $(DEPS_OK)
	tools/manifest.sh $(B) > $(B)/root.manifest
	$(B)/tools/mkcpio $@ < $(B)/root.manifest

run: all
	tools/vrun --interactive

qemu-gdb: all
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb $(B)/vitrine.elf -ex 'target remote :1234'"
	tools/vrun --interactive --qemu-gdb

# make debug PROG=path/to/static-program [ARGS="..."] [PORT=1235]: run it in the guest
# under gdbserver and attach the host's gdb to it.
PORT ?= 1235
debug: all
	@test -n "$(PROG)" || { echo "usage: make debug PROG=path [ARGS=...] [PORT=n]"; exit 2; }
	tools/vrun --gdb $(PORT) --file $(PROG) -- /bin/$(notdir $(PROG)) $(ARGS) & \
	  sleep 2; gdb $(PROG) -ex 'target remote 127.0.0.1:$(PORT)'; wait

test: all $(HOSTTESTS)
	@tools/runtests.sh $(HOSTTESTS)

bench: all
	@tools/bench.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) \( -path $(B)/busybox-src -o -path $(B)/strace-src \) -prune -o -name '*.d' -type f -print 2>/dev/null)
