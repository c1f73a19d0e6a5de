// The machine: CPUs with their PKRS MSR and frame stacks, tasks, the highmem mappings, the
// access path with the #PF handler, and the cost counters a real kernel pays. Protection
// designs plug in through PksHooks; nothing here knows which design runs.

import { PKR_WD_BIT, PKS_NUM_KEYS, X86_PF_WRITE, pkrKeyMask, pksCheck, rightsBits } from '../arch/x86/pkrs.js';
import type { KeyDefault, SrcLoc, TaskKind } from '../scenario/ir.js';
import { AddressSpace } from '../mm/addrspace.js';
import { FixmapSlots } from '../mm/kmap_local.js';
import { FIXMAP_KMAP_BASE, KM_MAX_IDX, PAGE_SHIFT, kmapLocalAddr, linearAddr, pkmapAddr } from '../mm/layout.js';
import { PKMAP_FULL, Pkmap } from '../mm/pkmap.js';
import { Ctx, Task } from './context.js';
import type { EventSink, FrameKind, PksimEvent } from './events.js';
import { VERDICT_OOPS, type PksHooks } from './pks_hooks.js';
import { Stats } from './stats.js';
import { MAP_ATOMIC, MAP_KMAP, MAP_LOCAL, MappingTable } from './mappings.js';

export type WarnDedupe = 'once' | 'per-site';
export type ResetPoint = 'work-item' | 'schedule';

export interface MachineConfig {
  cpus: number;
  lastPkmap: number;
  wp: boolean;
  keys: { id: number; default: KeyDefault }[];
  pages: { key: number; highmem: boolean }[];
  warn: WarnDedupe;
  resetPoints: ResetPoint[];
}

export { MAP_KMAP, MAP_LOCAL, MAP_ATOMIC, MAP_LINEAR } from './mappings.js';

export const ACCESS_OK = 0;
export const ACCESS_PARDONED = 1;
export const ACCESS_PARDONED_SILENT = 2;
export const ACCESS_OOPS = 3;
export const ACCESS_NOT_PRESENT = 4;
const OUTCOME_NAMES = ['ok', 'pardoned', 'pardoned_silent', 'oops', 'not_present'] as const;

export interface Cpu {
  id: number;
  /** frames[0] is the current task's context; interrupts and exceptions nest above it. */
  frames: Ctx[];
  curr: Task;
  idle: Task;
  /** The running context's PKRS value (what entry frames and thread state save). */
  pkrs: number;
  /** The MSR as written: pkrs with any globally opened keys cleared. */
  msr: number;
  irqsOff: boolean;
}

export class Machine {
  readonly cpus: Cpu[] = [];
  readonly tasks: Task[] = [];
  /** Runnable tasks per CPU (the run queue length, idle tasks not counted). */
  readonly nrRunnable: Int32Array;
  readonly stats = new Stats();
  /** PKS_INIT_VALUE: what every entry and every new task starts from. */
  readonly initPkrs: number;
  readonly keyDefaultBits = new Int32Array(PKS_NUM_KEYS);
  /** Keys a policy has opened for every CPU and context (global/abandon designs). */
  globalOpen = 0;
  readonly pageKey: Uint8Array;
  readonly pageHighmem: Uint8Array;
  readonly pkmap: Pkmap;
  readonly fixmap: FixmapSlots;
  readonly as: AddressSpace;
  /** Mapping records: every pointer a scenario holds is derived from one. */
  readonly maps = new MappingTable();
  private readonly pageKmaps: number[][];
  /** Set when a kunmap() freed a pkmap slot: sleepers in kmap() can retry. */
  pkmapFreed = false;
  panicked: string | null = null;
  /** Bumped by anything that changes what a stray access could reach (exposure cache). */
  version = 0;
  tick = 0;
  /** Location of the statement being executed, for events. */
  loc: SrcLoc | null = null;
  private nextCtxId: number;
  private warnOnceFired = false;
  private readonly warnedSites = new Set<string>();
  /** Result of the last map operation. */
  lastMapping = -1;
  /** Pages whose key is protected by default: the only ones exposure counts. */
  private readonly protectedPages: Int32Array;

