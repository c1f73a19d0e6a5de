// The fuzzer's inner loop: runs of one scenario under one design, each with its own seeded
// random schedule and one random injected stray, counted into sufficient statistics. Run i's
// seed comes from (seed, scenario, i) through a stateless hash: a run's result does not depend
// on which worker or shard runs it, nor on what ran before.

import type { ScenarioIR } from '../../scenario/ir.js';
import { Run, runScenario } from '../../sim/runner.js';
import { Rng } from '../../sim/rng.js';
import { StateVec } from '../../kernel/state.js';
import { FATE_CAUGHT, FATE_MISSED, FATE_WARNED, INJECT_KINDS, fateCode, type InjectSpec } from '../../sim/inject.js';
import type { ResetPoint, WarnDedupe } from '../../kernel/machine.js';
import { addMoment, mergeExamples, type CtxStats, type Fates, type FuzzStats } from './acc.js';

/** What every run of a campaign shares (the JSON's `config` says the same). */
export interface FuzzOptions {
  seed: number;
  runs: number;
  warn: WarnDedupe;
  resetPoints: ResetPoint[];
  maxSteps: number;
  /** Missed strays kept as replayable examples per scenario and design. */
  examples: number;
  /** The kinds injected (indices into INJECT_KINDS), drawn uniformly. */
  kinds: number[];
}

/** A run stopped at a resource limit: which one, and how to raise it. */
export class FuzzLimitError extends Error {
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super(message);
    this.name = 'FuzzLimitError';
  }
}

/** murmur3's finalizer: a 32-bit mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of run `i` of a scenario: a function of (seed, scenario name, i) alone. */
export function runSeed(seed: number, scenario: string, i: number): number {
  const a = fmix32((fnv1a(scenario) ^ fmix32(seed >>> 0)) >>> 0);
  return fmix32((a + Math.imul(i >>> 0, 0x9e3779b1) + Math.floor(i / 2 ** 32)) >>> 0);
}

/**
 * The injection ticks are drawn from 0..horizon-1: the length of the scenario's default run
 * without PKS (design-independent, so that run i injects the same stray under every design).
 */
export function horizonOf(ir: ScenarioIR, o: Pick<FuzzOptions, 'maxSteps' | 'warn' | 'resetPoints'>): number {
  const r = runScenario(ir, { policy: 'none', events: false, maxSteps: o.maxSteps, warn: o.warn, resetPoints: o.resetPoints });
  if (r.stop.startsWith('limit:')) throw new FuzzLimitError('steps', `${ir.name}: its default run stopped at the step limit (${o.maxSteps}); raise it with --max-steps`);
  return Math.max(1, r.summary.ticks);
}

/** Run i's injection: tick, kind, read or write, and which CPU and page `any` picks. */
export function injectionOf(h: number, horizon: number, kinds: number[], into: InjectSpec): InjectSpec {
  const g = new Rng(fmix32((h ^ 0x5bd1e995) >>> 0));
  into.tick = g.below(horizon);
  into.kind = kinds[g.below(kinds.length)]!;
  into.write = g.below(2) === 1;
  into.cpu = -1;
  into.page = -1;
  into.off = 0;
  into.pick = g.below(0x40000000);
  return into;
}

function addFate(f: Fates, fate: number): void {
  f.fired++;
  if (fate === FATE_CAUGHT) f.caught++;
  else if (fate === FATE_WARNED) f.warned++;
  else if (fate === FATE_MISSED) f.missed++;
}

/**
 * Runs start..end-1 of a scenario under one design into `st`. `deadline` (a value of `now`, or
 * Infinity) bounds the time, checked every 256 runs.
 */
export function fuzzRuns(
  ir: ScenarioIR,
  policy: string,
  horizon: number,
  o: FuzzOptions,
  start: number,
  end: number,
  st: FuzzStats,
  now: () => number = () => 0,
  deadline = Infinity,
): FuzzStats {
  const spec: InjectSpec = { tick: 0, kind: 0, write: false, cpu: -1, page: -1, off: 0, pick: 0 };
  const examples = [];
  // One run made once, restored to its start for every run: nothing is built per run.
  const run = new Run(ir, { policy, seed: 0, events: false, maxSteps: o.maxSteps, warn: o.warn, resetPoints: o.resetPoints, inject: spec });
  const start0 = new StateVec();
  run.snapshot(start0);
  for (let i = start; i < end; i++) {
    if ((i - start) % 256 === 255 && now() > deadline) throw new FuzzLimitError('time', 'the time limit; raise it with --time-limit');
    const h = runSeed(o.seed, ir.name, i);
    injectionOf(h, horizon, o.kinds, spec);
    run.restart(start0, h);
    run.advance(Infinity);
    if (run.stop.startsWith('limit:'))
      throw new FuzzLimitError(
        'steps',
        `${ir.name} under ${policy}, run ${i} (seed ${h}): stopped at the step limit (${o.maxSteps} steps per run); raise it with --max-steps`,
      );
    const r = run.finish();
    const s = r.summary;
    st.runs++;
    const inj = run.injector!;
    let injectedStray = 0;
    let injectedMissed = 0;
    if (inj.fired) {
      const fate = fateCode(inj.outcome);
      injectedStray = 1;
      injectedMissed = fate === FATE_MISSED ? 1 : 0;
      addFate(st, fate);
      addFate(st.kinds[INJECT_KINDS[spec.kind]!], fate);
      addFate(inj.holdsKey ? st.holder : st.bystander, fate);
      const c = st.contexts[inj.ctxKind as keyof FuzzStats['contexts']];
      if (c) addFate(c, fate);
      if (fate === FATE_MISSED && examples.length < o.examples) examples.push({ run: i, seed: h, inject: r.injection!.spec! });
    }
    st.legitAccesses += s.legitAccesses;
    st.legitBroken += s.legitBroken;
    st.legitWarned += s.legitWarned;
    if (s.legitBroken > 0) st.runsLegitBroken++;
    if (s.legitWarned > 0) st.runsLegitWarned++;
    st.scenarioStrays += s.strayAccesses - injectedStray;
    st.scenarioStraysMissed += s.straysMissed - injectedMissed;
    addMoment(st.exposure, s.exposure);
    addMoment(st.exposureRead, s.exposureRead);
    addMoment(st.exposureWrite, s.exposureWrite);
    addMoment(st.warningSites, s.warningSites);
    st.ticks += s.ticks;
    const stop = r.stop as keyof FuzzStats['stops'];
    if (stop in st.stops) st.stops[stop]++;
    addWindows(st, r.windows);
  }
  st.examples = mergeExamples(st.examples, examples, o.examples);
  return st;
}

/** Per context kind: ran in this run, its ticks, its unscoped key x ticks summed over its contexts. */
function addWindows(st: FuzzStats, windows: { kind: string; ticks: number; unscopedTicks: number }[]): void {
  for (const k of Object.keys(st.contexts) as (keyof FuzzStats['contexts'])[]) {
    let ran = false;
    let ticks = 0;
    let unscoped = 0;
    for (const w of windows) {
      if (w.kind !== k) continue;
      ran = true;
      ticks += w.ticks;
      unscoped += w.unscopedTicks;
    }
    if (!ran) continue;
    const c: CtxStats = st.contexts[k];
    c.runs++;
    c.ticks += ticks;
    addMoment(c.unscoped, unscoped);
  }
}
