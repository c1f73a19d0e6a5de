// The runner: executes a compiled scenario on the machine under one protection design and one
// schedule, and collects the event stream, the oracle's judgement and the metrics.

import type { ScenarioIR } from '../scenario/ir.js';
import { Machine, type ResetPoint, type WarnDedupe } from '../kernel/machine.js';
import type { Ctx, Task } from '../kernel/context.js';
import type { PksimEvent } from '../kernel/events.js';
import { createPolicy, parsePolicy, policyLabel, type PolicySpec, type UnprotectStoreKind } from '../policy/index.js';
import { Oracle, CLASS_NAMES } from './oracle.js';
import { Metrics } from './metrics.js';
import { Rng } from './rng.js';
import { ScheduleError, Scheduler, ACT_DELIVER, ACT_FIRE, ACT_PREEMPT, ACT_RUN, actType, actArg } from './sched.js';
import { Interp } from './interp.js';
import { execOf } from './exec.js';
import { checkExpectations } from './expect.js';
import type { ContextWindow, RunResult } from './result.js';
import { Interner, type StateVec } from '../kernel/state.js';
import { Asserts } from './asserts.js';
import { Injector, type InjectSpec } from './inject.js';
import { ownKmapsOnly } from './ownkmap.js';

export interface RunOptions {
  /** 'scoped:relaxed', 'global', ... (default scoped:relaxed). */
  policy?: string;
  mode?: string;
  store?: UnprotectStoreKind;
  warn?: WarnDedupe;
  resetPoints?: ResetPoint[];
  /** Seeded random schedule; null for the default round-robin. */
  seed?: number | null;
  /** Explicit choices at each choice point; the rest follows the default (or the seed). */
  schedule?: number[] | null;
  /** Stop after this many steps (ticks). */
  maxSteps?: number;
  /** Record the event stream (off for benchmarks). */
  events?: boolean;
  /** Stop when the recorded stream reaches this many events (memory bound). */
  maxEvents?: number;
  /**
   * Check the scenario's `assert` statements and `invariant` lines into the result's
   * expectations (and the `reports` count), as `pksim run` does; default: when events are
   * recorded. `pksim compare` turns it on without events; the explorer checks them itself.
   */
  checks?: boolean;
  /** One injected stray access (inject.ts): at its tick, from a running context. */
  inject?: InjectSpec | null;
  /**
   * @internal Called after every step with the machine and the oracle (consistency checks in
   * tests; the explorer's invariants).
   */
  onStep?: ((m: Machine, oracle: Oracle) => void) | null;
  /**
   * @internal Keep no log of the choices made (the result's `schedule` is then empty): a search
   * keeps its paths itself, and the log would grow every snapshot by two numbers a step.
   */
  recordChoices?: boolean;
}

export const DEFAULT_MAX_STEPS = 1_000_000;
// About 1.5 KB of peak memory per recorded event (the event, the log or report built from it):
// 250,000 keep a run, its log, its JSON or its report well under 1 GB (README, Resource limits).
export const DEFAULT_MAX_EVENTS = 250_000;
export { ScheduleError };

/** For a run stopped at a resource limit: which limit, and the option that raises it. */
export function limitHint(stop: string): string | null {
  if (stop === 'limit:steps') return 'the step limit; raise it with --max-steps';
  if (stop === 'limit:events') return 'the event limit (recorded events: the memory bound); raise it with --max-events';
  return null;
}

export function runScenario(ir: ScenarioIR, opts: RunOptions = {}): RunResult {
  return runTraced(ir, opts, false).result;
}

/**
 * A run plus, for each choice point, how many actions were offered (the explorer branches on
 * them): `counts[i]` options at the point where `result.schedule[i]` was chosen.
 */
export function runTraced(ir: ScenarioIR, opts: RunOptions = {}, withCounts = true): { result: RunResult; counts: number[] } {
  const run = new Run(ir, opts);
  run.advance(Infinity);
  return { result: run.finish(), counts: withCounts ? run.counts : [] };
}

/**
 * @public One run of a scenario under one design, a step at a time. Its whole state can be
 * written to a StateVec (snapshot), read back (restore) and hashed: the explorer and the
 * fuzzer stand on this.
 */
