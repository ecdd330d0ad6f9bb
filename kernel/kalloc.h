// Physical pages (returned as kernel-virtual addresses) and the kernel heap (kalloc.c).
#pragma once
#include "types.h"

void kalloc_init(const uint64_t (*avail)[2], int navail, const uint64_t (*reserved)[2],
                 int nreserved);
void *page_alloc(size_t npages);          // zeroed; NULL when out of memory
void page_free(void *va, size_t npages);
void page_share(void *va);
void page_release(void *va);
void *page_alloc_raw(size_t npages);      // contents as they were: for callers that fill it whole
bool page_shared(const void *va);
uint64_t pages_free(void);
void page_add_reclaim(uint64_t (*fn)(uint64_t want));
uint64_t pages_total(void);
void *kmalloc(size_t n);                  // zeroed; NULL when out of memory
void kfree(void *p);
char *kstrdup(const char *s);
