// The machine's core: CPUs with their PKRS MSR and frame stacks, tasks and execution contexts,
// entry/exit and context switch, the helpers protection designs call, and the event stream.
// The highmem mappings and the access path build on it in machine.ts.

import { PKR_WD_BIT, PKS_NUM_KEYS, pkrKeyMask, rightsBits } from '../arch/x86/pkrs.js';
import type { ArchLayout, ArchName } from '../arch/arch.js';
import { archLayout } from '../arch/x86/layout.js';
import { RIGHT_HELD, RIGHT_READ, RIGHT_WRITE, type KeyDefault, type SrcLoc, type TaskKind } from './types.js';
import { AddressSpace } from '../mm/addrspace.js';
import { FixmapSlots } from '../mm/kmap_local.js';
import { Pkmap } from '../mm/pkmap.js';
import { Ctx, Task } from './context.js';
import type { EventSink, FrameKind, PksimEvent } from './events.js';
import type { PksHooks, PolicyContext } from './policy_api.js';
import { Stats } from './stats.js';
import { Interner } from './state.js';
import { MAP_KMAP, MappingTable } from './mappings.js';

export type WarnDedupe = 'once' | 'per-site';
/**
 * Where pardons end besides interrupt exit (always) and the return to user space (the default):
 * `work-item` (a worker between items), `schedule` (whenever the context gives up the CPU);
 * `irq-exit-only` takes the return to user space away (the entry code would not load the
 * default), to measure what that reset point is worth.
 */
export type ResetPoint = 'work-item' | 'schedule' | 'irq-exit-only';

export interface MachineConfig {
  /** x86_64 (the default: direct map only) or x86_32 (highmem, pkmap pool, fixmap). */
  arch?: ArchName;
  cpus: number;
  lastPkmap: number;
  wp: boolean;
  keys: { id: number; default: KeyDefault }[];
  /** The scenario's pages; `name` is what messages call them (the index when absent). */
  pages: { key: number; highmem: boolean; name?: string }[];
  warn: WarnDedupe;
  resetPoints: ResetPoint[];
  /** Where the strings of snapshots are interned: share one between machines that exchange states. */
  names?: Interner;
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

export class MachineCore implements PolicyContext {
  readonly cpus: Cpu[] = [];
  readonly tasks: Task[] = [];
  /** Runnable tasks per CPU (the run queue length, idle tasks not counted). */
  readonly nrRunnable: Int32Array;
  readonly stats = new Stats();
  /** PKS_INIT_VALUE: what every entry and every new task starts from. */
  readonly initPkrs: number;
  readonly keyDefaultBits = new Int32Array(PKS_NUM_KEYS);
  /** Key 0 and the configured keys: the only keys a context can hold (what snapshots write). */
  readonly keysInUse: Int32Array;
  /** PKRS bits a policy has opened on every CPU at once, with IPIs (the `global` design). */
  globalOpen = 0;
  /**
   * PKRS bits of abandoned keys (the `abandon` design, V7's pkrs_pkey_allowed_mask inverted):
   * no IPI; each CPU picks the change up at its next entry, exit, context switch or key fault.
   */
  abandoned = 0;
  readonly arch: ArchName;
  /** The address layout of the architecture (arch/). */
  readonly layout: ArchLayout;
  readonly pageKey: Uint8Array;
  readonly pageHighmem: Uint8Array;
  readonly pkmap: Pkmap;
  readonly fixmap: FixmapSlots;
  readonly as: AddressSpace;
  /** Mapping records: every pointer a scenario holds is derived from one. */
  readonly maps = new MappingTable();
  panicked: string | null = null;
  /** Bumped by anything every CPU's exposure depends on (mappings, counts, warnings); not by a PKRS write. */
  version = 0;
  tick = 0;
  /** Location of the statement being executed, for events. */
  loc: SrcLoc | null = null;
  protected nextCtxId: number;
  protected warnOnceFired = false;
  protected readonly warnedSites = new Set<string>();
  /** Kernel WARN_ON_ONCE() sites that have fired (each prints once per boot). */
  protected readonly firedOnce = new Set<string>();
  /** Both sets again as interned ids in insertion order (what a snapshot writes). */
  protected readonly warnedIds: number[] = [];
  protected readonly firedIds: number[] = [];
  /** Strings of the machine state (names, wait reasons, sites), by index. */
  readonly names: Interner;
  /** __might_resched() prints at most once per HZ: the tick of the last report, -1 for none. */
  protected lastMightSleep = -1;
  /** Result of the last map operation. */
  lastMapping = -1;