export class Run {
  readonly m: Machine;
  readonly oracle: Oracle;
  readonly events: PksimEvent[] = [];
  /** Why the run stopped, once step() has returned false. */
  stop = 'running';
  private readonly spec: PolicySpec;
  private readonly label: string;
  private readonly metrics: Metrics;
  private readonly sched: Scheduler;
  private readonly interp: Interp;
  private readonly windows = new Map<string, ContextWindow>();
  private pendingClass = -1;
  private readonly maxSteps: number;
  private readonly maxEvents: number;
  private readonly onStep: ((m: Machine, oracle: Oracle) => void) | null;
  /** The scenario's failed `assert` statements and `invariant` lines (asserts.ts). */
  readonly asserts: Asserts;
  /** The injected stray still to fire, or null (none, or fired). */
  private injecting: Injector | null = null;
  readonly injector: Injector | null = null;
  private readonly execSave = (ctx: Ctx, v: StateVec) => execOf(ctx).saveState(v, this.m.keysInUse);
  private readonly execLoad = (ctx: Ctx, v: StateVec) => execOf(ctx).loadState(v, this.ir, this.m.keysInUse);

  constructor(
    readonly ir: ScenarioIR,
    readonly opts: RunOptions = {},
  ) {
    this.spec = parsePolicy(opts.policy ?? 'scoped', opts.mode);
    this.label = policyLabel(this.spec);
    const hooks = createPolicy(this.spec, ir.pages.length, opts.store ?? 'page');
    const events = this.events;
    const sink =
      opts.events === false
        ? null
        : (e: PksimEvent) => {
            if (e.type === 'access' && this.pendingClass >= 0) (e as { class?: string }).class = CLASS_NAMES[this.pendingClass];
            events.push(e);
          };
    this.maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    const m = (this.m = new Machine(
      {
        arch: ir.machine.arch,
        cpus: ir.machine.cpus,
        lastPkmap: ir.machine.lastPkmap,
        wp: ir.machine.wp,
        keys: ir.keys.map((k) => ({ id: k.id, default: k.default })),
        pages: ir.pages.map((p) => ({ key: p.key, highmem: p.highmem, name: p.name })),
        warn: opts.warn ?? 'once',
        resetPoints: opts.resetPoints ?? [],
        names: internerFor(ir),
      },
      hooks,
      sink,
    ));
    m.kmapOrderFree = ownKmapsOnly(ir);
    this.oracle = new Oracle(m);
    this.metrics = new Metrics(
      m,
      ir.keys.filter((k) => m.protectedKey(k.id)).map((k) => k.id),
    );
    this.sched = new Scheduler(m, ir, opts.seed != null ? new Rng(opts.seed) : null, opts.schedule ?? null, opts.recordChoices !== false);
    this.interp = new Interp(
      m,
      ir,
      this.sched,
      this.oracle,
      this.metrics,
      (c) => (this.pendingClass = c),
      (ctx) => this.fold(ctx),
    );
    this.maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
    this.onStep = opts.onStep ?? null;
    this.asserts = new Asserts(m, ir, opts.checks ?? opts.events !== false);
    this.interp.onAssert = (cpu, ctx, ins) => this.asserts.failed(cpu, ctx, ins);
    if (opts.inject) this.injector = this.injecting = new Injector(opts.inject, ir, m);
  }

  /** Per-context windows, folded by scenario context name as contexts are left. */
  private fold(ctx: Ctx): void {
    if (ctx.ranTicks === 0) return;
    const w = this.windows.get(ctx.name) ?? { context: ctx.name, kind: ctx.kind, ticks: 0, keyOpenTicks: 0, unscopedTicks: 0 };
    w.ticks += ctx.ranTicks;
    w.keyOpenTicks += ctx.openTicks;
    w.unscopedTicks += ctx.unscopedTicks;
    this.windows.set(ctx.name, w);
  }

  /** How many actions each choice point so far offered. */
  get counts(): number[] {
    return this.sched.counts;
  }

  /** One scheduler step. Returns false when the run has stopped (see `stop`). */
  step(): boolean {
    return this.advance(1);
  }

  /**
   * Up to `n` steps in one loop (runTraced: all of them). Returns false once the run has
   * stopped. Locals, not fields, on the hot path.
   */
  advance(n: number): boolean {
    if (this.stop !== 'running') return false;
    const { m, sched, interp, metrics, oracle, events, maxSteps, maxEvents, onStep } = this;
    for (let i = 0; i < n; i++) {
      if (m.panicked) return this.end('panic');
      const inj = this.injecting;
      if (inj !== null && m.tick >= inj.spec.tick && inj.fire(m, interp)) {
        this.injecting = null;
        if (m.panicked) return this.end('panic');
      }
      sched.raiseTimed();
      const act = sched.choose();
      if (act < 0) {
        if (sched.allDone()) return this.end('done');
        reportDeadlock(m, sched.blockedTasks());
        return this.end('deadlock');
      }
      if (m.tick >= maxSteps) return this.end('limit:steps');
      if (events.length >= maxEvents) return this.end('limit:events');
      const arg = actArg(act); // a CPU, or for FIRE a scenario context
      switch (actType(act)) {
        case ACT_DELIVER:
          interp.deliver(arg);
          break;
        case ACT_RUN:
          interp.run(arg);
          break;
        case ACT_PREEMPT:
          sched.preempt(arg);
          break;
        case ACT_FIRE:
          sched.fire(arg);
          break;
      }
      metrics.sampleTick(m, oracle);
      m.tick++;
      if (onStep) onStep(m, oracle);
      if (this.asserts.watching) this.asserts.checkInvariants();
    }
    return true;
  }

