// virtio over PCI, the legacy (virtio 0.9.5 / "transitional") interface: the device's
// registers are in its I/O BAR 0, and each virtqueue is one physically contiguous
// area whose page number the driver writes to the device. Why legacy: docs/virtio.md.
#pragma once
#include "types.h"
#include "pci.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_DEV_CONSOLE 0x1003 // transitional device ID of the console

// Device status bits.
#define VIRTIO_ACKNOWLEDGE 1
#define VIRTIO_DRIVER 2
#define VIRTIO_DRIVER_OK 4
#define VIRTIO_FAILED 0x80

struct virtio_dev {
  struct pci_dev pci;
  uint16_t io; // BAR 0
};

// The split virtqueue, as the device sees it in memory (legacy: little-endian, which
// is ours).
struct vring_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
};
#define VRING_DESC_F_WRITE 2 // the device writes this buffer (it is for receiving)
struct vring_avail {
  uint16_t flags, idx;
  uint16_t ring[];
};
#define VRING_AVAIL_F_NO_INTERRUPT 1
struct vring_used_elem {
  uint32_t id, len;
};
struct vring_used {
  uint16_t flags, idx;
  struct vring_used_elem ring[];
};

// One queue as the driver keeps it. Every buffer here is one descriptor, and
// descriptor i always belongs to the driver's buffer i: a driver posts buffer i and
// later gets i back from the used ring, with the length the device wrote.
struct virtq {
  struct virtio_dev *dev;
  uint16_t index, size;
  struct vring_desc *desc;
  struct vring_avail *avail;
  volatile struct vring_used *used;
  uint16_t last_used; // used entries taken so far (mod 2^16, as the device counts)
};

// Reset the device and say hello: ACKNOWLEDGE | DRIVER. Returns its feature bits.
uint32_t virtio_begin(struct virtio_dev *v, const struct pci_dev *d);
void virtio_set_features(struct virtio_dev *v, uint32_t features);
void virtio_set_status(struct virtio_dev *v, uint8_t status);
uint8_t virtio_isr(struct virtio_dev *v); // reading it acknowledges the interrupt
uint8_t virtio_config8(struct virtio_dev *v, int off);
uint32_t virtio_config32(struct virtio_dev *v, int off);
// Set up queue `index` (at most max entries are used); 0 or negative errno.
int virtq_setup(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max);
// Offer buffer id (len bytes at kernel address buf) to the device; call virtq_kick after.
void virtq_post(struct virtq *q, uint16_t id, void *buf, uint32_t len, bool device_writes);
void virtq_kick(struct virtq *q);
// The next buffer the device has finished with: its id and the bytes it wrote.
bool virtq_used(struct virtq *q, uint16_t *id, uint32_t *len);
bool virtq_has_used(const struct virtq *q);
// Interrupts for this queue's used buffers on or off. Turning them on returns whether
// used buffers are there already (so a waiter does not sleep through one).
bool virtq_intr(struct virtq *q, bool on);
// Whether the device had taken every buffer offered before (the available index was
// avail_before) and so may have stopped looking: only then does it need a kick for the
// ones just posted. (A device with buffers left sees new ones when it next looks. For
// a receive queue, the one-buffer-one-used-entry rule makes used == available mean
// "none left".)
bool virtq_starved(struct virtq *q, uint16_t avail_before);
