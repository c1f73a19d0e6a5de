// "Can this ever go wrong?": explore the interleavings of a scenario under one design and check
// invariants on every run. The exploration is stateless (each run replays a schedule prefix from
// the start, as the runner is deterministic) and delay-bounded: it covers every schedule that
// departs from the default schedule at most `bound` times, where a departure is any other
// choice at a choice point (another CPU first, an interrupt now or later, a preemption). Each
// violation comes with the schedule that replays it: `pksim run FILE --schedule LIST`.

import type { ScenarioIR } from '../scenario/ir.js';
import { runTraced, type RunOptions } from '../sim/runner.js';
import { InvariantError, scenarioChecks } from './invariants.js';
import type { RunResult, RunSummary } from '../sim/result.js';

export interface Invariant {
  name: string;
  description: string;
  /** True when the run violates it. */
  violated(r: RunResult): boolean;
}

export const INVARIANTS: Invariant[] = [
  { name: 'no-broken-legit', description: 'no legitimate access oopses', violated: (r) => r.summary.legitBroken > 0 },
  { name: 'no-missed-stray', description: 'no stray access goes through unnoticed', violated: (r) => r.summary.straysMissed > 0 },
  { name: 'no-panic', description: 'no oops in interrupt context', violated: (r) => r.summary.panics > 0 },
  { name: 'no-deadlock', description: 'no context blocks forever', violated: (r) => r.stop === 'deadlock' },
  { name: 'no-leak', description: 'no kmap_local or grant held when its context is left', violated: (r) => r.summary.leaks > 0 },
  // A run a limit stopped is partial: its counts are not the scenario's (it is reported as limited).
  {
    name: 'expectations',
    description: "the scenario's expect lines for this design hold",
    violated: (r) => !r.stop.startsWith('limit:') && r.expectations.some((x) => !x.ok && !isCheck(x.metric)),
  },
  // The scenario's own checks, named as the stateful search names them (each run checks them: RunOptions.checks).
  { name: 'assert', description: 'every assert statement of the scenario holds where it runs', violated: (r) => r.expectations.some((x) => x.metric === 'assert') },
  {
    name: 'invariant',
    description: 'every invariant line of the scenario holds in every state of the run',
    violated: (r) => r.expectations.some((x) => x.metric === 'invariant'),
  },
];

/** An assert or invariant line's result among a run's expectations (listed only when it failed). */
function isCheck(metric: string): boolean {
  return metric === 'assert' || metric === 'invariant';
}

export interface ExploreOptions extends Omit<RunOptions, 'seed' | 'schedule' | 'events'> {
  /** Departures from the default schedule per run (default 2). */
  bound?: number;
  /** Stop after this many runs (a resource limit). */
  maxRuns?: number;
  /** Stop once the runs have taken this many steps in all (a resource limit: the time bound). */
  maxTotalSteps?: number;
  /** Invariant names to check (default: all). */
  check?: string[];
  /** Called every `progressEvery` runs. */
  onProgress?: (runs: number, pending: number) => void;
}

export const DEFAULT_BOUND = 2;
export const DEFAULT_MAX_RUNS = 20_000;
/** About 10 s of runs on a 2-core machine of 2026 (5 M steps/s and more). */
export const DEFAULT_MAX_TOTAL_STEPS = 50_000_000;

export interface Counterexample {
  invariant: string;
  /** Runs that violated it. */
  runs: number;
  /** The first violating run found (fewest departures first), to replay with --schedule. */
  schedule: number[];
  departures: number;
  summary: RunSummary;
  stop: string;
}

export interface Outcome {
  /** How many runs ended this way. */
  runs: number;
  stop: string;
  summary: Pick<RunSummary, 'legitBroken' | 'legitWarned' | 'legitSilent' | 'straysCaught' | 'straysWarned' | 'straysMissed' | 'oopses' | 'leaks'>;
  /** One schedule that leads here. */
  schedule: number[];
}

export interface ExploreResult {
  scenario: string;
  file: string;
  policy: string;
  bound: number;
  runs: number;
  /** False when a limit ended the exploration before it covered the bound. */
  complete: boolean;
  /** The limit that ended it early: --max-runs, --max-total-steps, or --max-steps for one run. */
  stoppedBy: 'max-runs' | 'max-total-steps' | 'max-steps' | null;
  /** Steps of all runs together. */
  totalSteps: number;
  checked: string[];
  violations: Counterexample[];
  outcomes: Outcome[];
  /** Largest exposure seen over all runs, and the schedule that reached it. */
  maxExposure: { exposure: number; schedule: number[] };
  /** The run a resource limit (--max-steps) stopped, which ended the exploration there. */
  limited: { stop: string; schedule: number[] } | null;
}

export class ExploreError extends Error {}

/** A run to do: the first `len` choices of `parent`, then `choice` (none when -1). */
interface Pending {
  parent: Uint16Array;
  len: number;
  choice: number;
}
const NO_CHOICES = new Uint16Array(0);
const DONE: Pending = { parent: NO_CHOICES, len: 0, choice: -1 };

function prefixOf(p: Pending): number[] {
  const out = new Array<number>(p.len + (p.choice >= 0 ? 1 : 0));
  for (let i = 0; i < p.len; i++) out[i] = p.parent[i]!;
  if (p.choice >= 0) out[p.len] = p.choice;
  return out;
}

