// What uname(2) says, shared by the kernel (sys_uname, /proc/version,
// /proc/sys/kernel/os*) and the test suites (utest.c tells guest from host by it).
// docs/syscalls.md explains the choice: the system name and release are those of the
// Linux ABI Vitrine implements, so programs that gate features on them take Linux's
// paths; Vitrine's own name and version are in the version field (uname -v).
#pragma once
#define UNAME_SYSNAME "Linux"
#define UNAME_RELEASE "6.1.0-vitrine" // Debian 12's kernel, whose busybox-static we run
#define UNAME_VERSION "#1 Vitrine 0.1.0"
#define UNAME_MACHINE "x86_64"
#define UNAME_VITRINE "Vitrine" // found in the version field only on Vitrine
