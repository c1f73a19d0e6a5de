// The machine: the core (core.ts) plus the mappings (on x86_64 the direct map; on x86_32 the
// kmap pool, the fixmap slots of kmap_local and the linear map), the kmap_local stacks, the
// access path with the #PF handler, and the exposure measure.
// Protection designs plug in through PksHooks; nothing here knows which design runs.

import { PKS_NUM_KEYS, X86_PF_WRITE, pkrKeyMask, pksCheck } from '../arch/x86/pkrs.js';
import { FIXMAP_KMAP_BASE, KM_MAX_IDX, KM_MAX_LIVE, PAGE_SHIFT, kmapLocalAddr, pkmapAddr } from '../mm/layout.js';
import { PKMAP_FULL } from '../mm/pkmap.js';
import type { EventSink } from './events.js';
import { VERDICT_OOPS, VERDICT_PARDON, type PksHooks } from './policy_api.js';
import { MAP_ATOMIC, MAP_KMAP, MAP_LOCAL, MappingTable } from './mappings.js';
import type { MachineConfig } from './core.js';
import { MachineState } from './snapshot.js';
import type { Ctx } from './context.js';
import type { StateVec } from './state.js';

export { MachineCore, type Cpu, type MachineConfig, type ResetPoint, type WarnDedupe } from './core.js';
export { MAP_KMAP, MAP_LOCAL, MAP_ATOMIC, MAP_LINEAR } from './mappings.js';

export const ACCESS_OK = 0;
export const ACCESS_PARDONED = 1;
export const ACCESS_PARDONED_SILENT = 2;
export const ACCESS_OOPS = 3;
export const ACCESS_NOT_PRESENT = 4;
const OUTCOME_NAMES = ['ok', 'pardoned', 'pardoned_silent', 'oops', 'not_present'] as const;

export class Machine extends MachineState {
  /** Live kmap() mapping ids per page: kunmap() takes the page, not the address. */
  private readonly pageKmaps: number[][];
  /** Set when a kunmap() freed a pkmap slot: sleepers in kmap() can retry. */
  pkmapFreed = false;
  /** Pages whose key is protected by default: the only ones exposure counts. */
  private readonly protectedPages: Int32Array;
  /** Exposure of the last exposureOf() call, split by access type. */
  lastExposureRead = 0;
  lastExposureWrite = 0;
  /** No CONFIG_HIGHMEM (x86_64): every page in the map that is always there. */
  private readonly x86_64: boolean;

  constructor(cfg: MachineConfig, hooks: PksHooks, sink: EventSink | null = null) {
    super(cfg, hooks, sink);
    this.x86_64 = !this.layout.highmem;
    this.pageKmaps = Array.from({ length: cfg.pages.length }, () => []);
    this.protectedPages = Int32Array.from(cfg.pages.flatMap((p, i) => (this.protectedKey(p.key) ? [i] : [])));
    this.tallyKeys = Int32Array.from(new Set(Array.from(this.protectedPages, (p) => this.pageKey[p]!)));
  }

  override save(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    super.save(v, exec);
    v.push(this.pkmapFreed ? 1 : 0);
    v.push(this.lastKey);
    for (let p = 0; p < this.pageKmaps.length; p++) {
      const l = this.pageKmaps[p]!;
      v.push(l.length);
      v.pushAll(l);
    }
  }

  override load(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    super.load(v, exec);
    this.tallyVersion = -1; // a version number may recur on another path
    this.pkmapFreed = v.next() === 1;
    this.lastKey = v.next();
    for (let p = 0; p < this.pageKmaps.length; p++) {
      const l = this.pageKmaps[p]!;
      const len = v.next();
      if (l.length !== len) l.length = len;
      for (let i = 0; i < len; i++) l[i] = v.next();
    }
  }

  /**
   * Pages whose live kmap() records only their maker ends (set from the scenario's programs,
   * sim/ownkmap.ts): no context kunmap()s or page_address()es one without holding its own.
   * The order between different contexts' records of such a page decides nothing (only a
   * context holding none of its own picks the oldest), so the canonical state writes them
   * ordered by context, each context's own in their order. Null: every order is state.
   */
  kmapOrderFree: Uint8Array | null = null;
  private readonly orderScratch: number[] = [];

  protected override canonTail(v: StateVec): void {
    v.push(this.pkmapFreed ? 1 : 0);
    const free = this.kmapOrderFree;
    for (let p = 0; p < this.pageKmaps.length; p++) {
      const l = free !== null && free[p] === 1 && this.pageKmaps[p]!.length > 1 ? this.maps.orderByContext(this.pageKmaps[p]!, this.orderScratch) : this.pageKmaps[p]!;
      v.push(l.length);
      for (let i = 0; i < l.length; i++) v.push(this.canonMapId(l[i]!));
    }
    super.canonTail(v);
  }

