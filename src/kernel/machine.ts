// The machine: the core (core.ts) plus the highmem mappings (kmap pool, kmap_local stacks,
// the linear map) and the access path with the #PF handler, and the exposure measure.
// Protection designs plug in through PksHooks; nothing here knows which design runs.

import { X86_PF_WRITE, pksCheck } from '../arch/x86/pkrs.js';
import { FIXMAP_KMAP_BASE, KM_MAX_IDX, PAGE_SHIFT, kmapLocalAddr, linearAddr, pkmapAddr } from '../mm/layout.js';
import { PKMAP_FULL } from '../mm/pkmap.js';
import type { EventSink } from './events.js';
import { VERDICT_OOPS, type PksHooks } from './pks_hooks.js';
import { MAP_ATOMIC, MAP_KMAP, MAP_LOCAL, MappingTable } from './mappings.js';
import { MachineCore, type MachineConfig } from './core.js';

export { MachineCore, type Cpu, type MachineConfig, type ResetPoint, type WarnDedupe } from './core.js';
export { MAP_KMAP, MAP_LOCAL, MAP_ATOMIC, MAP_LINEAR } from './mappings.js';

export const ACCESS_OK = 0;
export const ACCESS_PARDONED = 1;
export const ACCESS_PARDONED_SILENT = 2;
export const ACCESS_OOPS = 3;
export const ACCESS_NOT_PRESENT = 4;
const OUTCOME_NAMES = ['ok', 'pardoned', 'pardoned_silent', 'oops', 'not_present'] as const;

export class Machine extends MachineCore {
  /** Live kmap() mapping ids per page: kunmap() takes the page, not the address. */
  private readonly pageKmaps: number[][];
  /** Set when a kunmap() freed a pkmap slot: sleepers in kmap() can retry. */
  pkmapFreed = false;
  /** Pages whose key is protected by default: the only ones exposure counts. */
  private readonly protectedPages: Int32Array;

  constructor(cfg: MachineConfig, hooks: PksHooks, sink: EventSink | null = null) {
    super(cfg, hooks, sink);
    this.pageKmaps = Array.from({ length: cfg.pages.length }, () => []);
    this.protectedPages = Int32Array.from(cfg.pages.flatMap((p, i) => (this.protectedKey(p.key) ? [i] : [])));
  }

  // ---- highmem ------------------------------------------------------------------------

  /** A linear-map pointer (page_address()): needs no mapping, always live. */
  linear(cpu: number, page: number): number {
    this.lastMapping = MappingTable.linear(page, this.top(cpu));
    return this.pageHighmem[page] ? 0 : linearAddr(page);
  }

