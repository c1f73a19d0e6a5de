// The two studies of issue 11.
//
// Reset points: when is "the context left"? The library fuzzed under each choice, cumulative:
// interrupt exit only; + the return to user space (the default); + a worker's end of work item;
// + every time a context gives up the CPU. Per context kind: the pardon windows (unscoped key x
// ticks per run) and the injected strays it lets through, with intervals.
//
// Warnings: with WARN_ONCE one boot prints one warning, whichever offending site faults first.
// How many distinct sites exist (per-site dedupe over many runs), how many one boot reveals,
// and after how many boots (each a random order of the scenarios, each with a random schedule)
// every one has been printed at least once.

import type { ScenarioIR } from '../../scenario/ir.js';
import type { ResetPoint } from '../../kernel/machine.js';
import { Run } from '../../sim/runner.js';
import { Rng } from '../../sim/rng.js';
import { runCampaign } from './campaign.js';
import { fmix32, runSeed, type FuzzOptions } from './engine.js';
import type { DesignNumbers } from './report.js';

export const RESET_LEVELS: { level: string; resetAt: ResetPoint[]; about: string }[] = [
  { level: 'irq-exit', resetAt: ['irq-exit-only'], about: 'interrupt exit only' },
  { level: 'return-to-user', resetAt: [], about: '+ return to user space (the default)' },
  { level: 'work-item', resetAt: ['work-item'], about: '+ end of a work item' },
  { level: 'schedule', resetAt: ['work-item', 'schedule'], about: '+ every time the context gives up the CPU' },
];

export interface ResetStudy {
  study: 'reset-points';
  seed: number;
  runs: number;
  policies: string[];
  scenarios: string[];
  levels: { level: string; about: string; resetAt: string[]; designs: DesignNumbers[] }[];
}

export async function resetPointStudy(
  scenarios: { ir: ScenarioIR; arg: string }[],
  policies: string[],
  opts: Omit<FuzzOptions, 'resetPoints'>,
  workers: number,
  timeLimit: number,
): Promise<ResetStudy> {
  const levels = [];
  const t0 = performance.now();
  for (const l of RESET_LEVELS) {
    const left = Number.isFinite(timeLimit) ? Math.max(0.001, timeLimit - (performance.now() - t0) / 1000) : Infinity;
    const r = await runCampaign({ scenarios, policies, base: policies[0]!, shard: null, workers, timeLimit: left, opts: { ...opts, resetPoints: l.resetAt } });
    levels.push({ level: l.level, about: l.about, resetAt: l.resetAt, designs: r.designs });
  }
  return { study: 'reset-points', seed: opts.seed, runs: opts.runs, policies, scenarios: scenarios.map((s) => s.ir.name), levels };
}

export interface WarningStudy {
  study: 'warnings';
  policy: string;
  seed: number;
  /** Runs per scenario with per-site dedupe that found the sites that exist. */
  runs: number;
  boots: number;
  /** Every offending site that reached the warning path in some run (per-site dedupe). */
  sites: string[];
  /** Sites printed by the first boot (WARN_ONCE: at most one). */
  firstBoot: string[];
  /** Sites that one boot reaches, of which WARN_ONCE prints one (mean over the boots). */
  reachedPerBoot: number;
  /** How many distinct sites the first k boots printed, k = 1..boots (only where it grows). */
  curve: { boots: number; revealed: number }[];
  /** The boot after which every site had been printed, or null within `boots`. */
  allRevealedAfter: number | null;
  /** Sites no boot printed. */
  neverPrinted: string[];
}

/** Runs a scenario once with a seed; the sites warned about in the order they first faulted. */
function sitesOf(ir: ScenarioIR, policy: string, seed: number, warn: 'once' | 'per-site', maxSteps: number): string[] {
  const run = new Run(ir, { policy, seed, events: false, warn, maxSteps });
  run.advance(Infinity);
  return run.m.warnedSiteNames();
}

export function warningStudy(scenarios: ScenarioIR[], policy: string, seed: number, runs: number, boots: number, maxSteps: number): WarningStudy {
  const all = new Set<string>();
  for (const ir of scenarios) for (let i = 0; i < runs; i++) for (const s of sitesOf(ir, policy, runSeed(seed, ir.name, i), 'per-site', maxSteps)) all.add(s);
  const printed = new Map<string, number>();
  const curve: { boots: number; revealed: number }[] = [];
  let firstBoot: string[] = [];
  let reached = 0;
  const order = scenarios.map((_, i) => i);
  for (let b = 0; b < boots; b++) {
    // One boot: the scenarios in a random order, each with its own random schedule; WARN_ONCE
    // prints the first site of the boot to fault into the warning path.
    const g = new Rng(fmix32((seed ^ Math.imul(b + 1, 0x9e3779b1)) >>> 0));
    for (let i = order.length - 1; i > 0; i--) {
      const j = g.below(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let first: string | null = null;
    const seen = new Set<string>();
    for (const k of order) {
      const ir = scenarios[k]!;
      const sites = sitesOf(ir, policy, runSeed(seed, `${ir.name}#boot`, b), 'once', maxSteps);
      for (const s of sites) {
        seen.add(s);
        all.add(s);
      }
      if (first === null && sites.length > 0) first = sites[0]!;
    }
    reached += seen.size;
    if (first !== null && !printed.has(first)) {
      printed.set(first, b + 1);
      curve.push({ boots: b + 1, revealed: printed.size });
    }
    if (b === 0) firstBoot = first === null ? [] : [first];
  }
  const never = [...all].filter((s) => !printed.has(s)).sort();
  const allAfter = never.length > 0 ? null : Math.max(0, ...printed.values());
  return {
    study: 'warnings',
    policy,
    seed,
    runs,
    boots,
    sites: [...all].sort(),
    firstBoot,
    reachedPerBoot: boots > 0 ? Number((reached / boots).toPrecision(6)) : 0,
    curve,
    allRevealedAfter: allAfter,
    neverPrinted: never,
  };
}
