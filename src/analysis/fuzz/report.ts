// The numbers of a fuzz campaign, derived from its sufficient statistics alone: one function of
// (config, stats), so that one process, many workers and merged shards print the same bytes.

import { CTX_KINDS, emptyStats, mergeStats, type Example, type FuzzStats, type Moments } from './acc.js';
import { meanT, ratioKatz, ratioMeans, rounded, wilson, type Interval } from './stats.js';

export interface FuzzConfig {
  seed: number;
  runs: number;
  policies: string[];
  /** Each scenario: its name, how the command line named it (for replay commands), its injection horizon. */
  scenarios: { name: string; arg: string; horizon: number }[];
  /** The kinds of stray injected, each drawn with the same probability. */
  kinds: string[];
  warn: string;
  resetAt: string[];
  maxSteps: number;
  examples: number;
  /** The design every other is divided by in the ratios. */
  base: string;
  /** This result covers slice k of n of every scenario's runs (0-based), or all of them (null). */
  shard: { k: number; n: number } | null;
}

export interface Rate extends Interval {
  count: number;
  of: number;
}

export interface Mean extends Interval {
  n: number;
}

export interface DesignNumbers {
  policy: string;
  runs: number;
  injected: number;
  caught: Rate;
  warned: Rate;
  missed: Rate;
  /** Strays from a context that held no mapping or grant of the page's key (unrelated code): missed. */
  bystanderMissed: Rate;
  /** Strays from a context whose own mapping or grant had the key open: missed. */
  holderMissed: Rate;
  /** Runs with a legit access broken (oopsed) / warned. */
  legitBroken: Rate;
  legitWarned: Rate;
  /** Per run, page x ticks. */
  exposureRead: Mean;
  exposureWrite: Mean;
  /** Distinct offending sites warned about per run. */
  warningSites: Mean;
  /** Per context kind that ran: its unscoped key x ticks per run (pardon windows), the strays it made and missed. */
  contexts: { kind: string; runs: number; unscoped: Mean; injected: number; missed: Rate }[];
}

export interface RatioNumbers {
  numerator: string;
  denominator: string;
  missed: Interval & { corrected: boolean };
  /** The same for the strays of bystanders (contexts holding nothing of the key). */
  bystanderMissed: Interval & { corrected: boolean };
  exposureRead: Interval;
  exposureWrite: Interval;
}

export interface FuzzReport {
  tool: 'pksim fuzz';
  format: 1;
  config: FuzzConfig;
  methods: Record<string, string>;
  designs: DesignNumbers[];
  scenarios: { scenario: string; designs: DesignNumbers[] }[];
  ratios: RatioNumbers[];
  examples: (Example & { scenario: string; policy: string; replay: string })[];
  /** The sufficient statistics, per scenario and design: what `pksim merge` adds up. */
  stats: Record<string, Record<string, FuzzStats>>;
}

/** The stable code of a fuzz result `pksim merge` refuses (docs/errors.md). */
export const MERGE_ERROR_CODE = 'PKS103';

export const METHODS = {
  proportions: 'Wilson score interval, 95%',
  means: 'Student t interval, 95% (from n, sum and sum of squares)',
  ratioOfProportions: 'Katz log interval, 95% (0.5 added to every count when one is 0)',
  ratioOfMeans: 'delta method on the log of the ratio, 95% (from n, sums and sums of squares)',
  runs: 'run i of a scenario: schedule seed and injection from a hash of (seed, scenario, i); the same under every design',
};

function rate(count: number, of: number): Rate {
  return { count, of, ...rounded(wilson(count, of)) };
}

/** Every mean here is of a count (page x ticks, sites, key x ticks): its interval is clamped at 0. */
function mean(n: number, m: Moments): Mean {
  const i = meanT(n, m.sum, m.sq);
  return { n, ...rounded({ ...i, lo: i.lo === null ? null : Math.max(0, i.lo) }) };
}

