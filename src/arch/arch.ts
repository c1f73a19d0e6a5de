// The architectures the machine models. PKS exists only in 64-bit mode, so x86_64 is the
// default; x86_32 with highmem is kept to show the highmem rules (pkmap pool, fixmap slots,
// stale slots), and every output marks PKS on it as hypothetical.

export const ARCH_NAMES = ['x86_64', 'x86_32'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];
export const DEFAULT_ARCH: ArchName = 'x86_64';

/** The line every x86_32 output carries. */
export const X86_32_CAVEAT = 'arch x86_32: PKS exists only in 64-bit mode; PKS on x86-32 with highmem is hypothetical';

export function isArch(s: string): s is ArchName {
  return s === 'x86_64' || s === 'x86_32';
}

/**
 * What the kernel needs to know of an architecture's address layout: the rest of the machine
 * is written against this, so that another layout is one more object here.
 */
export interface ArchLayout {
  readonly name: ArchName;
  /** CONFIG_HIGHMEM: a page may need a kmap slot to be reached, and kunmap() may sleep. */
  readonly highmem: boolean;
  /** The page's address in the map that is always there (x86_64's direct map, x86_32's linear map). */
  mapAddr(page: number): number;
  /** An address as the kernel prints it. */
  formatAddr(addr: number): string;
  /** The line every output of a run on this layout carries, or null. */
  readonly caveat: string | null;
}