  /** An address as the kernel would print it (for events and messages). */
  fmt(addr: number): string {
    return this.layout.formatAddr(addr);
  }

  /** The page's address in the always-present map: the direct map, or x86_32's linear map. */
  private mapAddr(page: number): number {
    return this.layout.mapAddr(page);
  }

  // ---- kmap / kunmap ----------------------------------------------------------------------

  /**
   * page_address(): the direct-map address; for an x86_32 highmem page, its kmap() address
   * while it is kmapped, else NULL. A pointer derived while the page is kmapped carries
   * that kmap() mapping (the caller's own if it has one), as ext2's kmap(p);
   * page_address(p) does.
   */
  linear(cpu: number, page: number): number {
    const ctx = this.top(cpu);
    const list = this.pageKmaps[page]!;
    if (list.length > 0) {
      const own = list.find((id) => this.maps.madeBy(id, ctx));
      this.lastMapping = own ?? list[0]!;
      return this.pageHighmem[page] ? pkmapAddr(this.pkmap.pageSlot[page]!) : this.mapAddr(page);
    }
    this.lastMapping = MappingTable.linear(page, ctx);
    return this.pageHighmem[page] ? 0 : this.mapAddr(page);
  }

  /** kmap(): returns the address, or -1 when the pkmap pool is full and the caller must sleep. */
  kmap(cpu: number, page: number, mightSleep = true): number {
    if (mightSleep) this.mightSleep(cpu, 'kmap()');
    let addr: number;
    let slot = -1;
    if (this.pageHighmem[page]) {
      slot = this.pkmap.map(page);
      if (slot === PKMAP_FULL) {
        this.stats.pkmapSleeps++;
        return -1;
      }
      addr = pkmapAddr(slot);
    } else addr = this.mapAddr(page);
    const id = this.newMapping(MAP_KMAP, page, this.top(cpu));
    this.pageKmaps[page]!.push(id);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'map', how: 'kmap', page, addr: this.fmt(addr), mapping: id, slot });
    this.lastMapping = id;
    this.hooks.kmap(this, cpu, page);
    return addr;
  }

  /**
   * kunmap(page) ends one kmap() record of the page: the unmapping context's own, else the
   * one whose pointer it holds (`held`: a pointer handed to it), else, for a context that is
   * not involved at all, the oldest (reported as foreign either way).
   */
  kunmap(cpu: number, page: number, held = -1): void {
    // might_sleep() is in kunmap() only with CONFIG_HIGHMEM (x86_32).
    if (!this.x86_64) this.mightSleep(cpu, 'kunmap()');
    const list = this.pageKmaps[page]!;
    if (list.length === 0) {
      // A highmem page with no kmap() has no pkmap address: kunmap_high() BUG_ON(!vaddr)s. On
      // lowmem and on x86_64 the kernel's kunmap() does nothing: pksim says so in a line of its own.
      if (this.pageHighmem[page]) this.oops(cpu, 'kernel BUG at mm/highmem.c: kunmap_high(): kunmap() of a page that is not kmapped');
      else this.report(cpu, 'kunmap_unmapped', 'kunmap() of a page that is not kmapped');
      return;
    }
    const ctx = this.top(cpu);
    let i = list.findIndex((id) => this.maps.madeBy(id, ctx));
    const foreign = i < 0;
    if (foreign) i = Math.max(0, list.indexOf(held));
    const id = list[i]!;
    list.splice(i, 1);
    const mapper = this.maps.ctxOf(id);
    this.endMapping(id);
    if (this.pageHighmem[page] && this.pkmap.unmap(page) === 0) this.pkmapFreed = true;
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'unmap', how: 'kunmap', page, addr: '', mapping: id });
    if (foreign) this.report(cpu, 'kunmap_foreign', `kunmap() from ${ctx.name}, but the page was kmapped by ${mapper?.name}`);
    this.hooks.kunmap(this, cpu, page, mapper);
  }

  // ---- kmap_local -------------------------------------------------------------------------

  /**
   * kmap_local_page()/kmap_atomic(): push on the current task's stack (x86_32: highmem pages
   * only, in a fixmap slot; x86_64: every page, at its direct-map address, kept for the LIFO
   * rule and the rights). Returns the address, or 0 when the push BUGs.
   */
  kmapLocal(cpu: number, page: number, atomic: boolean): number {
    const c = this.cpus[cpu]!;
    const t = c.curr;
    if (atomic) {
      t.preemptCount++;
      t.pagefaultDisabled++;
    }
    const stacked = this.x86_64 || this.pageHighmem[page] === 1;
    if (stacked) {
      // kmap_local_idx_push(): interrupts must be off in a hardirq, and the index must stay
      // below KM_MAX_IDX.
      if (c.frames.length > 1 && !c.irqsOff && this.top(cpu).kind === 'hardirq')
        this.warnOnce(cpu, 'kmap_local_idx_push', 'kmap_local mapping in hardirq context with interrupts enabled');
      if (t.local.depth >= KM_MAX_LIVE) {
        this.oops(cpu, `kernel BUG at mm/highmem.c: kmap_local_idx_push(): kmap_local stack full (${KM_MAX_LIVE} live mappings, KM_MAX_IDX ${KM_MAX_IDX})`);
        return 0;
      }
    }
    const id = this.newMapping(atomic ? MAP_ATOMIC : MAP_LOCAL, page, this.top(cpu));
    let addr: number;
    let idx = -1;
    if (stacked) {
      idx = t.local.depth++;
      t.local.page[idx] = page;
      t.local.mapping[idx] = id;
      if (this.pageHighmem[page]) {
        this.fixmap.set(cpu, idx, page);
        addr = kmapLocalAddr(cpu, idx);
      } else addr = this.mapAddr(page);
    } else addr = this.mapAddr(page);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'map', how: atomic ? 'kmap_atomic' : 'kmap_local', page, addr: this.fmt(addr), mapping: id, slot: idx });
    this.hooks.mapLocal(this, cpu, page);
    this.lastMapping = id;
    return addr;
  }

  /**
   * kunmap_local(addr): tears down the top of the stack; an address that is not the top gets
   * the kernel's WARN_ON_ONCE and the top goes anyway. Rights follow the stack: the torn-down
   * mapping's page is the one whose key reference is dropped, so counts stay balanced.
   */
  kunmapLocal(cpu: number, addr: number, mapping: number, atomic: boolean): void {
    const t = this.cpus[cpu]!.curr;
    if (atomic) {
      t.preemptCount = Math.max(0, t.preemptCount - 1);
      t.pagefaultDisabled = Math.max(0, t.pagefaultDisabled - 1);
    }
    let page: number;
    let torn: number;
    const stacked = this.x86_64 || (addr >= FIXMAP_KMAP_BASE && addr < 2 ** 32);
    if (stacked) {
      if (t.local.depth === 0) {
        this.report(cpu, 'kunmap_local_empty', 'kunmap_local() with no kmap_local mapping held');
        return;
      }
      const top = t.local.depth - 1;
      const idx = this.x86_64 ? this.stackIndexOf(t.local.page, t.local.mapping, top, addr, mapping) : ((addr - FIXMAP_KMAP_BASE) >>> PAGE_SHIFT) - cpu * KM_MAX_IDX;
      if (idx !== top) {
        this.stats.lifoViolations++;
        if (this.sink) this.emit({ ...this.base(cpu), type: 'lifo_violation', expected: top, got: idx });
        this.warnOnce(cpu, 'kunmap_local_indexed', `kunmap_local() out of order: index ${idx} unmapped while index ${top} is the top of the stack (the top is torn down)`);
      }
      page = t.local.page[top]!;
      torn = t.local.mapping[top]!;
      if (this.pageHighmem[page]) this.fixmap.set(cpu, top, -1);
      t.local.page[top] = -1;
      t.local.mapping[top] = -1;
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
    if (this.sink) this.emit({ ...this.base(cpu), type: 'unmap', how: atomic ? 'kunmap_atomic' : 'kunmap_local', page, addr: this.fmt(addr), mapping: torn });
    this.hooks.unmapLocal(this, cpu, page);
  }

  /** x86_64: the stack index an address names (its own mapping first, else the page), -1 if none. */
  private stackIndexOf(pages: Int32Array, maps: Float64Array, top: number, addr: number, mapping: number): number {
    for (let i = top; i >= 0; i--) if (maps[i] === mapping) return i;
    const page = this.as.translate(addr);
    for (let i = top; i >= 0; i--) if (pages[i] === page) return i;
    return -1;
  }

  /** Address a forged pointer to the page would use: wherever the page is reachable now. */
  strayAddr(page: number): number {
    if (!this.pageHighmem[page]) return this.mapAddr(page);
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
      if (this.sink) this.emit({ ...this.base(cpu), type: 'fault', addr: this.fmt(addr), errorCode: write ? X86_PF_WRITE : 0, key: -1, page: -1, pkrs: c.msr });
      outcome = ACCESS_NOT_PRESENT;
    } else {
      const key = this.pageKey[page]!;
      this.lastKey = key;
      const code = this.hooks.pks ? pksCheck(c.msr, key, write, this.cfg.wp) : 0;
      outcome = code === 0 ? ACCESS_OK : this.pkFault(cpu, addr, code, page, key, write);
    }
    if (this.sink) {
      this.emit({ ...this.base(cpu), type: 'access', write, addr: this.fmt(addr), page, key: this.lastKey, mapping, outcome: OUTCOME_NAMES[outcome]!, pkrs: c.msr });
    }
    if (outcome === ACCESS_NOT_PRESENT) this.oops(cpu, `BUG: unable to handle page fault for address: ${this.fmt(addr).slice(2)}`);
    else if (outcome === ACCESS_OOPS) this.oops(cpu, `BUG: unable to handle page fault for address: ${this.fmt(addr).slice(2)} (protection key ${this.lastKey} violation)`);
    return outcome;
  }

  lastKey = -1;

  /** #PF with PK set: enter the exception, ask the policy, return from the fault, retry. */
  private pkFault(cpu: number, addr: number, code: number, page: number, key: number, write: boolean): number {
    const c = this.cpus[cpu]!;
    this.stats.faults++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'fault', addr: this.fmt(addr), errorCode: code, key, page, pkrs: c.msr });
    const warnedBefore = this.stats.warnings;
    const frame = this.enter(cpu, 'exception', '#PF');
    // V7's handle_abandoned_pks_value(): a key abandoned since this context loaded its PKRS
    // is opened in the frame and the access retried, without asking the design.
    const abandoned = (this.abandoned & pkrKeyMask(key)) !== 0;
    const verdict = abandoned ? VERDICT_PARDON : this.hooks.fault(this, cpu, frame, page, key, write, this.loc);
    this.exit(cpu);
    if (verdict === VERDICT_OOPS) return ACCESS_OOPS;
    // The faulting instruction is restarted: if the handler did not open the key, the access
    // would fault forever; the model stops that as an oops.
    if (pksCheck(c.msr, key, write, this.cfg.wp) !== 0) return ACCESS_OOPS;
    return this.stats.warnings > warnedBefore ? ACCESS_PARDONED : ACCESS_PARDONED_SILENT;
  }

  // ---- exposure -----------------------------------------------------------------------

  /**
   * Protected pages a stray access from the context running on `cpu` could reach unnoticed:
   * addressable now, and either allowed by PKRS or let through without a new warning. Returns
   * the pages a stray read or write could reach; lastExposureRead/Write hold each apart.
   * Only the PKRS is per CPU: what is addressable and what a design pardons silently is shared
   * (no design's pardonsSilently() looks at the CPU), so it is tallied per key once per
   * machine version and each CPU costs one pass over the protected keys.
   */
  exposureOf(cpu: number): number {
    if (this.tallyVersion !== this.version) this.tallyExposure();
    const keys = this.tallyKeys;
    const reach = this.reachByKey;
    let reads = 0;
    let writes = 0;
    if (!this.hooks.pks) {
      for (let i = 0; i < keys.length; i++) reads += reach[keys[i]!]!;
      writes = reads;
    } else {
      const msr = this.cpus[cpu]!.msr;
      const wp = this.cfg.wp;
      const silent = this.silentByKey;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const n = reach[k]!;
        if (n === 0) continue;
        // A write allowed is a read allowed (AD blocks both, WD only writes).
        if (pksCheck(msr, k, true, wp) === 0) {
          reads += n;
          writes += n;
        } else {
          const s = silent[k]!;
          writes += s;
          reads += pksCheck(msr, k, false, wp) === 0 ? n : s;
        }
      }
    }
    this.lastExposureRead = reads;
    this.lastExposureWrite = writes;
    return reads;
  }

  private tallyVersion = -1;
  private readonly reachByKey = new Int32Array(PKS_NUM_KEYS);
  private readonly silentByKey = new Int32Array(PKS_NUM_KEYS);
  /** The keys of the protected pages, each once. */
  private readonly tallyKeys: Int32Array;

  /** Per key: protected pages an address reaches now, and those a fault on would be pardoned silently. */
  private tallyExposure(): void {
    this.tallyVersion = this.version;
    const keys = this.tallyKeys;
    for (let i = 0; i < keys.length; i++) this.reachByKey[keys[i]!] = this.silentByKey[keys[i]!] = 0;
    const pp = this.protectedPages;
    const highmem = this.pageHighmem;
    const slot = this.pkmap.pageSlot;
    const fixmapped = this.fixmap.mapped;
    const pks = this.hooks.pks;
    for (let i = 0; i < pp.length; i++) {
      const p = pp[i]!;
      if (highmem[p] !== 0 && slot[p]! < 0 && fixmapped[p] === 0) continue; // no address reaches it
      const key = this.pageKey[p]!;
      this.reachByKey[key]!++;
      if (pks && this.hooks.pardonsSilently(this, p, key)) this.silentByKey[key]!++;
    }
  }
}
