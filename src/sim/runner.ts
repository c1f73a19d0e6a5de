// The runner: executes a compiled scenario on the machine under one protection design and one
// schedule, and collects the event stream, the oracle's judgement and the metrics.

import type { ScenarioIR } from '../scenario/ir.js';
import { Machine, type ResetPoint, type WarnDedupe } from '../kernel/machine.js';
import type { Ctx, Task } from '../kernel/context.js';
import type { PksimEvent } from '../kernel/events.js';
import { createPolicy, parsePolicy, policyLabel, type UnprotectStoreKind } from '../policy/index.js';
import { Oracle, CLASS_NAMES } from './oracle.js';
import { Metrics } from './metrics.js';
import { Rng } from './rng.js';
import { ScheduleError, Scheduler, ACT_DELIVER, ACT_FIRE, ACT_PREEMPT, ACT_RUN, actType, actArg } from './sched.js';
import { Interp } from './interp.js';
import { checkExpectations } from './expect.js';
import type { ContextWindow, RunResult } from './result.js';

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
   * @internal Called after every step with the machine and the oracle (consistency checks in
   * tests; the explorer's invariants).
   */
  onStep?: ((m: Machine, oracle: Oracle) => void) | null;
}

export const DEFAULT_MAX_STEPS = 1_000_000;
export const DEFAULT_MAX_EVENTS = 2_000_000;
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
  const spec = parsePolicy(opts.policy ?? 'scoped', opts.mode);
  const label = policyLabel(spec);
  const hooks = createPolicy(spec, ir.pages.length, opts.store ?? 'page');
  const events: PksimEvent[] = [];
  let pendingClass = -1;
  const sink =
    opts.events === false
      ? null
      : (e: PksimEvent) => {
          if (e.type === 'access' && pendingClass >= 0) (e as { class?: string }).class = CLASS_NAMES[pendingClass];
          events.push(e);
        };
  const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  const m = new Machine(
    {
      arch: ir.machine.arch,
      cpus: ir.machine.cpus,
      lastPkmap: ir.machine.lastPkmap,
      wp: ir.machine.wp,
      keys: ir.keys.map((k) => ({ id: k.id, default: k.default })),
      pages: ir.pages.map((p) => ({ key: p.key, highmem: p.highmem })),
      warn: opts.warn ?? 'once',
      resetPoints: opts.resetPoints ?? [],
    },
    hooks,
    sink,
  );
  const oracle = new Oracle(m);
  const metrics = new Metrics(m, ir.keys.filter((k) => m.protectedKey(k.id)).map((k) => k.id));
  const sched = new Scheduler(m, ir, opts.seed != null ? new Rng(opts.seed) : null, opts.schedule ?? null);
  // Per-context windows, folded by scenario context name as contexts are left.
  const windows = new Map<string, ContextWindow>();
  const fold = (ctx: Ctx) => {
    if (ctx.ranTicks === 0) return;
    const w = windows.get(ctx.name) ?? { context: ctx.name, kind: ctx.kind, ticks: 0, keyOpenTicks: 0, unscopedTicks: 0 };
    w.ticks += ctx.ranTicks;
    w.keyOpenTicks += ctx.openTicks;
    w.unscopedTicks += ctx.unscopedTicks;
    windows.set(ctx.name, w);
  };
  const interp = new Interp(m, ir, sched, oracle, metrics, (c) => (pendingClass = c), fold);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const onStep = opts.onStep ?? null;

  let stop: string;
  for (;;) {
    if (m.panicked) {
      stop = 'panic';
      break;
    }
    sched.raiseTimed();
    const act = sched.choose();
    if (act < 0) {
      stop = sched.allDone() ? 'done' : 'deadlock';
      if (stop === 'deadlock') reportDeadlock(m, sched.blockedTasks());
      break;
    }
    if (m.tick >= maxSteps) {
      stop = 'limit:steps';
      break;
    }
    if (events.length >= maxEvents) {
      stop = 'limit:events';
      break;
    }
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
  }
  // Everything ran to the end, except tasks an oops killed.
  if (stop === 'done' && m.tasks.some((t) => t.state === 'dead')) stop = 'killed';
  const finished = stop === 'done';
  for (const t of m.tasks) if (t.kind !== 'idle') fold(t.ctx);
  for (const cp of m.cpus) for (let i = 1; i < cp.frames.length; i++) fold(cp.frames[i]!);
  const order = new Map(ir.contexts.map((d, i) => [d.name, i]));
  const summary = metrics.summary(m, m.tick, finished);
  const result: RunResult = {
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
      cr4pks: hooks.pks,
      defaultPkrs: m.initPkrs,
      keys: ir.keys.map((k) => ({ name: k.name, id: k.id, default: k.default })),
      pages: ir.pages.map((p) => ({ name: p.name, key: p.key, highmem: p.highmem })),
      contexts: ir.contexts.map((c) => ({ name: c.name, kind: c.kind, cpu: c.cpu })),
    },
    events,
    summary,
    windows: [...windows.values()].sort((a, b) => (order.get(a.context) ?? 1e9) - (order.get(b.context) ?? 1e9)),
    expectations: checkExpectations(ir, spec, label, summary),
  };
  return { result, counts: withCounts ? sched.counts : [] };
}

function reportDeadlock(m: Machine, blocked: Task[]): void {
  const who = blocked.map((t) => `${t.name} (${t.blockedOn})`).join(', ');
  m.report(blocked[0]?.cpu ?? 0, 'deadlock', `no context can run: blocked ${who}`);
}
