// A fuzz campaign: every scenario x design, the runs of this shard, in this process or in
// worker threads, added up into one report. Shard k of n takes runs floor(k R / n) ..
// floor((k+1) R / n) - 1 of every scenario: the n shards cover 0..R-1 exactly once.

import type { ScenarioIR } from '../../scenario/ir.js';
import { INJECT_KINDS } from '../../sim/inject.js';
import { emptyStats, mergeStats, type FuzzStats } from './acc.js';
import { FuzzLimitError, fuzzRuns, horizonOf, type FuzzOptions } from './engine.js';
import { buildReport, type FuzzConfig, type FuzzReport } from './report.js';
import { FuzzPool } from './pool.js';

/** Runs lo..hi-1 of R are shard k of n (0 <= k < n). */
export function shardRange(runs: number, k: number, n: number): [number, number] {
  return [Math.floor((k * runs) / n), Math.floor(((k + 1) * runs) / n)];
}

export interface WorkerInit {
  sources: { file: string; text: string }[];
  policies: string[];
  horizons: number[];
  opts: FuzzOptions;
  /** Epoch milliseconds after which a unit stops (the time limit), or Infinity. */
  deadline: number;
}

export interface Unit {
  scenario: number;
  policy: number;
  start: number;
  end: number;
}

export type UnitReply = { stats: FuzzStats; fail?: undefined } | { fail: { limit: string | null; message: string } };

export interface CampaignInput {
  scenarios: { ir: ScenarioIR; arg: string }[];
  policies: string[];
  opts: FuzzOptions;
  base: string;
  shard: { k: number; n: number } | null;
  workers: number;
  /** Seconds of wall-clock time before the campaign stops (exit 3), or Infinity. */
  timeLimit: number;
  /** Told after each unit: runs done, runs in all, the report so far (built only when asked). */
  progress?: (done: number, total: number, partial: () => FuzzReport) => void;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** The units of work: chunks of each scenario x design's run range, in a fixed order. */
export function planUnits(nScenarios: number, nPolicies: number, lo: number, hi: number, chunk: number): Unit[] {
  const units: Unit[] = [];
  for (let s = 0; s < nScenarios; s++)
    for (let p = 0; p < nPolicies; p++) for (let a = lo; a < hi; a += chunk) units.push({ scenario: s, policy: p, start: a, end: Math.min(hi, a + chunk) });
  return units;
}

export async function runCampaign(input: CampaignInput): Promise<FuzzReport> {
  const { scenarios, policies, opts } = input;
  const horizons = scenarios.map((s) => horizonOf(s.ir, opts));
  const config: FuzzConfig = {
    seed: opts.seed,
    runs: opts.runs,
    policies,
    scenarios: scenarios.map((s, i) => ({ name: s.ir.name, arg: s.arg, horizon: horizons[i]! })),
    kinds: opts.kinds.map((k) => INJECT_KINDS[k]!),
    warn: opts.warn,
    resetAt: opts.resetPoints,
    maxSteps: opts.maxSteps,
    examples: opts.examples,
    base: input.base,
    shard: input.shard,
  };
  const [lo, hi] = input.shard ? shardRange(opts.runs, input.shard.k, input.shard.n) : [0, opts.runs];
  const workers = Math.max(1, input.workers);
  const chunk = Math.max(1, Math.min(4096, Math.ceil((hi - lo) / (workers * 4))));
  const units = planUnits(scenarios.length, policies.length, lo, hi, chunk);
  const stats: FuzzReport['stats'] = {};
  for (const s of scenarios) stats[s.ir.name] = Object.fromEntries(policies.map((p) => [p, emptyStats()]));
  const total = units.reduce((n, u) => n + u.end - u.start, 0);
  let done = 0;
  const deadline = Number.isFinite(input.timeLimit) ? epochNow() + input.timeLimit * 1000 : Infinity;
  const add = (u: Unit, st: FuzzStats) => {
    mergeStats(stats[scenarios[u.scenario]!.ir.name]![policies[u.policy]!]!, st, opts.examples);
    done += u.end - u.start;
    input.progress?.(done, total, () => buildReport(config, stats));
  };
  if (workers === 1) {
    for (const u of units) {
      const st = fuzzRuns(scenarios[u.scenario]!.ir, policies[u.policy]!, horizons[u.scenario]!, opts, u.start, u.end, emptyStats(), epochNow, deadline);
      add(u, st);
      // Let a progress line reach the terminal between units.
      if (input.progress)
        await new Promise<void>((r) => {
          setImmediate(r);
        });
    }
  } else {
    const init: WorkerInit = { sources: scenarios.map((s) => ({ file: s.ir.file, text: s.ir.source })), policies, horizons, opts, deadline };
    const pool = new FuzzPool(Math.min(workers, units.length || 1), init);
    // The failure of the first unit that failed, whichever worker saw its own first.
    let failure: { limit: string | null; message: string } | null = null;
    let failedAt = Infinity;
    try {
      await pool.run<UnitReply>(units, (i, reply) => {
        if (reply.fail !== undefined) {
          if (i < failedAt) [failure, failedAt] = [reply.fail, i];
        } else add(units[i]!, reply.stats);
      });
    } finally {
      await pool.close();
    }
    if (failure !== null) {
      const f = failure as { limit: string | null; message: string };
      if (f.limit !== null) throw new FuzzLimitError(f.limit, f.message);
      throw new Error(`fuzz worker failed: ${f.message}`);
    }
  }
  return buildReport(config, stats);
}
