// The machine's core: CPUs with their PKRS MSR and frame stacks, tasks and execution contexts,
// entry/exit and context switch, the helpers protection designs call, and the event stream.
// The highmem mappings and the access path build on it in machine.ts.

import { PKR_WD_BIT, PKS_NUM_KEYS, pkrKeyMask, rightsBits } from '../arch/x86/pkrs.js';
import type { KeyDefault, SrcLoc, TaskKind } from '../scenario/ir.js';
import { AddressSpace } from '../mm/addrspace.js';
import { FixmapSlots } from '../mm/kmap_local.js';
import { Pkmap } from '../mm/pkmap.js';
import { Ctx, Task } from './context.js';
import type { EventSink, FrameKind, PksimEvent } from './events.js';
import type { PksHooks } from './pks_hooks.js';
import { Stats } from './stats.js';
import { MappingTable } from './mappings.js';

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

export class MachineCore {
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
  panicked: string | null = null;
  /** Bumped by anything that changes what a stray access could reach (exposure cache). */
  version = 0;
  tick = 0;
  /** Location of the statement being executed, for events. */
  loc: SrcLoc | null = null;
  protected nextCtxId: number;
  private warnOnceFired = false;
  private readonly warnedSites = new Set<string>();
  /** Result of the last map operation. */
  lastMapping = -1;

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
    this.pkmap = new Pkmap(cfg.lastPkmap, n);
    this.fixmap = new FixmapSlots(cfg.cpus, n);
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
      this.endMapping(t.local.mapping[i]!);
      this.fixmap.set(cpu, i, -1);
    }
    t.local.depth = 0;
    this.version++;
  }

  /** A mapping record made by `ctx`, counted against the page's key for that context. */
  protected newMapping(kind: number, page: number, ctx: Ctx): number {
    ctx.mapped[this.pageKey[page]!]!++;
    return this.maps.alloc(kind, page, ctx);
  }

  /** End a mapping record (idempotent: a dead or stale id changes nothing). */
  protected endMapping(id: number): void {
    if (!this.maps.isLive(id)) return;
    const ctx = this.maps.ctxOf(id);
    if (ctx) ctx.mapped[this.pageKey[this.maps.pageOf(id)]!]!--;
    this.maps.kill(id);
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
