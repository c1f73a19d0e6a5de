// The narrow interface between the machine and the protection designs. A design implements
// PksHooks; the machine calls them where the kernel would call into PKS, having done its own
// bookkeeping first (mapping records, grant counts). A design sees the machine only through
// PolicyContext: this file and ./types.js are all it may import from the kernel.

import type { Ctx, Task } from './context.js';
import type { SrcLoc } from './types.js';
import type { StateVec } from './state.js';

export type { StateVec };

export const VERDICT_OOPS = 0;
export const VERDICT_PARDON = 1;
export type Verdict = typeof VERDICT_OOPS | typeof VERDICT_PARDON;

/** An interrupt or exception entry frame (pt_regs with the saved PKRS), or a task context. */
export type Frame = Ctx;
export type { Task };

/** What a design may read and do. MachineCore implements it. */
export interface PolicyContext {
  /** Protection key of each page (from its PTE). */
  readonly pageKey: Uint8Array;
  /** 1 for an x86_32 highmem page (messages only). */
  readonly pageHighmem: Uint8Array;
  /** A page as the scenario names it, for messages. */
  pageName(page: number): string;
  /** PKRS bits the `global` design has opened on every CPU (with IPIs). */
  readonly globalOpen: number;
  /** PKRS bits of keys abandoned for good (V7's allowed mask, inverted). */
  readonly abandoned: number;
  /** Is the key protected by default (AD or WD in PKS_INIT_VALUE)? */
  protectedKey(key: number): boolean;
  /** The key's two PKRS bits in PKS_INIT_VALUE, shifted down to bits 1:0. */
  keyDefault(key: number): number;
  /** The context running on a CPU (the top of its frame stack). */
  top(cpu: number): Frame;
  /** Every task, in creation order (Task.index). */
  readonly tasks: readonly Task[];
  /** The task a CPU runs (under any interrupt on top of it). */
  currentTask(cpu: number): Task;
  /** The running context's PKRS value. */
  pkrs(cpu: number): number;
  /** wrmsr(IA32_PKRS) on this CPU. */
  writePkrs(cpu: number, value: number): void;
  /** Set the key's bits in the running context's PKRS from what it holds. */
  applyRights(cpu: number, key: number): void;
  /** Open or close keys on every CPU at once (an IPI to every other CPU per change). */
  setGlobalOpen(cpu: number, mask: number, reason: string): void;
  /** pks_abandon_protections(): open the key for everyone, for good, lazily, without IPIs. */
  abandonKey(cpu: number, key: number): void;
  /** The fault handler's WARN_ONCE (or per-site warning): whether it printed. */
  warn(cpu: number, message: string): boolean;
  /** A kernel WARN_ON_ONCE() at a named site: whether it printed. */
  warnOnce(cpu: number, site: string, message: string): boolean;
  /** Would a new faulting site still print the handler's warning? (exposure) */
  strayWouldWarn(): boolean;
  /** Clear the key in the frame's saved PKRS: the faulting context gets it open on return. */
  pardon(cpu: number, frame: Frame, page: number, key: number, printed: boolean): void;
  /** Something worth a line in the log (unbalanced revoke, underflow). */
  report(cpu: number, what: string, detail: string): void;
  /** Something held when its context was left. */
  leak(cpu: number, what: string, detail: string): void;
  /** BUG()/oops in the running context. */
  oops(cpu: number, message: string): void;
}

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
  /** kmap() of a page, after its pkmap slot (or direct-map address) is set up. */
  kmap(m: PolicyContext, cpu: number, page: number): void;
  /** kunmap(page). `mapper` is the context that made the kmap() whose record ended. */
  kunmap(m: PolicyContext, cpu: number, page: number, mapper: Frame | null): void;
  /** kmap_local_page()/kmap_atomic() of a page. */
  mapLocal(m: PolicyContext, cpu: number, page: number): void;
  unmapLocal(m: PolicyContext, cpu: number, page: number): void;
  /** grant_access(): `rights` is READ and/or WRITE, already counted in the context. */
  grant(m: PolicyContext, cpu: number, key: number, rights: number): void;
  /** revoke_access(): `rights` are the ones actually dropped (held, now released). */
  revoke(m: PolicyContext, cpu: number, key: number, rights: number): void;
  /**
   * The #PF handler for a protection-key fault. `frame` is the exception's entry frame: its
   * saved PKRS is what the faulting context gets back on return from the fault.
   */
  fault(m: PolicyContext, cpu: number, frame: Frame, page: number, key: number, write: boolean, loc: SrcLoc | null): Verdict;
  /**
   * For exposure: would a stray access to `page` that faults be let through without a new
   * warning being printed? The answer may depend on machine state (counts, WARN_ONCE,
   * abandoned keys) but not on which CPU asks: the machine tallies it once for all CPUs.
   */
  pardonsSilently(m: PolicyContext, page: number, key: number): boolean;
  /**
   * Interrupt or exception entry, after the machine has saved the interrupted context's PKRS in
   * `frame` and loaded the default (what every version of the series did): a design that
   * enters contexts otherwise changes the running context's PKRS here.
   */
  contextEntry?(m: PolicyContext, cpu: number, frame: Frame): void;
  /**
   * Interrupt or exception exit, with `frame` still running, before the machine restores PKRS
   * from `frame.savedPkrs` (which the design may edit, as the #PF handler's pardon does).
   */
  contextExit?(m: PolicyContext, cpu: number, frame: Frame): void;
  /** A task returns to user space, exits, or ends a work item: the design's own leak checks. */
  taskBoundary?(m: PolicyContext, cpu: number, task: Task, where: string): void;
  /**
   * A design whose kmap() is not one atomic step: after the step that maps the page (and calls
   * kmap()), kmapStep(1..kmapSteps) runs, each a scheduler step of its own, so another CPU or an
   * interrupt can run between them. `carry` is what the previous step returned (0 for the
   * first); the machine keeps it with the context's program state, in every snapshot.
   */
  readonly kmapSteps?: number;
  kmapStep?(m: PolicyContext, cpu: number, page: number, step: number, carry: number): number;
  /** The same for kunmap(): kunmapStep(1..kunmapSteps) after the step that ends the mapping. */
  readonly kunmapSteps?: number;
  kunmapStep?(m: PolicyContext, cpu: number, page: number, step: number, carry: number): number;
  /** The design's count of kmap()s that made a page globally unprotected (designs that keep one). */
  unprotectCount?(page: number): number;
  /** Write the design's own state into a machine snapshot (designs that keep any). */
  save?(m: PolicyContext, v: StateVec): void;
  /** Read back what save() wrote. */
  load?(m: PolicyContext, v: StateVec): void;
}
