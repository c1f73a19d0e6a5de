// Kernel page-table walk: address -> page index, or -1 for not present.

import type { ArchName } from '../arch/arch.js';
import { archLayout } from '../arch/x86/layout.js';
import { DIRECT_MAP_BASE, FIXMAP_KMAP_BASE, KM_MAX_IDX, LINEAR_PAGES, PAGE_OFFSET, PAGE_SHIFT, PAGE_SIZE, PKMAP_BASE } from './layout.js';
import type { Pkmap } from './pkmap.js';
import type { FixmapSlots } from './kmap_local.js';

export class AddressSpace {
  private readonly x86_64: boolean;
  constructor(
    arch: ArchName,
    private readonly highmem: Uint8Array,
    private readonly pkmap: Pkmap,
    private readonly fixmap: FixmapSlots,
    private readonly cpus: number,
  ) {
    this.x86_64 = !archLayout(arch).highmem;
  }

  translate(addr: number): number {
    if (this.x86_64) {
      // Only the direct map: every page, always present.
      if (addr < DIRECT_MAP_BASE) return -1;
      const page = Math.floor((addr - DIRECT_MAP_BASE) / PAGE_SIZE) - 1;
      return page >= 0 && page < this.highmem.length ? page : -1;
    }
    if (addr >= FIXMAP_KMAP_BASE) {
      if (addr >= 2 ** 32) return -1; // a 64-bit pointer: no such address on x86_32
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