  constructor(
    readonly cfg: MachineConfig,
    readonly hooks: PksHooks,
    public sink: EventSink | null = null,
  ) {
    this.arch = cfg.arch ?? 'x86_64';
    this.layout = archLayout(this.arch);
    this.names = cfg.names ?? new Interner();
    this.nrRunnable = new Int32Array(cfg.cpus);
    let init = 0;
    for (const k of cfg.keys) {
      this.keyDefaultBits[k.id] = rightsBits(k.id, k.default) >>> (k.id * 2);
      init |= rightsBits(k.id, k.default);
    }
    this.initPkrs = init >>> 0;
    this.keysInUse = Int32Array.from(new Set([0, ...cfg.keys.map((k) => k.id)]));
    const n = cfg.pages.length;
    this.pageKey = Uint8Array.from(cfg.pages, (p) => p.key);
    // Without highmem (x86_64) every page is in the direct map.
    this.pageHighmem = Uint8Array.from(cfg.pages, (p) => (p.highmem && this.layout.highmem ? 1 : 0));
    // x86_64 has no pkmap pool at all.
    this.pkmap = new Pkmap(this.layout.highmem ? cfg.lastPkmap : 0, n);
    this.fixmap = new FixmapSlots(cfg.cpus, n);
    this.as = new AddressSpace(this.arch, this.pageHighmem, this.pkmap, this.fixmap, cfg.cpus);
    this.nextCtxId = 0;
    for (let c = 0; c < cfg.cpus; c++) {
      const idle = this.newTask(`swapper/${c}`, 'idle', c);
      this.cpus.push({ id: c, frames: [idle.ctx], curr: idle, idle, pkrs: this.initPkrs, msr: this.initPkrs, irqsOff: false });
    }
  }

  // ---- tasks and contexts -------------------------------------------------------------

  newTask(name: string, kind: TaskKind | 'idle', cpu: number): Task {
    const t = new Task(this.nextCtxId++, name, kind, cpu, this.tasks.length, this.nrRunnable);
    t.threadPkrs = this.defaultPkrs();
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

  /**
   * preempt_count() as the kernel keeps it: the task's preempt_disable() depth plus
   * SOFTIRQ_OFFSET (0x100) per softirq, HARDIRQ_OFFSET (0x10000) per hardirq and
   * NMI_OFFSET + HARDIRQ_OFFSET (0x110000) per NMI on the CPU's frame stack.
   */
  preemptCount(cpu: number): number {
    const c = this.cpus[cpu]!;
    let n = c.curr.preemptCount;
    for (let i = 1; i < c.frames.length; i++) {
      const k = c.frames[i]!.kind;
      n += k === 'softirq' ? 0x100 : k === 'hardirq' ? 0x10000 : k === 'nmi' ? 0x110000 : 0;
    }
    return n;
  }

  /** PKS_INIT_VALUE with abandoned keys open: what entry and a new task load. */
  defaultPkrs(): number {
    return (this.initPkrs & ~this.abandoned) >>> 0;
  }

  /** Interrupt/exception entry: save PKRS into the entry frame, load the default. */
  enter(cpu: number, kind: FrameKind, name: string): Ctx {
    const c = this.cpus[cpu]!;
    const ctx = new Ctx(this.nextCtxId++, name, kind, cpu, c.curr);
    ctx.savedPkrs = ctx.entryPkrs = c.pkrs;
    ctx.savedIrqsOff = c.irqsOff;
    c.frames.push(ctx);
    if (kind === 'hardirq' || kind === 'nmi') c.irqsOff = true;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'entry', kind, name, savedPkrs: ctx.savedPkrs, depth: c.frames.length - 1 });
    // Every version of the series: entry saves PKRS and loads the default, so no interrupt
    // inherits the thread-local rights of the context it interrupted.
    this.writePkrs(cpu, this.defaultPkrs());
    this.hooks.contextEntry?.(this, cpu, ctx);
    return ctx;
  }

