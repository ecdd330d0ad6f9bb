// Interrupts and exceptions (trap.c), and the way back to user mode.
#pragma once
#include "types.h"

struct trapframe;
void trap_init(void);
void trap(uint64_t vec, struct trapframe *tf); // every stub in entry.S calls it
void usertrapret(void);
// From an interrupt handler: switch at the interrupted process's return to user mode.
void trap_resched(void);
void debug_lost(void) __attribute__((noreturn)); // entry.S, when a #DB lost its frame
