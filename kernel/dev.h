// null: and zero: (dev.c).
#pragma once

struct scheme;
extern const struct scheme null_scheme, zero_scheme, full_scheme;