  private end(stop: string): false {
    this.stop = stop;
    return false;
  }

  /** The result of a stopped run. */
  finish(): RunResult {
    const { m, ir, opts, sched, spec, label } = this;
    let stop = this.stop;
    // A schedule longer than the run is a wrong replay (another scenario, another design): say so
    // rather than ignore the rest. A run a limit stopped has not reached the rest: no error.
    const unused = sched.firstUnused();
    if (unused >= 0 && !stop.startsWith('limit:')) {
      throw new ScheduleError(
        `schedule entry ${unused + 1} is ${opts.schedule![unused]}, but the run ended (${stop}) after ${unused} choice point(s): entries ${unused + 1}..${opts.schedule!.length} were never used`,
      );
    }
    // Everything ran to the end, except tasks an oops killed.
    if (stop === 'done' && m.tasks.some((t) => t.state === 'dead')) stop = 'killed';
    const finished = stop === 'done';
    for (const t of m.tasks) if (t.kind !== 'idle') this.fold(t.ctx);
    for (const cp of m.cpus) for (let i = 1; i < cp.frames.length; i++) this.fold(cp.frames[i]!);
    const order = new Map(ir.contexts.map((d, i) => [d.name, i]));
    const summary = this.metrics.summary(m, m.tick, finished);
    return {
      scenario: ir.name,
      file: ir.file,
      policy: label,
      mode: spec.mode,
      seed: opts.seed ?? null,
      schedule: sched.taken,
      stop,
      config: {
        arch: ir.machine.arch,
        cpus: ir.machine.cpus,
        lastPkmap: ir.machine.lastPkmap,
        wp: ir.machine.wp,
        cr4pks: m.hooks.pks,
        defaultPkrs: m.initPkrs,
        keys: ir.keys.map((k) => ({ name: k.name, id: k.id, default: k.default })),
        pages: ir.pages.map((p) => ({ name: p.name, key: p.key, highmem: p.highmem })),
        contexts: ir.contexts.map((c) => ({ name: c.name, kind: c.kind, cpu: c.cpu })),
      },
      events: this.events,
      summary,
      windows: [...this.windows.values()].sort((a, b) => (order.get(a.context) ?? 1e9) - (order.get(b.context) ?? 1e9)),
      // An injected stray changes the counts the scenario's expectations are about (not its asserts).
      expectations: [...(this.injector ? [] : checkExpectations(ir, spec, label, summary)), ...this.asserts.results()],
      ...(this.injector ? { injection: this.injector.result() } : {}),
    };
  }

  // ---- state as data ---------------------------------------------------------------------

  /** Write everything that determines the rest of the run (and its result) into `v`. */
  snapshot(v: StateVec): void {
    v.clear();
    const n = this.m.names;
    this.m.save(v, this.execSave);
    this.sched.save(v);
    this.interp.save(v);
    this.metrics.save(v);
    v.push(this.windows.size);
    for (const w of this.windows.values()) {
      v.push(n.id(w.context));
      v.push(n.id(w.kind));
      v.push(w.ticks);
      v.push(w.keyOpenTicks);
      v.push(w.unscopedTicks);
    }
    v.push(this.events.length);
    v.push(this.pendingClass);
    v.push(n.id(this.stop));
    v.push(this.asserts.fails);
    if (this.injector) this.injector.save(v);
  }

  /** Make this run continue from a state written by snapshot() of a run of the same scenario and options. */
  restore(v: StateVec): void {
    v.pos = 0;
    const n = this.m.names;
    this.m.load(v, this.execLoad);
    this.sched.load(v);
    this.interp.load(v);
    this.metrics.load(v);
    this.loadWindows(v);
    const ne = v.next();
    if (ne < this.events.length) this.events.length = ne;
    this.pendingClass = v.next();
    this.stop = n.str(v.next());
    this.asserts.fails = v.next();
    if (this.injector) {
      this.injector.load(v);
      this.injecting = this.injector.fired ? null : this.injector;
    }
    v.done();
  }

