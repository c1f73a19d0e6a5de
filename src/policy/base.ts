// Shared pieces of the protection designs.

import { VERDICT_OOPS, type PksHooks, type Verdict } from '../kernel/pks_hooks.js';
import type { MachineCore as Machine } from '../kernel/core.js';
import type { Ctx } from '../kernel/context.js';
import type { SrcLoc } from '../scenario/ir.js';

export type PksMode = 'strict' | 'relaxed' | 'silent' | 'off';

/** A design with no PKS at all: every hook does nothing, CR4.PKS is clear. */
export class NoPks implements PksHooks {
  readonly pks: boolean = false;
  readonly kmapOpens: boolean = false;
  constructor(readonly label: string) {}
  kmap(_m: Machine, _cpu: number, _page: number): void {}
  kunmap(_m: Machine, _cpu: number, _page: number, _mapper: Ctx | null): void {}
  mapLocal(_m: Machine, _cpu: number, _page: number): void {}
  unmapLocal(_m: Machine, _cpu: number, _page: number): void {}
  grant(_m: Machine, _cpu: number, _key: number, _rights: number): void {}
  revoke(_m: Machine, _cpu: number, _key: number, _rights: number): void {}
  fault(_m: Machine, _cpu: number, _frame: Ctx, _page: number, _key: number, _write: boolean, _loc: SrcLoc | null): Verdict {
    return VERDICT_OOPS;
  }
  pardonsSilently(_m: Machine, _cpu: number, _page: number, _key: number): boolean {
    return false;
  }
}

/**
 * Thread-local rights: kmap_local_page() and grant_access() open the key for the running
 * context only, with the rights the machine derives from what that context holds.
 */
export abstract class ContextLocalPks extends NoPks {
  override readonly pks: boolean = true;
  override mapLocal(m: Machine, cpu: number, page: number): void {
    const key = m.pageKey[page]!;
    if (m.protectedKey(key)) m.applyRights(cpu, key);
  }
  override unmapLocal(m: Machine, cpu: number, page: number): void {
    this.mapLocal(m, cpu, page);
  }
  override grant(m: Machine, cpu: number, key: number): void {
    m.applyRights(cpu, key);
  }
  override revoke(m: Machine, cpu: number, key: number): void {
    m.applyRights(cpu, key);
  }
}

/** Fault-handler message in the kernel's style. */
export function pkMessage(m: Machine, key: number, page: number): string {
  return `PKS: protection key ${key} fault on page ${page}${m.pageHighmem[page] ? ' (highmem)' : ''}: access pardoned for this context`;
}
