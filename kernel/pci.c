// PCI configuration mechanism #1: a 32-bit address written to 0xcf8 (enable bit, bus,
// device, function, register) selects a dword that 0xcfc then reads or writes. The scan
// walks bus 0 and every bus behind a PCI-to-PCI bridge, and offers each function to
// the drivers in `drivers`.
#include "types.h"
#include "console.h"
#include "cpu.h"
#include "errno.h"
#include "pci.h"
#include "vcon.h"
#include "virtio.h"
#include "x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc

#define PCI_VENDOR 0x00
#define PCI_COMMAND 0x04
#define PCI_CLASS 0x08 // revision, prog-if, subclass, class
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19
#define PCI_INTERRUPT_LINE 0x3c
#define CMD_IO 0x1
#define CMD_BUS_MASTER 0x4

static uint32_t address(const struct pci_dev *d, uint8_t reg) {
  return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8 |
         (reg & 0xfc);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg) {
  outl(CONFIG_ADDRESS, address(d, reg));
  return inl(CONFIG_DATA);
}

static uint8_t read8(const struct pci_dev *d, uint8_t reg) {
  return pci_read32(d, reg) >> (8 * (reg & 3));
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t reg) {
  return pci_read32(d, reg) >> (8 * (reg & 2));
}

void pci_write16(const struct pci_dev *d, uint8_t reg, uint16_t v) {
  uint32_t old = pci_read32(d, reg), shift = 8 * (reg & 2);
  outl(CONFIG_ADDRESS, address(d, reg));
  outl(CONFIG_DATA, (old & ~(0xffffu << shift)) | (uint32_t)v << shift);
}

uint16_t pci_io_bar(const struct pci_dev *d, int n) {
  uint32_t bar = pci_read32(d, PCI_BAR0 + 4 * n);
  return bar & 1 ? bar & 0xfffc : 0;
}

void pci_enable(const struct pci_dev *d) {
  pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | CMD_IO | CMD_BUS_MASTER);
}

// ---- interrupts ----
#define NHANDLERS 8
static struct {
  int irq;
  void (*fn)(void *);
  void *arg;
} handlers[NHANDLERS];
static int nhandlers;

int pci_irq_register(int irq, void (*fn)(void *), void *arg) {
  if (nhandlers == NHANDLERS || irq < 1 || irq > 15 || irq == 2)
    return -ENOSPC;
  handlers[nhandlers++] = (typeof(handlers[0])){irq, fn, arg};
  pic_unmask(irq, true);
  return 0;
}

void pci_intr(int irq) {
  for (int i = 0; i < nhandlers; i++)
    if (handlers[i].irq == irq)
      handlers[i].fn(handlers[i].arg);
}

// ---- the scan ----
// The drivers: a device they take, and the function that sets it up.
static const struct {
  uint16_t vendor, device;
  void (*probe)(const struct pci_dev *d);
} drivers[] = {
    {VIRTIO_VENDOR, VIRTIO_DEV_CONSOLE, vcon_probe},
};

static void scan_bus(int bus, int depth);

static void scan_function(struct pci_dev *d, int depth) {
  uint32_t class = pci_read32(d, PCI_CLASS) >> 16;
  uint8_t type = read8(d, PCI_HEADER_TYPE) & 0x7f;
  if (class == 0x0604 && type == 1) { // a PCI-to-PCI bridge: the bus behind it
    scan_bus(read8(d, PCI_SECONDARY_BUS), depth + 1);
    return;
  }
  d->irq = read8(d, PCI_INTERRUPT_LINE);
  klog("pci %02x:%02x.%x %04x:%04x irq %d\n", d->bus, d->dev, d->fn, d->vendor, d->device,
       d->irq);
  for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
    if (drivers[i].vendor == d->vendor && drivers[i].device == d->device)
      drivers[i].probe(d);
}

static void scan_bus(int bus, int depth) {
  if (depth > 8)
    return; // (a bridge loop in a broken machine)
  for (int dev = 0; dev < 32; dev++) {
    for (int fn = 0; fn < 8; fn++) {
      struct pci_dev d = {.bus = bus, .dev = dev, .fn = fn};
      uint32_t id = pci_read32(&d, PCI_VENDOR);
      if ((id & 0xffff) == 0xffff) { // nothing there
        if (fn == 0)
          break;
        continue;
      }
      d.vendor = id & 0xffff, d.device = id >> 16;
      scan_function(&d, depth);
      if (fn == 0 && !(read8(&d, PCI_HEADER_TYPE) & 0x80))
        break; // not a multi-function device
    }
  }
}

void pci_init(void) { scan_bus(0, 0); }
