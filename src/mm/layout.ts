// The kernel virtual address layouts the model uses, as plain numbers inside the model.
//
// x86_32 (highmem): the linear map of lowmem at PAGE_OFFSET, the pkmap area used by kmap(),
// and the per-CPU fixmap range used by kmap_local; addresses below 2^32.
// x86_64: no highmem; every page is in the direct map. Inside the model the direct map starts
// at DIRECT_MAP_BASE (a number above every x86_32 address, exact in a double); outputs print
// it at the kernel's page_offset_base, 0xffff888000000000 (formatAddr).

import type { ArchName } from '../arch/arch.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** x86_32: start of the linear map of lowmem (direct map): always mapped. */
export const PAGE_OFFSET = 0xc0000000;
/** Lowmem pages the x86_32 linear map can cover in this model (up to the pkmap area). */
export const LINEAR_PAGES = (0xff800000 - PAGE_OFFSET) >>> PAGE_SHIFT;
/** The pkmap area used by kmap(): LAST_PKMAP slots of one page each. */
export const PKMAP_BASE = 0xff800000;
/** x86-32 LAST_PKMAP without PAE (512 with PAE). */
export const LAST_PKMAP_DEFAULT = 1024;
/** The fixmap range used by kmap_local: KM_MAX_IDX slots per CPU. */
export const FIXMAP_KMAP_BASE = 0xffc00000;
/**
 * KM_MAX_IDX: kmap_local slots per CPU. The push BUGs when the index reaches it, so at most
 * KM_MAX_IDX - 1 mappings are live at once (mm/highmem.c kmap_local_idx_push()).
 */
export const KM_MAX_IDX = 16;
export const KM_MAX_LIVE = KM_MAX_IDX - 1;
export const MAX_CPUS = 64;
/** x86_64: the model's number for the start of the direct map. */
export const DIRECT_MAP_BASE = 2 ** 40;
/** x86_64: where the direct map starts in the kernel (page_offset_base without KASLR). */
export const X86_64_PAGE_OFFSET = 0xffff888000000000n;

export function linearAddr(page: number): number {
  // Page n lives at pfn n+1 so that no valid address is the bare PAGE_OFFSET.
  return PAGE_OFFSET + ((page + 1) << PAGE_SHIFT);
}

/** x86_64 direct-map address of a page (pfn n+1, as on x86_32). */
export function directAddr(page: number): number {
  return DIRECT_MAP_BASE + (page + 1) * PAGE_SIZE;
}

export function pkmapAddr(slot: number): number {
  return PKMAP_BASE + slot * PAGE_SIZE;
}

export function kmapLocalAddr(cpu: number, idx: number): number {
  return FIXMAP_KMAP_BASE + (cpu * KM_MAX_IDX + idx) * PAGE_SIZE;
}

/** An address as the kernel prints it: 0x%08lx on x86_32, 0x%016lx on x86_64. NULL is 0. */
export function formatAddr(arch: ArchName, addr: number): string {
  if (arch === 'x86_32' || addr < DIRECT_MAP_BASE) {
    return '0x' + (arch === 'x86_32' ? (addr >>> 0).toString(16).padStart(8, '0') : addr.toString(16).padStart(16, '0'));
  }
  return '0x' + (X86_64_PAGE_OFFSET + BigInt(addr - DIRECT_MAP_BASE)).toString(16);
}