  /** kmap(): returns the address, or -1 when the pkmap pool is full and the caller must sleep. */
  kmap(cpu: number, page: number): number {
    if (this.atomic(cpu)) this.report(cpu, 'might_sleep', 'BUG: sleeping function called from invalid context: kmap() in atomic context');
    let addr: number;
    let slot = -1;
    if (this.pageHighmem[page]) {
      slot = this.pkmap.map(page);
      if (slot === PKMAP_FULL) {
        this.stats.pkmapSleeps++;
        if (this.sink) this.emit({ ...this.base(cpu), type: 'sleep', reason: 'pkmap pool full' });
        return -1;
      }
      addr = pkmapAddr(slot);
    } else addr = linearAddr(page);
    const id = this.newMapping(MAP_KMAP, page, this.top(cpu));
    this.pageKmaps[page]!.push(id);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'map', how: 'kmap', page, addr, mapping: id, slot });
    this.hooks.kmap(this, cpu, page);
    this.lastMapping = id;
    return addr;
  }

  /** kunmap(page): ends this context's kmap of the page, or else the oldest one. */
  kunmap(cpu: number, page: number): void {
    const list = this.pageKmaps[page]!;
    if (list.length === 0) {
      this.report(cpu, 'kunmap_unmapped', 'kunmap() of a page that is not kmapped');
      return;
    }
    const ctx = this.top(cpu);
    let i = list.findIndex((id) => this.maps.madeBy(id, ctx));
    const foreign = i < 0;
    if (foreign) i = 0;
    const id = list[i]!;
    list.splice(i, 1);
    const mapper = this.maps.ctxOf(id);
    this.endMapping(id);
    if (this.pageHighmem[page] && this.pkmap.unmap(page) === 0) this.pkmapFreed = true;
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'unmap', how: 'kunmap', page, addr: 0, mapping: id });
    if (foreign) this.report(cpu, 'kunmap_foreign', `kunmap() from ${ctx.name}, but the page was kmapped by ${mapper?.name}`);
    this.hooks.kunmap(this, cpu, page, mapper);
  }

  /** kmap_local_page()/kmap_atomic(): push on the current task's stack. Returns the address. */
  kmapLocal(cpu: number, page: number, atomic: boolean): number {
    const t = this.cpus[cpu]!.curr;
    const id = this.newMapping(atomic ? MAP_ATOMIC : MAP_LOCAL, page, this.top(cpu));
    if (atomic) {
      t.preemptCount++;
      t.pagefaultDisabled++;
    }
    let addr: number;
    let idx = -1;
    if (this.pageHighmem[page]) {
      if (t.local.depth >= KM_MAX_IDX) {
        this.endMapping(id);
        this.oops(cpu, `kernel BUG: kmap_local stack overflow (more than ${KM_MAX_IDX} nested mappings)`);
        return 0;
      }
      idx = t.local.depth++;
      t.local.page[idx] = page;
      t.local.mapping[idx] = id;
      this.fixmap.set(cpu, idx, page);
      addr = kmapLocalAddr(cpu, idx);
    } else addr = linearAddr(page);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'map', how: atomic ? 'kmap_atomic' : 'kmap_local', page, addr, mapping: id, slot: idx });
    this.hooks.mapLocal(this, cpu, page);
    this.lastMapping = id;
    return addr;
  }

  /**
   * kunmap_local(addr): tears down the top of the stack; an address that is not the top warns
   * and the top goes anyway. Rights follow the stack: the torn-down mapping's page is the one
   * whose key reference is dropped, so counts stay balanced even when the order is wrong.
   */
  kunmapLocal(cpu: number, addr: number, mapping: number, atomic: boolean): void {
    const t = this.cpus[cpu]!.curr;
    if (atomic) {
      t.preemptCount = Math.max(0, t.preemptCount - 1);
      t.pagefaultDisabled = Math.max(0, t.pagefaultDisabled - 1);
    }
    let page: number;
    let torn: number;
    if (addr >= FIXMAP_KMAP_BASE) {
      if (t.local.depth === 0) {
        this.report(cpu, 'kunmap_local_empty', 'kunmap_local() with no kmap_local mapping held');
        return;
      }
      const top = t.local.depth - 1;
      const idx = ((addr - FIXMAP_KMAP_BASE) >>> PAGE_SHIFT) - cpu * KM_MAX_IDX;
      if (idx !== top) {
        this.stats.lifoViolations++;
        if (this.sink) this.emit({ ...this.base(cpu), type: 'lifo_violation', expected: top, got: idx });
      }
      page = t.local.page[top]!;
      torn = t.local.mapping[top]!;
      this.fixmap.set(cpu, top, -1);
      t.local.depth--;
    } else {
      if (!this.maps.isLive(mapping)) {
        this.report(cpu, 'kunmap_local_dead', 'kunmap_local() of a mapping that is already gone');
        return;
      }
      page = this.maps.pageOf(mapping);
      torn = mapping;
    }
    this.endMapping(torn);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'unmap', how: atomic ? 'kunmap_atomic' : 'kunmap_local', page, addr, mapping: torn });
    this.hooks.unmapLocal(this, cpu, page);
  }

  /** Address a forged pointer to the page would use: wherever the page is reachable now. */
  strayAddr(page: number): number {
    if (!this.pageHighmem[page]) return linearAddr(page);
    const slot = this.pkmap.pageSlot[page]!;
    if (slot >= 0) return pkmapAddr(slot);
    if (this.fixmap.mapped[page] === 0) return 0; // not mapped anywhere: the stray faults not-present
    const pte = this.fixmap.pte;
    for (let i = 0; i < pte.length; i++) if (pte[i] === page) return kmapLocalAddr((i / KM_MAX_IDX) | 0, i % KM_MAX_IDX);
    return 0; // not mapped anywhere: the stray faults not-present
  }

  // ---- the access path ----------------------------------------------------------------

  /**
   * One data access by the running context. Returns an ACCESS_* outcome; the key of the page
   * reached (-1 for none) is left in `lastKey`.
   */
  access(cpu: number, addr: number, write: boolean, mapping: number): number {
    const c = this.cpus[cpu]!;
    const page = this.as.translate(addr);
    let outcome: number;
    if (page < 0) {
      this.stats.faults++;
      this.lastKey = -1;
      if (this.sink) this.emit({ ...this.base(cpu), type: 'fault', addr, errorCode: write ? X86_PF_WRITE : 0, key: -1, page: -1, pkrs: c.msr });
      outcome = ACCESS_NOT_PRESENT;
    } else {
      const key = this.pageKey[page]!;
      this.lastKey = key;
      const code = this.hooks.pks ? pksCheck(c.msr, key, write, this.cfg.wp) : 0;
      outcome = code === 0 ? ACCESS_OK : this.pkFault(cpu, addr, code, page, key, write);
    }
    if (this.sink) {
      this.emit({ ...this.base(cpu), type: 'access', write, addr, page, key: this.lastKey, mapping, outcome: OUTCOME_NAMES[outcome]!, pkrs: c.msr });
    }
    if (outcome === ACCESS_NOT_PRESENT) this.oops(cpu, `BUG: unable to handle page fault for address: ${addr.toString(16).padStart(8, '0')}`);
    else if (outcome === ACCESS_OOPS) this.oops(cpu, `BUG: unable to handle page fault for address: ${addr.toString(16).padStart(8, '0')} (protection key ${this.lastKey} violation)`);
    return outcome;
  }

  lastKey = -1;

  /** #PF with PK set: enter the exception, ask the policy, return from the fault, retry. */
  private pkFault(cpu: number, addr: number, code: number, page: number, key: number, write: boolean): number {
    const c = this.cpus[cpu]!;
    this.stats.faults++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'fault', addr, errorCode: code, key, page, pkrs: c.msr });
    const warnedBefore = this.stats.warnings;
    const frame = this.enter(cpu, 'exception', '#PF');
    const verdict = this.hooks.fault(this, cpu, frame, page, key, write, this.loc);
    this.exit(cpu);
    if (verdict === VERDICT_OOPS) return ACCESS_OOPS;
    // The faulting instruction is restarted: if the handler did not open the key, the access
    // would fault forever; the model stops that as an oops.
    if (pksCheck(c.msr, key, write, this.cfg.wp) !== 0) return ACCESS_OOPS;
    return this.stats.warnings > warnedBefore ? ACCESS_PARDONED : ACCESS_PARDONED_SILENT;
  }

  // ---- exposure -----------------------------------------------------------------------

  /**
   * Protected pages a stray write from the context running on `cpu` could reach unnoticed:
   * addressable now, and either allowed by PKRS or pardoned without a new warning.
   */
  exposureOf(cpu: number): number {
    const msr = this.cpus[cpu]!.msr;
    const pp = this.protectedPages;
    let count = 0;
    for (let i = 0; i < pp.length; i++) {
      const p = pp[i]!;
      if (this.pageHighmem[p] && this.pkmap.pageSlot[p]! < 0 && this.fixmap.mapped[p] === 0) continue; // no address reaches it
      const key = this.pageKey[p]!;
      if (!this.hooks.pks || pksCheck(msr, key, true, this.cfg.wp) === 0 || this.hooks.pardonsSilently(this, cpu, p, key)) count++;
    }
    return count;
  }
}
