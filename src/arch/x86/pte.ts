// x86-64 PTE layout as far as protection keys need it: the key lives in bits 62:59, and the
// U/S bit (2) picks the register the key is checked against (PKRU for user, PKRS for supervisor).

export const _PAGE_BIT_PRESENT = 0;
export const _PAGE_BIT_RW = 1;
export const _PAGE_BIT_USER = 2;
export const _PAGE_BIT_PKEY_BIT0 = 59;
export const _PAGE_PKEY_MASK = 0xfn << BigInt(_PAGE_BIT_PKEY_BIT0);

/** A present, writable kernel (or user) PTE for a pfn, tagged with a protection key. */
export function mkPte(pfn: number, key: number, user = false): bigint {
  let pte = (BigInt(pfn) << 12n) | (1n << BigInt(_PAGE_BIT_PRESENT)) | (1n << BigInt(_PAGE_BIT_RW));
  if (user) pte |= 1n << BigInt(_PAGE_BIT_USER);
  return pte | (BigInt(key & 0xf) << BigInt(_PAGE_BIT_PKEY_BIT0));
}

/** The key of a PTE (bits 62:59): what the #PF handler finds by walking the page tables. */
export function pteKey(pte: bigint): number {
  return Number((pte & _PAGE_PKEY_MASK) >> BigInt(_PAGE_BIT_PKEY_BIT0));
}

export function pteUser(pte: bigint): boolean {
  return (pte & (1n << BigInt(_PAGE_BIT_USER))) !== 0n;
}

export function pteHex(pte: bigint): string {
  return pte.toString(16).padStart(16, '0');
}
