// The legacy virtio PCI transport and split virtqueues (virtio.h, docs/virtio.md).
#include "types.h"
#include "errno.h"
#include "kalloc.h"
#include "virtio.h"
#include "x86.h"

// Registers in BAR 0 (legacy interface, no MSI-X: the device's config follows at 20).
#define REG_HOST_FEATURES 0
#define REG_GUEST_FEATURES 4
#define REG_QUEUE_PFN 8
#define REG_QUEUE_NUM 12
#define REG_QUEUE_SEL 14
#define REG_QUEUE_NOTIFY 16
#define REG_STATUS 18
#define REG_ISR 19
#define REG_CONFIG 20
#define VRING_ALIGN 4096 // the legacy layout puts the used ring on its own page

// The device reads what we wrote to memory once we write a register or an index: the
// compiler must not move those stores (x86 keeps stores in order by itself).
#define barrier() __asm__ volatile("" ::: "memory")

uint32_t virtio_begin(struct virtio_dev *v, const struct pci_dev *d) {
  v->pci = *d;
  v->io = pci_io_bar(d, 0);
  if (!v->io)
    return 0;
  pci_enable(d);
  outb(v->io + REG_STATUS, 0); // reset
  outb(v->io + REG_STATUS, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER);
  return inl(v->io + REG_HOST_FEATURES);
}

void virtio_set_features(struct virtio_dev *v, uint32_t features) {
  outl(v->io + REG_GUEST_FEATURES, features);
}

void virtio_set_status(struct virtio_dev *v, uint8_t status) {
  outb(v->io + REG_STATUS, inb(v->io + REG_STATUS) | status);
}

uint8_t virtio_isr(struct virtio_dev *v) { return inb(v->io + REG_ISR); }
uint8_t virtio_config8(struct virtio_dev *v, int off) { return inb(v->io + REG_CONFIG + off); }
uint32_t virtio_config32(struct virtio_dev *v, int off) { return inl(v->io + REG_CONFIG + off); }

int virtq_setup(struct virtio_dev *v, struct virtq *q, uint16_t index, uint16_t max) {
  outw(v->io + REG_QUEUE_SEL, index);
  uint16_t n = inw(v->io + REG_QUEUE_NUM); // legacy: the device fixes the size
  if (n == 0 || (n & (n - 1)) || n < max)
    return -ENODEV;
  uint64_t used_off = ALIGN_UP(16 * n + 6 + 2 * n, VRING_ALIGN);
  uint64_t bytes = used_off + ALIGN_UP(6 + 8 * n, VRING_ALIGN);
  uint8_t *mem = page_alloc(bytes / PAGE_SIZE);
  if (!mem)
    return -ENOMEM;
  *q = (struct virtq){.dev = v, .index = index, .size = n, .desc = (void *)mem,
                      .avail = (void *)(mem + 16 * n), .used = (void *)(mem + used_off)};
  outl(v->io + REG_QUEUE_PFN, V2P(mem) / VRING_ALIGN);
  return 0;
}

void virtq_post(struct virtq *q, uint16_t id, void *buf, uint32_t len, bool device_writes) {
  q->desc[id] = (struct vring_desc){.addr = V2P(buf), .len = len,
                                    .flags = device_writes ? VRING_DESC_F_WRITE : 0};
  q->avail->ring[q->avail->idx % q->size] = id;
  barrier(); // the entry before the index that makes it visible
  q->avail->idx++;
}

void virtq_kick(struct virtq *q) {
  barrier();
  outw(q->dev->io + REG_QUEUE_NOTIFY, q->index);
}

bool virtq_has_used(const struct virtq *q) { return q->used->idx != q->last_used; }

bool virtq_used(struct virtq *q, uint16_t *id, uint32_t *len) {
  if (!virtq_has_used(q))
    return false;
  barrier(); // the index before the entry it covers
  volatile struct vring_used_elem *e = &q->used->ring[q->last_used % q->size];
  *id = e->id, *len = e->len;
  q->last_used++;
  return true;
}

bool virtq_intr(struct virtq *q, bool on) {
  q->avail->flags = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
  __sync_synchronize(); // the flag is out before we look at the used index
  return virtq_has_used(q);
}

bool virtq_starved(struct virtq *q, uint16_t avail_before) {
  __sync_synchronize(); // our new entries are out before we look at what the device took
  return q->used->idx == avail_before;
}