  /**
   * The per-context windows, in the order written. When they name the same contexts in the same
   * order as now (a search restoring sibling states), the objects are kept and refilled.
   */
  private loadWindows(v: StateVec): void {
    const n = this.m.names;
    const nw = v.next();
    let same = nw === this.windows.size;
    if (same) {
      let at = v.pos;
      for (const w of this.windows.values()) {
        if (v.buf[at] !== n.id(w.context) || v.buf[at + 1] !== n.id(w.kind)) {
          same = false;
          break;
        }
        at += 5;
      }
    }
    if (same) {
      for (const w of this.windows.values()) {
        v.pos += 2;
        w.ticks = v.next();
        w.keyOpenTicks = v.next();
        w.unscopedTicks = v.next();
      }
      return;
    }
    this.windows.clear();
    for (let i = 0; i < nw; i++) {
      const context = n.str(v.next());
      const kind = n.str(v.next());
      this.windows.set(context, { context, kind, ticks: v.next(), keyOpenTicks: v.next(), unscopedTicks: v.next() });
    }
  }

  /**
   * The canonical state (what decides the future, no history; not restorable): equal for two
   * paths that reach the same situation. Channels are written before the machine's records are
   * numbered out, so pointers in flight get their numbers in a fixed order too.
   */
  canonical(v: StateVec): void {
    v.clear();
    this.m.canonical(v, this.execCanon, this.clockUntil, this.runnerCanon);
  }

  private readonly runnerCanon = (v: StateVec) => {
    this.sched.canonical(v);
    this.interp.canonical(v, this.m.canonMapId);
  };

  private readonly execCanon = (ctx: Ctx, v: StateVec) => execOf(ctx).saveState(v, this.m.keysInUse, this.m.canonMapId);
  /** The tick after the last `at tick N` trigger: past it the clock decides nothing. */
  private get clockUntil(): number {
    if (this.clockUntilCache < 0) {
      let t = 0;
      for (const c of this.ir.contexts) if (c.trigger.type === 'tick') t = Math.max(t, c.trigger.tick + 1);
      this.clockUntilCache = t;
    }
    return this.clockUntilCache;
  }
  private clockUntilCache = -1;

  /**
   * Start again from a state written by snapshot() (the fuzzer: the start of the run) with
   * another schedule seed; a run made with a seed only. The injection spec object the run was
   * made with is read again, so the caller may have changed it.
   */
  restart(v: StateVec, seed: number): void {
    this.restore(v);
    this.sched.reseed(seed);
  }

  /** The counters of the run so far (no allocation: the live metrics object). */
  metricsNow(): Readonly<Pick<Metrics, 'legitBroken' | 'straysMissed' | 'legitAccesses' | 'strayAccesses' | 'exposure'>> {
    return this.metrics;
  }

  /** The scenario's expect lines for this design against the counters so far (explore's end states). */
  expectationsNow(): RunResult['expectations'] {
    const finished = this.stop === 'done' && !this.m.tasks.some((t) => t.state === 'dead');
    return checkExpectations(this.ir, this.spec, this.label, this.metrics.summary(this.m, this.m.tick, finished));
  }

  /** The design's label ('scoped:relaxed', 'global'). */
  finishLabel(): string {
    return this.label;
  }

  /** How many choices the next step offers (0 when the run has stopped or nothing can run). */
  offered(): number {
    if (this.stop !== 'running' || this.m.panicked) return 0;
    this.sched.raiseTimed();
    return this.sched.offered();
  }

  /** The action of choice `i` after offered(): ACT_* << 16 | its CPU (or context, for FIRE). */
  actionAt(i: number): number {
    return this.sched.actAt(i);
  }

  /** Take choice `i` (0..offered()-1) at the next step. */
  force(i: number): void {
    this.sched.forced = i;
  }

  /** A 64-bit hash of the current state (two 32-bit halves in `out`), written through `scratch`. */
  hash64(scratch: StateVec, out: Uint32Array): void {
    this.snapshot(scratch);
    scratch.hash64(out);
  }
}

/** One string table per scenario: every run of it can read the states of every other. */
const interners = new WeakMap<ScenarioIR, Interner>();
function internerFor(ir: ScenarioIR): Interner {
  let n = interners.get(ir);
  if (!n) interners.set(ir, (n = new Interner()));
  return n;
}

function reportDeadlock(m: Machine, blocked: Task[]): void {
  const who = blocked.map((t) => `${t.name} (${t.blockedOn})`).join(', ');
  m.report(blocked[0]?.cpu ?? 0, 'deadlock', `no context can run: blocked ${who}`);
}
