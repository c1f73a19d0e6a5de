// The hook interface a protection design implements. The machine calls these at the points
// where the kernel would call into PKS; a policy never reaches into the machine's internals
// except through the Machine methods documented as "for policies".

import type { MachineCore as Machine } from './core.js';
import type { Ctx } from './context.js';
import type { SrcLoc } from '../scenario/ir.js';

export const VERDICT_OOPS = 0;
export const VERDICT_PARDON = 1;
export type Verdict = typeof VERDICT_OOPS | typeof VERDICT_PARDON;

export interface PksHooks {
  /** 'scoped:relaxed', 'global', ... */
  readonly label: string;
  /** CR4.PKS: false for `none` and `scoped:off`. */
  readonly pks: boolean;
  /**
   * Whether a live kmap() opens the key for the context that made it (as kmap_local_page()
   * does): the machine derives the context's rights from what it holds with this.
   */
  readonly kmapOpens: boolean;
  // The machine has done its bookkeeping (mapping records, grant counts) before each hook.
  /** kmap() of a page, after its pkmap slot (or linear address) is set up. */
  kmap(m: Machine, cpu: number, page: number): void;
  /** kunmap(page). `mapper` is the context that made the kmap() whose record ended. */
  kunmap(m: Machine, cpu: number, page: number, mapper: Ctx | null): void;
  /** kmap_local_page()/kmap_atomic() of a page. */
  mapLocal(m: Machine, cpu: number, page: number): void;
  unmapLocal(m: Machine, cpu: number, page: number): void;
  /** grant_access(): `rights` is READ and/or WRITE, already counted in the context. */
  grant(m: Machine, cpu: number, key: number, rights: number): void;
  /** revoke_access(): `rights` are the ones actually dropped (held, now released). */
  revoke(m: Machine, cpu: number, key: number, rights: number): void;
  /**
   * The #PF handler for a protection-key fault. `frame` is the exception's entry frame: its
   * savedPkrs is what the faulting context gets back on return from the fault.
   */
  fault(m: Machine, cpu: number, frame: Ctx, page: number, key: number, write: boolean, loc: SrcLoc | null): Verdict;
  /**
   * For exposure: would a stray access to `page` from the context running on `cpu` that
   * faults be let through without a new warning being printed?
   */
  pardonsSilently(m: Machine, cpu: number, page: number, key: number): boolean;
}
