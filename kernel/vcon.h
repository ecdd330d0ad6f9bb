// vcon: the named ports of a virtio console (virtio-serial) device, as files:
// vcon:NAME is the port QEMU calls NAME (-device virtserialport,name=NAME), and
// `vcon:` lists them. docs/virtio.md.
#pragma once
#include "file.h"

extern const struct scheme vcon_scheme;