  /** Interrupt/exception exit: restore PKRS from the entry frame, including handler edits. */
  exit(cpu: number): void {
    const c = this.cpus[cpu]!;
    const ctx = c.frames[c.frames.length - 1]!;
    if (c.frames.length === 1) throw new Error('exit from task level');
    this.checkHeldAtExit(cpu, ctx, `${ctx.kind} exit`);
    this.hooks.contextExit?.(this, cpu, ctx);
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
    this.hooks.taskBoundary?.(this, cpu, t, where);
    // A kmap() may legally be held across the return to user space (it is not thread-local);
    // the next entry starts at the default all the same.
    if (t.kind === 'user' && !this.cfg.resetPoints.includes('irq-exit-only')) this.writePkrs(cpu, this.defaultPkrs());
  }

  /** A reset point: drop pardons, keep the rights the context's own mappings and grants account for. */
  resetToGrants(cpu: number): void {
    const ctx = this.top(cpu);
    let v = this.defaultPkrs();
    for (let k = 0; k < PKS_NUM_KEYS; k++) if (this.keyDefaultBits[k] !== 0) v = (v & ~pkrKeyMask(k)) | (this.rightsFor(ctx, k) << (k * 2));
    this.writePkrs(cpu, v >>> 0);
  }

  /** Grants still held when a context is left are leaks; so are an interrupt's kmap_local mappings. */
  private checkHeldAtExit(cpu: number, ctx: Ctx, where: string): void {
    for (let k = 0; k < PKS_NUM_KEYS; k++) {
      if (ctx.holdsGrant(k)) {
        this.leak(cpu, 'grant', `key ${k} still granted (read ${ctx.grantR[k]}, write ${ctx.grantW[k]}) at ${where}`);
        ctx.grantR[k] = 0;
        ctx.grantW[k] = 0;
      }
      if (ctx.localMapped[k]! > 0 && ctx.task !== null && ctx !== ctx.task.ctx) {
        this.leak(cpu, 'kmap_local', `${ctx.localMapped[k]} kmap_local mapping(s) of key ${k} still held at ${where}`);
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
    const key = this.pageKey[page]!;
    if (kind === MAP_KMAP) ctx.kmapped[key]!++;
    else ctx.localMapped[key]!++;
    return this.maps.alloc(kind, page, ctx);
  }

  /** End a mapping record (idempotent: a dead or stale id changes nothing). */
  protected endMapping(id: number): void {
    if (!this.maps.isLive(id)) return;
    const ctx = this.maps.ctxOf(id);
    const key = this.pageKey[this.maps.pageOf(id)]!;
    if (ctx) {
      if (this.maps.kindOf(id) === MAP_KMAP) ctx.kmapped[key]!--;
      else ctx.localMapped[key]!--;
    }
    this.maps.kill(id);
  }

  // ---- PKRS ---------------------------------------------------------------------------

  /**
   * wrmsr(IA32_PKRS) through the per-CPU cache: writes of an unchanged value are skipped.
   * Every write goes through V7's allowed mask (abandoned keys stay open), as
   * pkrs_write_current() and pkrs_save_irq() do.
   */
  writePkrs(cpu: number, value: number): void {
    const c = this.cpus[cpu]!;
    c.pkrs = (value & ~this.abandoned) >>> 0;
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
    }
    if (this.sink) this.emit({ ...this.base(cpu), type: 'pkrs_write', value: msr, old, skipped });
  }

  // ---- for policies -------------------------------------------------------------------

  /**
   * The PKRS bits for key k that what a context holds gives it (0 = rw, WD = read-only, else
   * the default): a live kmap_local mapping or a WRITE grant opens the key read/write, a READ
   * grant read-only; a live kmap() counts too under designs whose kmap() opens the key for
   * its caller (hooks.kmapOpens).
   */
  rightsFor(ctx: Ctx, key: number): number {
    if (ctx.grantW[key]! > 0 || ctx.localMapped[key]! > 0 || (this.hooks.kmapOpens && ctx.kmapped[key]! > 0)) return 0;
    const d = this.keyDefaultBits[key]!;
    if (ctx.grantR[key]! > 0) return d === 0 ? 0 : PKR_WD_BIT;
    return d;
  }

  /** Set key k's bits in the running context's PKRS from what it holds. */
  applyRights(cpu: number, key: number): void {
    const c = this.cpus[cpu]!;
    const bits = this.rightsFor(this.top(cpu), key);
    this.writePkrs(cpu, ((c.pkrs & ~pkrKeyMask(key)) | (bits << (key * 2))) >>> 0);
  }

  // ---- grant_access / revoke_access (bookkeeping here, effect in the design) ---------------

  /** grant_access(key, rights): the running context takes a reference on READ and/or WRITE. */
  grant(cpu: number, key: number, rights: number): void {
    const ctx = this.top(cpu);
    if (rights & RIGHT_READ) ctx.grantR[key]!++;
    if (rights & RIGHT_WRITE) ctx.grantW[key]!++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'grant', key, rights, count: ctx.grantR[key]! + ctx.grantW[key]! });
    this.hooks.grant(this, cpu, key, rights & (RIGHT_READ | RIGHT_WRITE));
  }

  /**
   * revoke_access(key[, rights]): drop what is held of the rights named. The one-argument form
   * (RIGHT_HELD) drops READ and WRITE, whichever are held; a right named but not held is
   * reported as unbalanced, and the rights that are held are dropped all the same.
   */
  revoke(cpu: number, key: number, rights: number): void {
    const ctx = this.top(cpu);
    let drop = 0;
    let missing = 0;
    if (rights & RIGHT_READ) {
      if (ctx.grantR[key]! > 0) drop |= RIGHT_READ;
      else if (!(rights & RIGHT_HELD)) missing |= RIGHT_READ;
    }
    if (rights & RIGHT_WRITE) {
      if (ctx.grantW[key]! > 0) drop |= RIGHT_WRITE;
      else if (!(rights & RIGHT_HELD)) missing |= RIGHT_WRITE;
    }
    if (missing !== 0 || drop === 0) {
      const what = missing === 0 ? 'any right' : missing === RIGHT_READ ? 'READ' : missing === RIGHT_WRITE ? 'WRITE' : 'READ|WRITE';
      this.report(cpu, 'unbalanced_revoke', `revoke_access() of key ${key}: this context does not hold ${what}`);
    }
    if (drop === 0) return;
    if (drop & RIGHT_READ) ctx.grantR[key]!--;
    if (drop & RIGHT_WRITE) ctx.grantW[key]!--;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'revoke', key, rights: drop, count: ctx.grantR[key]! + ctx.grantW[key]! });
    this.hooks.revoke(this, cpu, key, drop);
  }

  /**
   * pks_abandon_protections() (V7): clear the key in the allowed mask for everyone, for good,
   * and open it on this CPU now. No IPI: other CPUs pick it up at their next entry, exit,
   * context switch or key fault.
   */
  abandonKey(cpu: number, key: number): void {
    const mask = pkrKeyMask(key);
    if ((this.abandoned & mask) === mask) return;
    this.abandoned = (this.abandoned | mask) >>> 0;
    this.version++;
    const c = this.cpus[cpu]!;
    this.writePkrs(cpu, (c.pkrs & ~mask) >>> 0);
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
    if (!this.warnedSites.has(site)) {
      this.warnedSites.add(site);
      this.warnedIds.push(this.names.id(site));
    }
    if (printed) this.stats.warnings++;
    else this.stats.warningsSuppressed++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'warning', site, message, printed });
    this.version++;
    return printed;
  }

  /**
   * A kernel WARN_ON_ONCE()/WARN_ONCE() at `site` (a kernel function): printed the first time
   * only, counted in warnings either way. Returns whether it printed.
   */
  warnOnce(cpu: number, site: string, message: string): boolean {
    const printed = !this.firedOnce.has(site);
    if (printed) {
      this.firedOnce.add(site);
      this.firedIds.push(this.names.id(site));
    }
    if (printed) this.stats.warnings++;
    else this.stats.warningsSuppressed++;
    if (this.sink) this.emit({ ...this.base(cpu), type: 'warning', site, message, printed });
    return printed;
  }

  /**
   * might_sleep() (__might_resched): in atomic context or with interrupts off, print the
   * "sleeping function called from invalid context" splat, at most once per HZ (1 s, a
   * million ticks), as the kernel rate-limits it. Returns whether the context was atomic.
   */
  mightSleep(cpu: number, what: string): boolean {
    const c = this.cpus[cpu]!;
    const count = this.preemptCount(cpu);
    if (count === 0 && !c.irqsOff) return false;
    if (this.lastMightSleep >= 0 && this.tick < this.lastMightSleep + 1_000_000) return true;
    this.lastMightSleep = this.tick;
    const t = c.curr;
    const at = this.loc ? `${this.loc.file}:${this.loc.line}` : '?';
    this.report(
      cpu,
      'might_sleep',
      `BUG: sleeping function called from invalid context at ${at}\n` +
        `in_atomic(): ${count !== 0 ? 1 : 0}, irqs_disabled(): ${c.irqsOff ? 1 : 0}, non_block: 0, pid: ${t.id}, name: ${t.name}\n` +
        `preempt_count: ${count.toString(16)}, expected: 0\n` +
        `(${what})`,
    );
    return true;
  }

  /**
   * schedule() with preemption disabled (__schedule_bug): the kernel prints the splat and
   * schedules all the same. Returns whether it was printed.
   */
  scheduleBug(cpu: number): boolean {
    const count = this.preemptCount(cpu);
    if (count === 0) return false;
    const t = this.cpus[cpu]!.curr;
    this.report(cpu, 'scheduling_while_atomic', `BUG: scheduling while atomic: ${t.name}/${t.id}/0x${count.toString(16).padStart(8, '0')}`);
    // schedule_debug() (kernel/sched/core.c) then sets the count to what schedule() itself
    // holds, so the task comes back from it preemptible, its preempt_disable()s forgotten.
    t.preemptCount = 0;
    return true;
  }

  /** Would a fault at a site the handler has not seen print a warning? (exposure) */
  strayWouldWarn(): boolean {
    return this.cfg.warn === 'once' ? !this.warnOnceFired : true;
  }

  /** The sites whose fault reached the warning path, in the order they first did (the first is what WARN_ONCE printed). */
  warnedSiteNames(): string[] {
    return this.warnedIds.map((id) => this.names.str(id));
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

  /** A page as the scenario names it, for messages. */
  pageName(page: number): string {
    return this.cfg.pages[page]?.name ?? String(page);
  }

  keyDefault(key: number): number {
    return this.keyDefaultBits[key]!;
  }

  currentTask(cpu: number): Task {
    return this.cpus[cpu]!.curr;
  }

  pkrs(cpu: number): number {
    return this.cpus[cpu]!.pkrs;
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
