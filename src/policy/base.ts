// Shared pieces of the protection designs.

import { VERDICT_OOPS, type PksHooks, type Verdict, type Frame, type PolicyContext } from '../kernel/policy_api.js';
import type { SrcLoc } from '../kernel/types.js';

export type PksMode = 'strict' | 'relaxed' | 'silent' | 'off';

/** A design with no PKS at all: every hook does nothing, CR4.PKS is clear. */
export class NoPks implements PksHooks {
  readonly pks: boolean = false;
  readonly kmapOpens: boolean = false;
  constructor(readonly label: string) {}
  kmap(_m: PolicyContext, _cpu: number, _page: number): void {}
  kunmap(_m: PolicyContext, _cpu: number, _page: number, _mapper: Frame | null): void {}
  mapLocal(_m: PolicyContext, _cpu: number, _page: number): void {}
  unmapLocal(_m: PolicyContext, _cpu: number, _page: number): void {}
  grant(_m: PolicyContext, _cpu: number, _key: number, _rights: number): void {}
  revoke(_m: PolicyContext, _cpu: number, _key: number, _rights: number): void {}
  fault(_m: PolicyContext, _cpu: number, _frame: Frame, _page: number, _key: number, _write: boolean, _loc: SrcLoc | null): Verdict {
    return VERDICT_OOPS;
  }
  pardonsSilently(_m: PolicyContext, _page: number, _key: number): boolean {
    return false;
  }
}

/**
 * Thread-local rights: kmap_local_page() and grant_access() open the key for the running
 * context only, with the rights the machine derives from what that context holds.
 */
export abstract class ContextLocalPks extends NoPks {
  override readonly pks: boolean = true;
  override mapLocal(m: PolicyContext, cpu: number, page: number): void {
    const key = m.pageKey[page]!;
    if (m.protectedKey(key)) m.applyRights(cpu, key);
  }
  override unmapLocal(m: PolicyContext, cpu: number, page: number): void {
    this.mapLocal(m, cpu, page);
  }
  override grant(m: PolicyContext, cpu: number, key: number): void {
    m.applyRights(cpu, key);
  }
  override revoke(m: PolicyContext, cpu: number, key: number): void {
    m.applyRights(cpu, key);
  }
}

/** Fault-handler message in the kernel's style. */
export function pkMessage(m: PolicyContext, key: number, page: number): string {
  return `PKS: protection key ${key} fault on page ${m.pageName(page)}${m.pageHighmem[page] ? ' (highmem)' : ''}: access pardoned for this context`;
}
