// The two x86 address layouts the model runs on.

import type { ArchLayout, ArchName } from '../arch.js';
import { X86_32_CAVEAT } from '../arch.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** x86_32: start of the linear map of lowmem: always mapped. */
export const PAGE_OFFSET = 0xc0000000;
/** x86_64: the model's number for the start of the direct map (above every x86_32 address, exact in a double). */
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

/** An address as the kernel prints it: 0x%08lx on x86_32, 0x%016lx on x86_64. NULL is 0. */
export function formatAddr(arch: ArchName, addr: number): string {
  if (arch === 'x86_32' || addr < DIRECT_MAP_BASE) {
    return '0x' + (arch === 'x86_32' ? (addr >>> 0).toString(16).padStart(8, '0') : addr.toString(16).padStart(16, '0'));
  }
  return '0x' + (X86_64_PAGE_OFFSET + BigInt(addr - DIRECT_MAP_BASE)).toString(16);
}

export const X86_64: ArchLayout = {
  name: 'x86_64',
  highmem: false,
  mapAddr: directAddr,
  formatAddr: (addr) => formatAddr('x86_64', addr),
  caveat: null,
};

export const X86_32: ArchLayout = {
  name: 'x86_32',
  highmem: true,
  mapAddr: linearAddr,
  formatAddr: (addr) => formatAddr('x86_32', addr),
  caveat: X86_32_CAVEAT,
};

export function archLayout(name: ArchName): ArchLayout {
  return name === 'x86_32' ? X86_32 : X86_64;
}
