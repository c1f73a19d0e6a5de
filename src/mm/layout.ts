// The highmem areas of the x86_32 layout, as plain numbers inside the model: the pkmap area
// used by kmap() and the per-CPU fixmap range used by kmap_local (addresses below 2^32). The
// maps that are always there (x86_32's linear map, x86_64's direct map) are arch facts:
// src/arch/x86/layout.ts, re-exported here.

export { PAGE_SHIFT, PAGE_SIZE, PAGE_OFFSET, DIRECT_MAP_BASE, X86_64_PAGE_OFFSET, linearAddr, directAddr, formatAddr } from '../arch/x86/layout.js';
import { PAGE_OFFSET, PAGE_SHIFT, PAGE_SIZE } from '../arch/x86/layout.js';
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

export function pkmapAddr(slot: number): number {
  return PKMAP_BASE + slot * PAGE_SIZE;
}

export function kmapLocalAddr(cpu: number, idx: number): number {
  return FIXMAP_KMAP_BASE + (cpu * KM_MAX_IDX + idx) * PAGE_SIZE;
}
