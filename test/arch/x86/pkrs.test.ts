import { describe, expect, it } from 'vitest';
import {
  ACC_FETCH,
  ACC_READ,
  ACC_WRITE,
  MSR_IA32_PKRS,
  PKR_ALL_AD,
  X86_CR4_PKS_BIT,
  X86_PF_PK,
  X86_PF_PROT,
  X86_PF_WRITE,
  decodePkrs,
  encodePkrs,
  pkeyCheck,
  pkrKeyMask,
  pksCheck,
  pkrsWriteFaults,
  rightsBits,
} from '../../../src/arch/x86/pkrs.js';

describe('hardware facts: IA32_PKRS', () => {
  it('IA32_PKRS is MSR 0x6E1 and CR4.PKS is bit 24', () => {
    expect(MSR_IA32_PKRS).toBe(0x6e1);
    expect(X86_CR4_PKS_BIT).toBe(24);
  });

  it('key k owns bit 2k (AD) and bit 2k+1 (WD)', () => {
    for (let k = 0; k < 16; k++) {
      expect(encodePkrs([{ key: k, ad: true, wd: false }])).toBe((1 << (2 * k)) >>> 0);
      expect(encodePkrs([{ key: k, ad: false, wd: true }])).toBe((1 << (2 * k + 1)) >>> 0);
      expect(pkrKeyMask(k)).toBe((3 << (2 * k)) >>> 0);
    }
  });

  it('all-keys-AD is 0x55555555', () => {
    expect(PKR_ALL_AD).toBe(0x55555555);
    expect(encodePkrs(Array.from({ length: 16 }, (_, key) => ({ key, ad: true, wd: false })))).toBe(0x55555555);
  });

  it('decode and encode are inverse over 32-bit values', () => {
    for (const v of [0, 0x55555554, 0xaaaaaaaa, 0xffffffff, 0x20, 0x12345678]) expect(encodePkrs(decodePkrs(v))).toBe(v >>> 0);
  });

  it('setting bits 63:32 raises #GP', () => {
    expect(pkrsWriteFaults(0)).toBe(false);
    expect(pkrsWriteFaults(1)).toBe(true);
    expect(pkrsWriteFaults(0x80000000)).toBe(true);
  });

  it('rights map to bits: noaccess = AD, readonly = WD, rw = 0', () => {
    expect(rightsBits(2, 'noaccess')).toBe(0x10);
    expect(rightsBits(2, 'readonly')).toBe(0x20);
    expect(rightsBits(2, 'rw')).toBe(0);
  });
});

describe('hardware facts: the access check (known-good table, key 2 protected)', () => {
  const AD2 = 0x10;
  const WD2 = 0x20;
  const PK_W = X86_PF_PK | X86_PF_PROT | X86_PF_WRITE;
  const PK_R = X86_PF_PK | X86_PF_PROT;
  // [description, pkrs, pkru, access, userPage, wp, expected error code (0 = no fault)]
  const table: [string, number, number, number, boolean, boolean, number][] = [
    ['AD + write faults with WP=1', AD2, 0, ACC_WRITE, false, true, PK_W],
    ['AD + write faults with WP=0 (whatever CR0.WP)', AD2, 0, ACC_WRITE, false, false, PK_W],
    ['AD + read faults', AD2, 0, ACC_READ, false, true, PK_R],
    ['WD + write + WP=1 faults', WD2, 0, ACC_WRITE, false, true, PK_W],
    ['WD + write + WP=0 does not fault', WD2, 0, ACC_WRITE, false, false, 0],
    ['WD + read does not fault', WD2, 0, ACC_READ, false, true, 0],
    ['PKRS never affects accesses to user pages (AD)', AD2, 0, ACC_WRITE, true, true, 0],
    ['PKRS never affects accesses to user pages (WD)', WD2, 0, ACC_WRITE, true, true, 0],
    ['user pages are checked against PKRU', 0, AD2, ACC_READ, true, true, PK_R],
    ['PKRU never affects supervisor pages', 0, AD2, ACC_READ, false, true, 0],
    ['instruction fetches are never checked (AD)', AD2, 0, ACC_FETCH, false, true, 0],
    ['instruction fetches are never checked (user, PKRU AD)', 0, AD2, ACC_FETCH, true, true, 0],
    ['other keys do not matter', 0x55555545, 0, ACC_WRITE, false, true, 0],
  ];
  it.each(table)('%s', (_d, pkrs, pkru, access, user, wp, want) => {
    expect(pkeyCheck(pkrs, pkru, 2, access, user, wp, true, true)).toBe(want);
  });

  it('a key fault is a #PF with PK (bit 5) and P (bit 0), plus W (bit 1) for a write', () => {
    expect(pksCheck(AD2, 2, true, true)).toBe(0x23);
    expect(pksCheck(AD2, 2, false, true)).toBe(0x21);
  });

  it('CR4.PKS clear: PKRS is not checked', () => {
    expect(pkeyCheck(AD2, 0, 2, ACC_WRITE, false, true, false, true)).toBe(0);
  });

  it('the fast path agrees with the full check on supervisor pages', () => {
    for (let pkrs = 0; pkrs < 16; pkrs++) {
      for (const write of [false, true]) {
        for (const wp of [false, true]) {
          expect(pksCheck(pkrs << 4, 2, write, wp)).toBe(pkeyCheck(pkrs << 4, 0, 2, write ? ACC_WRITE : ACC_READ, false, wp, true, true));
        }
      }
    }
  });
});

import { mkPte, pteKey, pteUser, _PAGE_PKEY_MASK } from '../../../src/arch/x86/pte.js';

describe('hardware facts: the page table entry', () => {
  it('the key lives in PTE bits 62:59', () => {
    expect(_PAGE_PKEY_MASK).toBe(0x7800000000000000n);
    for (let k = 0; k < 16; k++) {
      const pte = mkPte(0x1234, k);
      expect(pteKey(pte)).toBe(k);
      expect((pte >> 59n) & 0xfn).toBe(BigInt(k));
      expect(pte >> 63n).toBe(0n); // bit 63 (NX) untouched
    }
  });
  it("the page's U/S bit picks the register: supervisor pages PKRS, user pages PKRU", () => {
    expect(pteUser(mkPte(1, 2, true))).toBe(true);
    expect(pteUser(mkPte(1, 2, false))).toBe(false);
  });
});
