// Kernel page-table walk: address -> page index, or -1 for not present.

import { FIXMAP_KMAP_BASE, KM_MAX_IDX, LINEAR_PAGES, PAGE_OFFSET, PAGE_SHIFT, PKMAP_BASE } from './layout.js';
import type { Pkmap } from './pkmap.js';
import type { FixmapSlots } from './kmap_local.js';

export class AddressSpace {
  constructor(
    private readonly highmem: Uint8Array,
    private readonly pkmap: Pkmap,
    private readonly fixmap: FixmapSlots,
    private readonly cpus: number,
  ) {}

  translate(addr: number): number {
    if (addr >= FIXMAP_KMAP_BASE) {
      const n = (addr - FIXMAP_KMAP_BASE) >>> PAGE_SHIFT;
      if (n >= this.cpus * KM_MAX_IDX) return -1;
      return this.fixmap.pte[n]!;
    }
    if (addr >= PKMAP_BASE) {
      const slot = (addr - PKMAP_BASE) >>> PAGE_SHIFT;
      return slot < this.pkmap.size ? this.pkmap.translate(slot) : -1;
    }
    if (addr >= PAGE_OFFSET) {
      const pfn = (addr - PAGE_OFFSET) >>> PAGE_SHIFT;
      const page = pfn - 1;
      if (page < 0 || page >= this.highmem.length || pfn >= LINEAR_PAGES) return -1;
      return this.highmem[page] ? -1 : page;
    }
    return -1;
  }
}
