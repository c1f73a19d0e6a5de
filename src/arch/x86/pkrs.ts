// x86 protection-key register semantics (PKRS for supervisor pages, PKRU for user pages).
// Everything here is integer arithmetic on plain numbers: the access check is the hottest
// path of the model and must not allocate.

/** IA32_PKRS MSR index. */
export const MSR_IA32_PKRS = 0x6e1;
/** CR4.PKS enables protection keys for supervisor pages. */
export const X86_CR4_PKS_BIT = 24;
/** Number of protection keys (PTE bits 62:59). */
export const PKS_NUM_KEYS = 16;
/** All keys access-disabled. */
export const PKR_ALL_AD = 0x55555555;
/** Bits 63:32 of PKRS are reserved: a WRMSR with any of them set raises #GP. */
export const PKRS_RESERVED_HI_MASK = 0xffffffff;

/** Per-key bits: bit 2k is AD (access disable), bit 2k+1 is WD (write disable). */
export const PKR_AD_BIT = 0x1;
export const PKR_WD_BIT = 0x2;

/** Page-fault error code bits (subset the model uses). */
export const X86_PF_PROT = 1 << 0; // P: the page was present (protection violation)
export const X86_PF_WRITE = 1 << 1; // W: the access was a write
export const X86_PF_USER = 1 << 2; // U: the access came from user mode
export const X86_PF_INSTR = 1 << 4; // I: instruction fetch
export const X86_PF_PK = 1 << 5; // PK: protection-key violation

export type AccessType = 'read' | 'write' | 'fetch';
export const ACC_READ = 0;
export const ACC_WRITE = 1;
export const ACC_FETCH = 2;

export type KeyRights = 'rw' | 'readonly' | 'noaccess';

/** AD|WD mask of one key. */
export function pkrKeyMask(key: number): number {
  return (0x3 << (key * 2)) >>> 0;
}

export function pkrAd(pkrs: number, key: number): boolean {
  return ((pkrs >>> (key * 2)) & PKR_AD_BIT) !== 0;
}

export function pkrWd(pkrs: number, key: number): boolean {
  return ((pkrs >>> (key * 2)) & PKR_WD_BIT) !== 0;
}

/** The two bits a key's rights set in PKRS. */
export function rightsBits(key: number, rights: KeyRights): number {
  const v = rights === 'noaccess' ? PKR_AD_BIT : rights === 'readonly' ? PKR_WD_BIT : 0;
  return (v << (key * 2)) >>> 0;
}

export function rightsOf(pkrs: number, key: number): KeyRights {
  if (pkrAd(pkrs, key)) return 'noaccess';
  if (pkrWd(pkrs, key)) return 'readonly';
  return 'rw';
}

export interface KeyBits {
  key: number;
  ad: boolean;
  wd: boolean;
}

export function decodePkrs(pkrs: number): KeyBits[] {
  const out: KeyBits[] = [];
  for (let k = 0; k < PKS_NUM_KEYS; k++) out.push({ key: k, ad: pkrAd(pkrs, k), wd: pkrWd(pkrs, k) });
  return out;
}

export function encodePkrs(keys: readonly { key: number; ad: boolean; wd: boolean }[]): number {
  let v = 0;
  for (const k of keys) {
    if (k.ad) v |= PKR_AD_BIT << (k.key * 2);
    if (k.wd) v |= PKR_WD_BIT << (k.key * 2);
  }
  return v >>> 0;
}

/** What a key's bits mean for a supervisor access, in words (WD only matters when CR0.WP=1). */
export function describeKeyBits(ad: boolean, wd: boolean): string {
  if (ad && wd) return 'no access (AD; WD redundant)';
  if (ad) return 'no access (AD)';
  if (wd) return 'read-only (WD, when CR0.WP=1)';
  return 'read/write';
}

/**
 * WRMSR(IA32_PKRS) validity: bits 63:32 are reserved. `hi` is the upper 32 bits.
 * Returns true when the write raises #GP.
 */
export function pkrsWriteFaults(hi: number): boolean {
  return (hi & PKRS_RESERVED_HI_MASK) !== 0;
}

export const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');
export const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

/**
 * The hardware protection-key check for one data access.
 *
 * Returns 0 when the access is allowed, or the #PF error code (always with PK and P set) when
 * the key denies it. Instruction fetches are never checked. Supervisor pages are checked
 * against PKRS only when CR4.PKS is set; user pages against PKRU only when CR4.PKE is set.
 * AD blocks reads and writes; WD blocks writes only when CR0.WP=1 for supervisor accesses.
 */
export function pkeyCheck(pkrs: number, pkru: number, key: number, access: number, userPage: boolean, wp: boolean, cr4pks: boolean, cr4pke: boolean): number {
  if (access === ACC_FETCH) return 0;
  let reg: number;
  if (userPage) {
    if (!cr4pke) return 0;
    reg = pkru;
  } else {
    if (!cr4pks) return 0;
    reg = pkrs;
  }
  const bits = (reg >>> (key << 1)) & 3;
  if (bits === 0) return 0;
  const write = access === ACC_WRITE;
  if ((bits & PKR_AD_BIT) !== 0 || (write && wp && (bits & PKR_WD_BIT) !== 0)) {
    return X86_PF_PK | X86_PF_PROT | (write ? X86_PF_WRITE : 0);
  }
  return 0;
}

/**
 * Error code of a supervisor access, indexed by (key bits << 2 | write << 1 | wp): a table
 * lookup keeps the hot check branch-free.
 */
const PKS_FAULT_LUT = (() => {
  const t = new Int32Array(16);
  for (let bits = 0; bits < 4; bits++) {
    for (let w = 0; w < 2; w++) {
      for (let wp = 0; wp < 2; wp++) {
        const fault = (bits & PKR_AD_BIT) !== 0 || (w === 1 && wp === 1 && (bits & PKR_WD_BIT) !== 0);
        t[(bits << 2) | (w << 1) | wp] = fault ? X86_PF_PK | X86_PF_PROT | (w ? X86_PF_WRITE : 0) : 0;
      }
    }
  }
  return t;
})();

/**
 * The supervisor-page fast path the machine uses: PKRS only, CR4.PKS set by the caller.
 * Returns 0 or the #PF error code, like pkeyCheck() for a supervisor page.
 */
export function pksCheck(pkrs: number, key: number, write: boolean, wp: boolean): number {
  return PKS_FAULT_LUT[(((pkrs >>> (key << 1)) & 3) << 2) | (write ? 2 : 0) | (wp ? 1 : 0)]!;
}

export function decodeErrorCode(code: number): string[] {
  const out: string[] = [];
  if (code & X86_PF_PROT) out.push('P');
  if (code & X86_PF_WRITE) out.push('W');
  if (code & X86_PF_USER) out.push('U');
  if (code & X86_PF_INSTR) out.push('I');
  if (code & X86_PF_PK) out.push('PK');
  return out;
}
