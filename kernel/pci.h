// PCI: the configuration space (mechanism #1, ports 0xcf8/0xcfc), the bus scan that
// hands each device to the driver that knows it, and interrupt lines shared between
// devices. (docs/virtio.md)
#pragma once
#include "types.h"

struct pci_dev {
  uint8_t bus, dev, fn;
  uint16_t vendor, device;
  uint8_t irq; // the legacy interrupt line the firmware routed INTx to (0xff: none)
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg);
uint16_t pci_read16(const struct pci_dev *d, uint8_t reg);
void pci_write16(const struct pci_dev *d, uint8_t reg, uint16_t v);
// BAR n as an I/O port base; 0 if it is not an I/O BAR.
uint16_t pci_io_bar(const struct pci_dev *d, int n);
// Turn on I/O decoding and bus mastering (the device reads and writes our memory).
void pci_enable(const struct pci_dev *d);

// Interrupts: fn(arg) runs for every interrupt on line irq (a line may be shared, so
// each handler checks its own device). Returns 0 or -ENOSPC.
int pci_irq_register(int irq, void (*fn)(void *), void *arg);
void pci_intr(int irq); // trap.c: IRQ `irq` fired

// Find every device and probe the drivers that know it (main.c).
void pci_init(void);