export function designNumbers(policy: string, s: FuzzStats): DesignNumbers {
  return {
    policy,
    runs: s.runs,
    injected: s.fired,
    caught: rate(s.caught, s.fired),
    warned: rate(s.warned, s.fired),
    missed: rate(s.missed, s.fired),
    bystanderMissed: rate(s.bystander.missed, s.bystander.fired),
    holderMissed: rate(s.holder.missed, s.holder.fired),
    legitBroken: rate(s.runsLegitBroken, s.runs),
    legitWarned: rate(s.runsLegitWarned, s.runs),
    exposureRead: mean(s.runs, s.exposureRead),
    exposureWrite: mean(s.runs, s.exposureWrite),
    warningSites: mean(s.runs, s.warningSites),
    contexts: CTX_KINDS.filter((k) => s.contexts[k].runs > 0 || s.contexts[k].fired > 0).map((k) => {
      const c = s.contexts[k];
      return { kind: k, runs: c.runs, unscoped: mean(c.runs, c.unscoped), injected: c.fired, missed: rate(c.missed, c.fired) };
    }),
  };
}

/** Every scenario's stats of one design added up (in scenario order: integers, so any order gives the same). */
export function totalOf(stats: FuzzReport['stats'], scenarios: string[], policy: string, keep: number): FuzzStats {
  const t = emptyStats();
  for (const sc of scenarios) {
    const s = stats[sc]?.[policy];
    if (s) mergeStats(t, structuredClone(s), keep);
  }
  return t;
}

export function ratioNumbers(num: string, a: FuzzStats, den: string, b: FuzzStats): RatioNumbers {
  return {
    numerator: num,
    denominator: den,
    missed: rounded(ratioKatz(a.missed, a.fired, b.missed, b.fired)),
    bystanderMissed: rounded(ratioKatz(a.bystander.missed, a.bystander.fired, b.bystander.missed, b.bystander.fired)),
    exposureRead: rounded(ratioMeans(a.runs, a.exposureRead.sum, a.exposureRead.sq, b.runs, b.exposureRead.sum, b.exposureRead.sq)),
    exposureWrite: rounded(ratioMeans(a.runs, a.exposureWrite.sum, a.exposureWrite.sq, b.runs, b.exposureWrite.sum, b.exposureWrite.sq)),
  };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that replays run `ex` of a scenario under a design. */
export function replayCommand(c: FuzzConfig, arg: string, policy: string, ex: Example): string {
  const extra = [c.warn !== 'once' ? ` --warn ${c.warn}` : '', c.resetAt.length ? ` --reset-at ${c.resetAt.join(',')}` : ''].join('');
  return `pksim run ${shellQuote(arg)} --policy ${policy} --seed ${ex.seed} --inject ${shellQuote(ex.inject)}${extra}`;
}

/** The whole report: a function of the config and the stats only. */
export function buildReport(config: FuzzConfig, stats: FuzzReport['stats']): FuzzReport {
  const names = config.scenarios.map((s) => s.name);
  const totals = new Map(config.policies.map((p) => [p, totalOf(stats, names, p, config.examples)]));
  const designs = config.policies.map((p) => designNumbers(p, totals.get(p)!));
  const scenarios = names.map((sc) => ({ scenario: sc, designs: config.policies.map((p) => designNumbers(p, stats[sc]?.[p] ?? emptyStats())) }));
  const ratios: RatioNumbers[] = [];
  if (totals.has(config.base)) for (const p of config.policies) if (p !== config.base) ratios.push(ratioNumbers(p, totals.get(p)!, config.base, totals.get(config.base)!));
  const examples: FuzzReport['examples'] = [];
  for (const sc of config.scenarios)
    for (const p of config.policies)
      for (const ex of stats[sc.name]?.[p]?.examples ?? []) examples.push({ scenario: sc.name, policy: p, ...ex, replay: replayCommand(config, sc.arg, p, ex) });
  return { tool: 'pksim fuzz', format: 1, config, methods: METHODS, designs, scenarios, ratios, examples, stats };
}

/** The JSON text (`--json`, `--out`, `pksim merge`). */
export function reportJson(r: FuzzReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** The worst ratio so far (for progress lines): the largest missed-stray ratio over the base. */
export function worstRatio(r: FuzzReport): RatioNumbers | null {
  let w: RatioNumbers | null = null;
  for (const x of r.ratios) if (x.missed.value !== null && (w === null || x.missed.value > w.missed.value!)) w = x;
  return w;
}