  constructor(
    readonly cfg: MachineConfig,
    readonly hooks: PksHooks,
    public sink: EventSink | null = null,
  ) {
    this.nrRunnable = new Int32Array(cfg.cpus);
    let init = 0;
    for (const k of cfg.keys) {
      this.keyDefaultBits[k.id] = rightsBits(k.id, k.default) >>> (k.id * 2);
      init |= rightsBits(k.id, k.default);
    }
    this.initPkrs = init >>> 0;
    const n = cfg.pages.length;
    this.pageKey = Uint8Array.from(cfg.pages, (p) => p.key);
    this.pageHighmem = Uint8Array.from(cfg.pages, (p) => (p.highmem ? 1 : 0));
    this.pageKmaps = Array.from({ length: n }, () => []);
    this.pkmap = new Pkmap(cfg.lastPkmap, n);
    this.fixmap = new FixmapSlots(cfg.cpus, n);
    this.protectedPages = Int32Array.from(cfg.pages.flatMap((p, i) => (p.key !== 0 && this.keyDefaultBits[p.key]! !== 0 ? [i] : [])));
    this.as = new AddressSpace(this.pageHighmem, this.pkmap, this.fixmap, cfg.cpus);
    this.nextCtxId = 0;
    for (let c = 0; c < cfg.cpus; c++) {
      const idle = this.newTask(`swapper/${c}`, 'idle', c);
      this.cpus.push({ id: c, frames: [idle.ctx], curr: idle, idle, pkrs: this.initPkrs, msr: this.initPkrs, irqsOff: false });
    }
  }

  // ---- tasks and contexts -------------------------------------------------------------

  newTask(name: string, kind: TaskKind | 'idle', cpu: number): Task {
    const t = new Task(this.nextCtxId++, name, kind, cpu, this.tasks.length, this.nrRunnable);
    t.threadPkrs = this.initPkrs;
    this.tasks.push(t);
    return t;
  }

  /** The context running on a CPU: the top of its frame stack. */
  top(cpu: number): Ctx {
    const f = this.cpus[cpu]!.frames;
    return f[f.length - 1]!;
  }

  /** True when the CPU runs an interrupt or exception, or preemption is disabled. */
  atomic(cpu: number): boolean {
    const c = this.cpus[cpu]!;
    return c.frames.length > 1 || c.curr.preemptCount > 0 || c.irqsOff;
  }

