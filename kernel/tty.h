// The console terminal (tty.c): debug: is the console, tty: the caller's controlling
// terminal.
#pragma once

struct scheme;
extern const struct scheme debug_scheme, ctty_scheme;
void tty_intr(void);       // COM1's interrupt: input arrived
int tty_foreground(void);  // the foreground process group, or 0
