// The kernel virtual address layout the model uses: x86-32 with highmem, where kmap() and
// kmap_local matter. Addresses are plain numbers below 2^32.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Start of the linear map of lowmem (direct map): always mapped. */
export const PAGE_OFFSET = 0xc0000000;
/** Lowmem pages the linear map can cover in this model (up to the pkmap area). */
export const LINEAR_PAGES = (0xff800000 - PAGE_OFFSET) >>> PAGE_SHIFT;
/** The pkmap area used by kmap(): LAST_PKMAP slots of one page each. */
export const PKMAP_BASE = 0xff800000;
/** x86-32 LAST_PKMAP without PAE (512 with PAE). */
export const LAST_PKMAP_DEFAULT = 1024;
/** The fixmap range used by kmap_local: KM_MAX_IDX slots per CPU. */
export const FIXMAP_KMAP_BASE = 0xffc00000;
/** Per-task kmap_local stack depth (KM_MAX_IDX). */
export const KM_MAX_IDX = 16;
export const MAX_CPUS = 64;

export function linearAddr(page: number): number {
  // Page n lives at pfn n+1 so that no valid address is the bare PAGE_OFFSET.
  return PAGE_OFFSET + ((page + 1) << PAGE_SHIFT);
}

export function pkmapAddr(slot: number): number {
  return PKMAP_BASE + slot * PAGE_SIZE;
}

export function kmapLocalAddr(cpu: number, idx: number): number {
  return FIXMAP_KMAP_BASE + (cpu * KM_MAX_IDX + idx) * PAGE_SIZE;
}