export function explore(ir: ScenarioIR, opts: ExploreOptions = {}): ExploreResult {
  const bound = opts.bound ?? DEFAULT_BOUND;
  const maxRuns = opts.maxRuns ?? DEFAULT_MAX_RUNS;
  let has: { asserts: boolean; invariants: boolean };
  try {
    has = scenarioChecks(ir, opts.check);
  } catch (e) {
    if (e instanceof InvariantError) throw new ExploreError(e.message);
    throw e;
  }
  // The scenario's own checks only when it has some (as the stateful search lists them).
  const checked = opts.check ?? INVARIANTS.map((i) => i.name).filter((n) => (n !== 'assert' || has.asserts) && (n !== 'invariant' || has.invariants));
  const invariants = checked.map((name) => {
    const inv = INVARIANTS.find((i) => i.name === name);
    if (!inv) throw new ExploreError(`unknown invariant '${name}' (expected ${INVARIANTS.map((i) => i.name).join(', ')})`);
    return inv;
  });
  const maxTotalSteps = opts.maxTotalSteps ?? DEFAULT_MAX_TOTAL_STEPS;
  const runOpts: RunOptions = { ...opts, events: false, checks: true };
  // Breadth-first by number of departures: the first violation found has the fewest. A queued
  // run is a prefix of an earlier run's choices plus one other choice, kept as a reference to
  // that run's choices (shared by all its queued children), not as a copy: long runs queue
  // thousands of prefixes each nearly as long as the run.
  let frontier: Pending[] = [{ parent: NO_CHOICES, len: 0, choice: -1 }];
  const violations = new Map<string, Counterexample>();
  const outcomes = new Map<string, Outcome>();
  let maxExposure = { exposure: -1, schedule: [] as number[] };
  let limited: ExploreResult['limited'] = null;
  let stoppedBy: ExploreResult['stoppedBy'] = null;
  let runs = 0;
  let totalSteps = 0;
  let overflow = false;
  let policy = '';
  let depth = 0;
  while (frontier.length > 0 && stoppedBy === null) {
    const next: Pending[] = [];
    for (let f = 0; f < frontier.length; f++) {
      if (runs >= maxRuns) {
        stoppedBy = 'max-runs';
        break;
      }
      if (totalSteps >= maxTotalSteps) {
        stoppedBy = 'max-total-steps';
        break;
      }
      const prefix = prefixOf(frontier[f]!);
      frontier[f] = DONE; // its parent's choices can go once no queued run refers to them
      const { result, counts } = runTraced(ir, { ...runOpts, schedule: prefix });
      runs++;
      totalSteps += result.summary.ticks;
      policy = result.policy;
      if (opts.onProgress && runs % 200 === 0) opts.onProgress(runs, frontier.length - f + next.length);
      record(result, depth, invariants, violations, outcomes);
      if (result.summary.exposure > maxExposure.exposure) maxExposure = { exposure: result.summary.exposure, schedule: result.schedule };
      if (result.stop.startsWith('limit:')) {
        // A run that needs more steps than allowed: every other schedule likely does too, and
        // each costs the whole limit. Stop here (a resource limit), with the schedule to replay.
        limited = { stop: result.stop, schedule: result.schedule };
        stoppedBy = 'max-steps';
        break;
      }
      if (depth < bound) {
        // Every other choice at every point past the prefix is one more departure.
        const taken = result.schedule;
        let parent: Uint16Array | null = null;
        for (let i = prefix.length; i < taken.length && !overflow; i++) {
          for (let a = 0; a < counts[i]!; a++) {
            if (a === taken[i]) continue;
            if (runs + next.length >= maxRuns) {
              overflow = true; // not even queued: --max-runs will stop the exploration
              break;
            }
            parent ??= Uint16Array.from(taken);
            next.push({ parent, len: i, choice: a });
          }
        }
      }
    }
    frontier = next;
    depth++;
  }
  if (stoppedBy === null && overflow) stoppedBy = 'max-runs';
  return {
    scenario: ir.name,
    file: ir.file,
    policy,
    bound,
    runs,
    complete: stoppedBy === null,
    stoppedBy,
    totalSteps,
    checked,
    violations: [...violations.values()],
    outcomes: [...outcomes.values()].sort((a, b) => b.runs - a.runs),
    maxExposure,
    limited,
  };
}

function record(r: RunResult, departures: number, invariants: Invariant[], violations: Map<string, Counterexample>, outcomes: Map<string, Outcome>): void {
  for (const inv of invariants) {
    if (!inv.violated(r)) continue;
    const v = violations.get(inv.name);
    if (v) v.runs++;
    else violations.set(inv.name, { invariant: inv.name, runs: 1, schedule: r.schedule, departures, summary: r.summary, stop: r.stop });
  }
  const s = r.summary;
  const summary = {
    legitBroken: s.legitBroken,
    legitWarned: s.legitWarned,
    legitSilent: s.legitSilent,
    straysCaught: s.straysCaught,
    straysWarned: s.straysWarned,
    straysMissed: s.straysMissed,
    oopses: s.oopses,
    leaks: s.leaks,
  };
  const key = `${r.stop} ${Object.values(summary).join(',')}`;
  const o = outcomes.get(key);
  if (o) o.runs++;
  else outcomes.set(key, { runs: 1, stop: r.stop, summary, schedule: r.schedule });
}
