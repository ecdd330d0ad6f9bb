// vcon: the named ports of a virtio console (virtio-serial) device, as files:
// vcon:NAME is the port QEMU calls NAME (-device virtserialport,name=NAME), and
// `vcon:` lists them. docs/virtio.md.
#pragma once

struct scheme;
struct pci_dev;

extern const struct scheme vcon_scheme;
void vcon_probe(const struct pci_dev *d); // the console device's driver (pci.c, per device)
