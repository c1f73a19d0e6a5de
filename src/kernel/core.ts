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
import { Interner, type StateVec } from './state.js';
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
  private warnOnceFired = false;
  private readonly warnedSites = new Set<string>();
  /** Kernel WARN_ON_ONCE() sites that have fired (each prints once per boot). */
  private readonly firedOnce = new Set<string>();
  /** Both sets again as interned ids in insertion order (what a snapshot writes). */
  private readonly warnedIds: number[] = [];
  private readonly firedIds: number[] = [];
  /** Strings of the machine state (names, wait reasons, sites), by index. */
  readonly names: Interner;
  private saveEpoch = 0;
  /** __might_resched() prints at most once per HZ: the tick of the last report, -1 for none. */
  private lastMightSleep = -1;
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

  // ---- state as data -------------------------------------------------------------------

  /**
   * Write the machine state: scalars, counters, every task and its context, every CPU with its
   * interrupt frames, contexts that are gone but still own a live mapping, the pkmap pool, the
   * fixmap, the mapping records and the design's own state. `exec` writes the runner's state
   * of each context.
   */
  save(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    const n = this.names;
    const at = v.reserve(9),
      b = v.buf;
    b[at] = this.globalOpen;
    b[at + 1] = this.abandoned;
    b[at + 2] = this.panicked === null ? -1 : n.id(this.panicked);
    b[at + 3] = this.version;
    b[at + 4] = this.tick;
    b[at + 5] = this.nextCtxId;
    b[at + 6] = this.lastMapping;
    b[at + 7] = this.warnOnceFired ? 1 : 0;
    b[at + 8] = this.lastMightSleep;
    const loc = this.loc;
    if (loc === null) v.push(-1);
    else {
      v.push(n.id(loc.file));
      v.push(loc.line);
      v.push(loc.col);
    }
    this.stats.save(v);
    v.push(this.warnedIds.length);
    v.pushAll(this.warnedIds);
    v.push(this.firedIds.length);
    v.pushAll(this.firedIds);
    this.writeContexts(v, exec, false);
    this.pkmap.save(v);
    this.fixmap.save(v);
    this.maps.save(v);
    this.hooks.save?.(this, v);
  }

  /**
   * Every task and its context, every CPU with its interrupt frames, then the contexts that
   * exited but made a mapping that is still live (a 1 before each, a 0 after the last). The
   * canonical form leaves out context ids (history) and renames mapping ids; either way each
   * context gets its number in order of appearance (`canon`), which the records refer to.
   */
  private writeContexts(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void, canonical: boolean): void {
    const epoch = ++this.saveEpoch;
    let nctx = 0;
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i]!;
      // The PKRS a task's thread state keeps is read only when it is switched in: while it
      // runs (switching it out writes it first) and once it is done or dead it is history.
      const threadPkrs = t.threadPkrs;
      if (canonical && (this.cpus[t.cpu]!.curr === t || t.state === 'done' || t.state === 'dead')) t.threadPkrs = -1;
      t.save(v, this.names, canonical ? this.canonMapId : null);
      t.threadPkrs = threadPkrs;
      // An idle task runs no program, so its context holds nothing, runs no accounted tick (an
      // interrupt on its CPU runs and is accounted in a frame of its own) and its runner state
      // never changes: neither a snapshot nor the canonical state has them (its task state,
      // written above, does change: the PKRS saved at switch-out, the kmap_local stack that
      // interrupts on top of it push onto).
      if (t.kind !== 'idle') {
        t.ctx.save(v, this.keysInUse, !canonical);
        exec(t.ctx, v);
      }
      t.ctx.stamp = epoch;
      t.ctx.canon = nctx++;
    }
    for (let i = 0; i < this.cpus.length; i++) {
      const c = this.cpus[i]!;
      const at = v.reserve(5),
        b = v.buf;
      b[at] = c.curr.index;
      b[at + 1] = c.pkrs;
      b[at + 2] = c.msr;
      b[at + 3] = c.irqsOff ? 1 : 0;
      b[at + 4] = c.frames.length;
      for (let f = 1; f < c.frames.length; f++) this.writeFrame(c.frames[f]!, v, epoch, nctx++, exec, canonical);
    }
    for (let s = 0; s < this.maps.slots; s++) {
      const ctx = this.maps.ctxAt(s);
      if (ctx !== null && ctx.stamp !== epoch) {
        v.push(1);
        this.writeFrame(ctx, v, epoch, nctx++, exec, canonical);
      }
    }
    v.push(0);
  }

  private writeFrame(ctx: Ctx, v: StateVec, epoch: number, canon: number, exec: (ctx: Ctx, v: StateVec) => void, canonical: boolean): void {
    if (!canonical) v.push(ctx.id);
    v.push(this.names.id(ctx.name));
    v.push(this.names.id(ctx.kind));
    v.push(ctx.cpu);
    v.push(ctx.task ? ctx.task.index : -1);
    ctx.save(v, this.keysInUse, !canonical);
    ctx.stamp = epoch;
    ctx.canon = canon;
    exec(ctx, v);
  }

  /** Read back what save() wrote, into this machine (made for the same scenario and design). */
  load(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void): void {
    const n = this.names;
    const b = v.buf;
    let at = v.pos;
    this.globalOpen = b[at++]!;
    this.abandoned = b[at++]!;
    const p = b[at++]!;
    this.version = b[at++]!;
    this.tick = b[at++]!;
    this.nextCtxId = b[at++]!;
    this.lastMapping = b[at++]!;
    this.warnOnceFired = b[at++] === 1;
    this.lastMightSleep = b[at++]!;
    v.pos = at;
    this.panicked = p < 0 ? null : n.str(p);
    const file = v.next();
    if (file < 0) this.loc = null;
    else {
      const line = v.next(),
        col = v.next(),
        loc = this.loc;
      // Events keep the object they were given: a different place is a new object.
      if (loc === null || loc.line !== line || loc.col !== col || n.id(loc.file) !== file) this.loc = { file: n.str(file), line, col };
    }
    this.stats.load(v);
    this.loadSites(v, this.warnedIds, this.warnedSites);
    this.loadSites(v, this.firedIds, this.firedOnce);
    const byId = this.byId;
    if (byId.size > 0) byId.clear();
    if (this.frameCache.size > 4096) this.frameCache.clear();
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i]!;
      t.load(v, n);
      if (t.kind !== 'idle') {
        t.ctx.load(v, this.keysInUse);
        exec(t.ctx, v);
      }
    }
    this.nrRunnable.fill(0);
    for (const t of this.tasks) if (t.kind !== 'idle' && t.state === 'runnable') this.nrRunnable[t.cpu]!++;
    for (let i = 0; i < this.cpus.length; i++) {
      const c = this.cpus[i]!;
      let at = v.pos;
      const b = v.buf;
      c.curr = this.tasks[b[at++]!]!;
      c.pkrs = b[at++]!;
      c.msr = b[at++]!;
      c.irqsOff = b[at++] === 1;
      const depth = b[at++]!;
      v.pos = at;
      if (c.frames.length !== 1) c.frames.length = 1;
      c.frames[0] = c.curr.ctx;
      for (let f = 1; f < depth; f++) c.frames.push(this.loadFrame(v, byId, exec));
    }
    while (v.next() === 1) this.loadFrame(v, byId, exec);
    this.pkmap.load(v);
    this.fixmap.load(v);
    this.maps.load(v, this.ctxById);
    this.hooks.load?.(this, v);
  }

  // ---- the canonical state: what decides the future, and nothing else ------------------

  private canonEpoch = 0;
  private canonStamp = new Int32Array(64);
  private canonNum = new Int32Array(64);
  private canonSlot = new Int32Array(64);
  private canonCount = 0;
  private readonly sortScratch: number[] = [];
  /** A live mapping id's number in order of first appearance; -2 for a dead one. */
  readonly canonMapId = (id: number): number => {
    if (id < 0) return id;
    if (id >= 2 ** 50) return this.canonLinear(id);
    const s = this.maps.liveSlot(id);
    if (s < 0) return -2;
    if (s >= this.canonStamp.length) this.growCanon(s + 1);
    if (this.canonStamp[s] !== this.canonEpoch) {
      this.canonStamp[s] = this.canonEpoch;
      this.canonSlot[this.canonCount] = s;
      this.canonNum[s] = this.canonCount++;
    }
    return this.canonNum[s]!;
  };

  /**
   * A linear-map pointer's id names its page and the context that derived it. Task contexts
   * keep their ids on every path; an interrupt invocation's id is history, so it is written as
   * the frame's position if that frame is still running, else as "an exited context".
   */
  private canonLinear(id: number): number {
    const cid = (id - 2 ** 50) % 2 ** 24;
    if (cid < this.tasks.length) return id;
    const page = Math.floor((id - 2 ** 50) / 2 ** 24);
    for (let c = 0; c < this.cpus.length; c++) {
      const f = this.cpus[c]!.frames;
      for (let i = 1; i < f.length; i++) if (f[i]!.id % 2 ** 24 === cid) return -1000 - page * 4096 - c * 64 - i;
    }
    return -1000 - page * 4096 - 4095;
  }

  private growCanon(n: number): void {
    let size = this.canonStamp.length;
    while (size < n) size *= 2;
    const st = new Int32Array(size),
      nu = new Int32Array(size),
      sl = new Int32Array(size);
    st.set(this.canonStamp);
    nu.set(this.canonNum);
    sl.set(this.canonSlot);
    this.canonStamp = st;
    this.canonNum = nu;
    this.canonSlot = sl;
  }

  /**
   * Write the canonical state: what decides the future and nothing of the history (tick,
   * counters, the version, context ids, mapping generations and slots, the pkmap flush count,
   * the thread PKRS of a task that runs or is done, the order of different contexts' kmap()
   * records where only their makers end them: `kmapOrderFree`), so that two paths that reach
   * the same situation write the same vector. Not restorable: restore from save().
   * The clock is kept only while an `at tick N` interrupt is still to come (`clockUntil`).
   */
  canonical(v: StateVec, exec: (ctx: Ctx, v: StateVec) => void, clockUntil: number, beforeRecords: (v: StateVec) => void): void {
    this.canonEpoch++;
    this.canonCount = 0;
    const n = this.names;
    v.push(this.globalOpen);
    v.push(this.abandoned);
    v.push(this.panicked === null ? -1 : n.id(this.panicked));
    v.push(Math.min(this.tick, clockUntil));
    v.push(this.warnOnceFired ? 1 : 0);
    // might_sleep() is rate-limited to once per HZ: whether one was printed that recently.
    v.push(this.lastMightSleep >= 0 && this.tick < this.lastMightSleep + 1_000_000 ? 1 : 0);
    this.pushSorted(v, this.warnedIds);
    this.pushSorted(v, this.firedIds);
    this.writeContexts(v, exec, true);
    this.pkmap.canonical(v);
    this.fixmap.save(v);
    // The runner's pointers in flight name mappings too: numbered before the records are written.
    beforeRecords(v);
    this.canonTail(v);
    this.hooks.save?.(this, v);
  }

  /** Subclasses write their own mapping references here, before the records are numbered out. */
  protected canonTail(v: StateVec): void {
    // Records no pointer names (a leaked lowmem kmap_local), numbered after the named ones.
    for (let s = 0; s < this.maps.slots; s++)
      if (this.maps.ctxAt(s) !== null && (s >= this.canonStamp.length || this.canonStamp[s] !== this.canonEpoch)) this.canonMapId(this.maps.idAt(s));
    v.push(this.canonCount);
    for (let k = 0; k < this.canonCount; k++) {
      const s = this.canonSlot[k]!;
      v.push(this.maps.kindAt(s));
      v.push(this.maps.pageAt(s));
      v.push(this.maps.ctxAt(s)!.canon);
    }
  }

  private pushSorted(v: StateVec, ids: number[]): void {
    // Mostly none or one (a warning site, once): nothing to sort.
    if (ids.length <= 1) {
      v.push(ids.length);
      if (ids.length === 1) v.push(ids[0]!);
      return;
    }
    const s = this.sortScratch;
    s.length = 0;
    for (let i = 0; i < ids.length; i++) s.push(ids[i]!);
    s.sort((a, b) => a - b);
    v.push(s.length);
    v.pushAll(s);
  }

  /** Contexts by id while a state is read back; interrupt frames made by restores, for reuse. */
  private readonly byId = new Map<number, Ctx>();
  /** A context of the state being read back by id: a task's (ids fixed for the run), or a frame read back. */
  private readonly ctxById = (id: number): Ctx => {
    const t = this.tasks[this.taskIndexOfId(id)];
    return t !== undefined && t.ctx.id === id ? t.ctx : this.byId.get(id)!;
  };
  /** Tasks are made first, in order, so a task's context id is usually its index plus a fixed offset. */
  private taskIndexOfId(id: number): number {
    return id - (this.tasks.length > 0 ? this.tasks[0]!.ctx.id : 0);
  }
  private readonly frameCache = new Map<number, Ctx>();

  private loadSites(v: StateVec, ids: number[], set: Set<string>): void {
    const len = v.next();
    // The same sites as now (the usual case when a search restores sibling states): keep them.
    let same = len === ids.length;
    for (let i = 0; same && i < len; i++) same = v.buf[v.pos + i] === ids[i];
    if (same) {
      v.pos += len;
      return;
    }
    ids.length = 0;
    set.clear();
    for (let i = 0; i < len; i++) {
      const id = v.next();
      ids.push(id);
      set.add(this.names.str(id));
    }
  }

  private loadFrame(v: StateVec, byId: Map<number, Ctx>, exec: (ctx: Ctx, v: StateVec) => void): Ctx {
    const id = v.next(),
      name = this.names.str(v.next()),
      kind = this.names.str(v.next()) as FrameKind,
      cpu = v.next(),
      ti = v.next();
    const task = ti < 0 ? null : this.tasks[ti]!;
    // A context id names one invocation: a frame read back before is the same frame.
    let ctx = this.frameCache.get(id);
    if (ctx === undefined || ctx.name !== name || ctx.kind !== kind || ctx.task !== task) {
      ctx = new Ctx(id, name, kind, cpu, task);
      this.frameCache.set(id, ctx);
    }
    ctx.cpu = cpu;
    ctx.load(v, this.keysInUse);
    exec(ctx, v);
    byId.set(id, ctx);
    return ctx;
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
