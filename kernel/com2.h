// The second serial port as the com2: scheme (com2.c).
#pragma once

struct scheme;
extern const struct scheme com2_scheme;
void com2_init(void);
void com2_intr(void);
