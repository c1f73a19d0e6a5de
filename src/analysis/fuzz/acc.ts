// What `pksim fuzz` keeps of its runs: sufficient statistics only, all integers (counts, sums,
// sums of squares), so that adding them up in any order, in any number of workers or shards,
// gives exactly the same numbers; and the few missed strays with the smallest run numbers, as
// replayable examples.

import type { InjectKind } from '../../sim/inject.js';

/** What became of the injected strays: fired (made at all), and each fate. */
export interface Fates {
  fired: number;
  caught: number;
  warned: number;
  missed: number;
}

/** A sum and a sum of squares over runs (the count is the runs). */
export interface Moments {
  sum: number;
  sq: number;
}

/** Per context kind: runs where it ran, its ticks, its unscoped key x ticks (pardon windows), the strays it made. */
export interface CtxStats extends Fates {
  runs: number;
  ticks: number;
  unscoped: Moments;
}

export interface Example {
  run: number;
  seed: number;
  inject: string;
}

export const CTX_KINDS = ['hardirq', 'softirq', 'nmi', 'user', 'kthread', 'worker'] as const;
export const STOPS = ['done', 'killed', 'panic', 'deadlock'] as const;

export interface FuzzStats extends Fates {
  runs: number;
  kinds: Record<InjectKind, Fates>;
  /**
   * Strays by whether the context that made them held a mapping or grant of the page's key
   * (`holder`: its own code has the key open) or not (`bystander`: unrelated code, the case
   * the proposal's claim is about).
   */
  holder: Fates;
  bystander: Fates;
  legitAccesses: number;
  legitBroken: number;
  legitWarned: number;
  /** Runs with at least one legit access broken (oops) / warned. */
  runsLegitBroken: number;
  runsLegitWarned: number;
  /** The scenario's own strays (its stray_* statements, its uses after unmap), not injected. */
  scenarioStrays: number;
  scenarioStraysMissed: number;
  exposure: Moments;
  exposureRead: Moments;
  exposureWrite: Moments;
  warningSites: Moments;
  ticks: number;
  contexts: Record<(typeof CTX_KINDS)[number], CtxStats>;
  stops: Record<(typeof STOPS)[number], number>;
  /** Missed injected strays with the smallest run numbers (at most `examples` of the config). */
  examples: Example[];
}

const fates = (): Fates => ({ fired: 0, caught: 0, warned: 0, missed: 0 });
const moments = (): Moments => ({ sum: 0, sq: 0 });

export function emptyStats(): FuzzStats {
  return {
    runs: 0,
    ...fates(),
    kinds: { forged: fates(), uaf: fates(), 'foreign-local': fates() },
    holder: fates(),
    bystander: fates(),
    legitAccesses: 0,
    legitBroken: 0,
    legitWarned: 0,
    runsLegitBroken: 0,
    runsLegitWarned: 0,
    scenarioStrays: 0,
    scenarioStraysMissed: 0,
    exposure: moments(),
    exposureRead: moments(),
    exposureWrite: moments(),
    warningSites: moments(),
    ticks: 0,
    contexts: Object.fromEntries(CTX_KINDS.map((k) => [k, { runs: 0, ticks: 0, unscoped: moments(), ...fates() }])) as FuzzStats['contexts'],
    stops: Object.fromEntries(STOPS.map((s) => [s, 0])) as FuzzStats['stops'],
    examples: [],
  };
}

export function addMoment(m: Moments, x: number): void {
  m.sum += x;
  m.sq += x * x;
}

/** Add `b` into `a`: every number, member by member; examples merged and cut to `keep`. */
export function mergeStats(a: FuzzStats, b: FuzzStats, keep: number): FuzzStats {
  addNumbers(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>);
  a.examples = mergeExamples(a.examples, b.examples, keep);
  return a;
}

export function mergeExamples(a: Example[], b: Example[], keep: number): Example[] {
  return [...a, ...b].sort((x, y) => x.run - y.run).slice(0, keep);
}

function addNumbers(a: Record<string, unknown>, b: Record<string, unknown>): void {
  for (const k of Object.keys(b)) {
    if (k === 'examples') continue;
    const x = b[k];
    if (typeof x === 'number') a[k] = ((a[k] as number | undefined) ?? 0) + x;
    else if (x !== null && typeof x === 'object') addNumbers(a[k] as Record<string, unknown>, x as Record<string, unknown>);
  }
}

/**
 * The path of the first member of `x` that is not what emptyStats() has there (a non-negative
 * integer where it has a number, the same members, examples as {run, seed, inject}), or null.
 */
export function statsShapeError(x: unknown, like: unknown = emptyStats(), path = 'stats'): string | null {
  if (typeof like === 'number') return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? null : path;
  if (Array.isArray(like)) {
    if (!Array.isArray(x)) return path;
    for (let i = 0; i < x.length; i++) {
      const e = x[i] as Partial<Example> | null;
      if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.run) || !Number.isSafeInteger(e.seed) || typeof e.inject !== 'string') return `${path}[${i}]`;
    }
    return null;
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return path;
  const a = like as Record<string, unknown>;
  const b = x as Record<string, unknown>;
  for (const k of Object.keys(a)) {
    if (!Object.hasOwn(b, k)) return `${path}.${k}`;
    const e = statsShapeError(b[k], a[k], `${path}.${k}`);
    if (e !== null) return e;
  }
  for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) return `${path}.${k}`;
  return null;
}