  /** Interrupt/exception entry: save PKRS into the entry frame, load the default. */
  enter(cpu: number, kind: FrameKind, name: string): Ctx {
    const c = this.cpus[cpu]!;
    const ctx = new Ctx(this.nextCtxId++, name, kind, cpu, c.curr);
    ctx.savedPkrs = c.pkrs;
    ctx.savedIrqsOff = c.irqsOff;
    c.frames.push(ctx);
    if (kind === 'hardirq' || kind === 'nmi') c.irqsOff = true;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'entry', kind, name, savedPkrs: ctx.savedPkrs, depth: c.frames.length - 1 });
    this.writePkrs(cpu, this.hooks.entryResets ? this.initPkrs : ctx.savedPkrs);
    return ctx;
  }

  /** Interrupt/exception exit: restore PKRS from the entry frame, including handler edits. */
  exit(cpu: number): void {
    const c = this.cpus[cpu]!;
    const ctx = c.frames[c.frames.length - 1]!;
    if (c.frames.length === 1) throw new Error('exit from task level');
    this.checkHeldAtExit(cpu, ctx, `${ctx.kind} exit`);
    if (this.sink) this.emit({ ...this.base(cpu), type: 'exit', kind: ctx.kind, name: ctx.name, restoredPkrs: ctx.savedPkrs, depth: c.frames.length - 1 });
    c.frames.pop();
    c.irqsOff = ctx.savedIrqsOff;
    this.writePkrs(cpu, ctx.savedPkrs);
  }

  /** Context switch at task level: save PKRS in the outgoing thread, load the incoming one's. */
  switchTo(cpu: number, next: Task): void {
    const c = this.cpus[cpu]!;
    const prev = c.curr;
    if (prev === next) return;
    prev.threadPkrs = c.pkrs;
    this.fixmap.clearTask(cpu, prev.local);
    c.curr = next;
    c.frames[0] = next.ctx;
    next.cpu = cpu;
    this.fixmap.restoreTask(cpu, next.local);
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'switch', from: prev.name, to: next.name, fromCtx: prev.id, toCtx: next.id });
    this.writePkrs(cpu, next.threadPkrs);
  }

  /** Syscall exit: kmap_local and grants must be gone; the next entry starts at the default. */
  returnToUser(cpu: number): void {
    this.taskBoundary(cpu, 'return to user space');
  }

  /** A task finishing (kthread exit), or a worker finishing a work item: nothing may be held. */
  taskBoundary(cpu: number, where: string): void {
    const t = this.cpus[cpu]!.curr;
    if (t.local.depth > 0) {
      this.leak(cpu, 'kmap_local', `${t.local.depth} kmap_local mapping(s) still held at ${where}`);
      // The leaked mappings take the rights they granted with them: one bug, one report.
      for (let i = t.local.depth - 1; i >= 0; i--) this.hooks.unmapLocal(this, cpu, t.local.page[i]!);
      this.dropLocalStack(cpu, t);
    }
    this.checkHeldAtExit(cpu, t.ctx, where);
    for (let k = 0; k < PKS_NUM_KEYS; k++) {
      if (t.nest[k]! > 0) this.leak(cpu, 'pks_nest', `key ${k} set read/write ${t.nest[k]} time(s) without a matching clear at ${where}`);
      t.nest[k] = 0;
    }
    if (t.kind === 'user') this.writePkrs(cpu, this.initPkrs);
  }

  /** A kernel thread's reset point: drop pardons, keep the rights its grants account for. */
  resetToGrants(cpu: number): void {
    const ctx = this.top(cpu);
    let v = this.initPkrs;
    for (let k = 0; k < PKS_NUM_KEYS; k++) if (ctx.holds(k)) v = (v & ~pkrKeyMask(k)) | (this.rightsFor(ctx, k) << (k * 2));
    this.writePkrs(cpu, v >>> 0);
  }

  private checkHeldAtExit(cpu: number, ctx: Ctx, where: string): void {
    for (let k = 0; k < PKS_NUM_KEYS; k++) {
      if (ctx.holds(k)) {
        this.leak(cpu, 'grant', `key ${k} still granted (read ${ctx.readCnt[k]}, write ${ctx.writeCnt[k]}) at ${where}`);
        ctx.readCnt[k] = 0;
        ctx.writeCnt[k] = 0;
      }
    }
  }

  private dropLocalStack(cpu: number, t: Task): void {
    for (let i = 0; i < t.local.depth; i++) {
      this.maps.kill(t.local.mapping[i]!);
      this.fixmap.set(cpu, i, -1);
    }
    t.local.depth = 0;
    this.version++;
  }

  // ---- PKRS ---------------------------------------------------------------------------

  /** wrmsr(IA32_PKRS) through the per-CPU cache: writes of an unchanged value are skipped. */
  writePkrs(cpu: number, value: number): void {
    const c = this.cpus[cpu]!;
    c.pkrs = value >>> 0;
    const msr = (c.pkrs & ~this.globalOpen) >>> 0;
    if (!this.hooks.pks) {
      c.msr = msr;
      return;
    }
    const old = c.msr;
    const skipped = msr === old;
    if (skipped) this.stats.pkrsWritesSkipped++;
    else {
      this.stats.pkrsWrites++;
      c.msr = msr;
      this.version++;
    }
    if (this.sink) this.emit({ ...this.base(cpu), type: 'pkrs_write', value: msr, old, skipped });
  }

  // ---- for policies -------------------------------------------------------------------

  /** The PKRS bits a context's own grants give key k (0 = rw, WD = read-only, default). */
  rightsFor(ctx: Ctx, key: number): number {
    if (ctx.writeCnt[key]! > 0) return 0;
    const d = this.keyDefaultBits[key]!;
    if (ctx.readCnt[key]! > 0) return d === 0 ? 0 : PKR_WD_BIT;
    return d;
  }

  /** Set key k's bits in the running context's PKRS from its grant counts. */
  applyRights(cpu: number, key: number): void {
    const c = this.cpus[cpu]!;
    const bits = this.rightsFor(this.top(cpu), key);
    this.writePkrs(cpu, ((c.pkrs & ~pkrKeyMask(key)) | (bits << (key * 2))) >>> 0);
  }

  /** Take a reference on key rights for the running context (READ=1, WRITE=2). */
  grantCtx(cpu: number, key: number, rights: number): void {
    const ctx = this.top(cpu);
    if (rights & 1) ctx.readCnt[key]!++;
    if (rights & 2) ctx.writeCnt[key]!++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'grant', key, rights, count: ctx.readCnt[key]! + ctx.writeCnt[key]! });
    this.applyRights(cpu, key);
  }

  /** Drop a reference; an unbalanced revoke is reported and ignored. */
  revokeCtx(cpu: number, key: number, rights: number): void {
    const ctx = this.top(cpu);
    if (((rights & 1) && ctx.readCnt[key]! === 0) || ((rights & 2) && ctx.writeCnt[key]! === 0)) {
      this.report(cpu, 'unbalanced_revoke', `revoke of key ${key} rights ${rights} that this context does not hold`);
      return;
    }
    if (rights & 1) ctx.readCnt[key]!--;
    if (rights & 2) ctx.writeCnt[key]!--;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'revoke', key, rights, count: ctx.readCnt[key]! + ctx.writeCnt[key]! });
    this.applyRights(cpu, key);
  }

  /** Open or close keys on every CPU at once: each change costs an IPI to every other CPU. */
  setGlobalOpen(cpu: number, mask: number, reason: string): void {
    mask >>>= 0;
    if (mask === this.globalOpen) return;
    this.globalOpen = mask;
    this.version++;
    for (const c of this.cpus) {
      if (c.id !== cpu) {
        this.stats.ipis++;
        if (this.sink) this.emit({ ...this.base(cpu), type: 'ipi', target: c.id, reason });
      }
      this.writePkrs(c.id, c.pkrs);
    }
  }

  /**
   * The fault handler's warning. `once` is the kernel's WARN_ONCE in the handler: one warning
   * per boot, whichever site faulted first; `per-site` warns once per faulting statement.
   * Returns whether a warning was printed.
   */
  warn(cpu: number, message: string): boolean {
    const site = this.siteOf(this.loc);
    const printed = this.cfg.warn === 'once' ? !this.warnOnceFired : !this.warnedSites.has(site);
    this.warnOnceFired = true;
    this.warnedSites.add(site);
    if (printed) this.stats.warnings++;
    else this.stats.warningsSuppressed++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'warning', site, message, printed });
    this.version++;
    return printed;
  }

  /** Would the handler's warning for a fault at the current statement be printed? */
  warningWouldPrint(): boolean {
    return this.cfg.warn === 'once' ? !this.warnOnceFired : !this.warnedSites.has(this.siteOf(this.loc));
  }

  /** Would a fault at a site the handler has not seen print a warning? (exposure) */
  strayWouldWarn(): boolean {
    return this.cfg.warn === 'once' ? !this.warnOnceFired : true;
  }

  /** Distinct statements whose fault reached the warning path. */
  get warningSites(): number {
    return this.warnedSites.size;
  }

  /**
   * The proposal's temporary_unprotect(): clear the key in the faulting context's saved PKRS,
   * so that returning from the #PF establishes access for that context only.
   */
  pardon(cpu: number, frame: Ctx, page: number, key: number, printed: boolean): void {
    frame.savedPkrs = (frame.savedPkrs & ~pkrKeyMask(key)) >>> 0;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'pardon', key, page, silent: !printed, framePkrs: frame.savedPkrs });
  }

  /** Is the key protected by default (PKS_INIT_VALUE has AD or WD for it)? */
  protectedKey(key: number): boolean {
    return this.keyDefaultBits[key]! !== 0;
  }

  report(cpu: number, what: string, detail: string): void {
    this.stats.reports++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'report', what, detail });
  }

  leak(cpu: number, what: string, detail: string): void {
    this.stats.leaks++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'leak', what, detail });
  }

  private siteOf(loc: SrcLoc | null): string {
    return loc ? `${loc.file}:${loc.line}:${loc.col}` : '?';
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
    const id = this.maps.alloc(MAP_KMAP, page, this.top(cpu));
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
    this.maps.kill(id);
    if (this.pageHighmem[page] && this.pkmap.unmap(page) === 0) this.pkmapFreed = true;
    this.version++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'unmap', how: 'kunmap', page, addr: 0, mapping: id });
    if (foreign) this.report(cpu, 'kunmap_foreign', `kunmap() from ${ctx.name}, but the page was kmapped by ${mapper?.name}`);
    this.hooks.kunmap(this, cpu, page, mapper);
  }

  /** kmap_local_page()/kmap_atomic(): push on the current task's stack. Returns the address. */
  kmapLocal(cpu: number, page: number, atomic: boolean): number {
    const t = this.cpus[cpu]!.curr;
    const id = this.maps.alloc(atomic ? MAP_ATOMIC : MAP_LOCAL, page, this.top(cpu));
    if (atomic) {
      t.preemptCount++;
      t.pagefaultDisabled++;
    }
    let addr: number;
    let idx = -1;
    if (this.pageHighmem[page]) {
      if (t.local.depth >= KM_MAX_IDX) {
        this.maps.kill(id);
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
    this.maps.kill(torn);
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
   * One data access by the running context. Returns an ACCESS_* outcome; the page reached is
   * left in `lastPage`, the key in `lastKey`.
   */
  access(cpu: number, addr: number, write: boolean, mapping: number): number {
    const c = this.cpus[cpu]!;
    const page = this.as.translate(addr);
    this.lastPage = page;
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

  lastPage = -1;
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

  /** Oops: a task is killed; in interrupt or exception context the machine panics. */
  oops(cpu: number, message: string): void {
    const c = this.cpus[cpu]!;
    this.stats.oopses++;
    const inIrq = c.frames.length > 1;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'oops', message, killed: !inIrq });
    if (inIrq) {
      this.stats.panics++;
      this.panicked = 'Fatal exception in interrupt';
      if (this.sink) this.emit({ ...this.base(cpu), type: 'panic', message: 'Kernel panic - not syncing: Fatal exception in interrupt' });
      return;
    }
    const t = c.curr;
    t.state = 'dead';
    this.dropLocalStack(cpu, t);
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

  // ---- events -------------------------------------------------------------------------

  base(cpu: number) {
    const ctx = this.top(cpu);
    const kind = ctx.task && ctx.task.kind === 'idle' && ctx === ctx.task.ctx ? ('idle' as const) : ctx.kind;
    return { tick: this.tick, cpu, ctx: ctx.id, ctxName: ctx.name, ctxKind: kind, loc: this.loc };
  }

  emit(e: PksimEvent): void {
    this.sink!(e);
  }
}
