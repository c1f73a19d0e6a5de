// Options shared by `run` and `compare`: how to run a scenario, apart from the policy.

import { UsageError } from './errors.js';
import { DEFAULT_MAX_EVENTS, type RunOptions } from '../sim/runner.js';
import { DEFAULT_MAX_OUTPUT } from './emit.js';
import { DEFAULT_MAX_SOURCE } from './load.js';
import type { ResetPoint } from '../kernel/machine.js';

export const RUN_OPTIONS = {
  seed: { type: 'string' },
  schedule: { type: 'string' },
  store: { type: 'string' },
  warn: { type: 'string' },
  'reset-at': { type: 'string' },
  'max-steps': { type: 'string' },
  'max-events': { type: 'string' },
  'max-output': { type: 'string' },
  'max-source': { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const RUN_OPTIONS_HELP = `  --seed N            seeded random schedule (preemption, interrupt timing)
  --schedule LIST     replay explicit choices (comma-separated, as printed by a run)
  --store page|hash   where scoped keeps the per-page unprotect count (same results)
  --warn once|per-site   fault-handler warning dedupe (default once, like WARN_ONCE)
  --reset-at LIST     kernel-thread reset points: work-item, schedule (default none)
  --max-steps N       stop a run after N steps (default 1000000)
  --max-events N      stop when the recorded events reach N (default ${DEFAULT_MAX_EVENTS}; for compare
                      --html, over all its runs: every event is kept for the report)
  --max-output N      stop printing after N characters of log or JSON (default ${DEFAULT_MAX_OUTPUT})
  --max-source N      refuse a scenario larger than N bytes (default ${DEFAULT_MAX_SOURCE})
  --json              machine-readable output
  --html OUT.html     write a self-contained HTML timeline
  --force             overwrite existing output files
`;

/** An integer option in min..max, or a usage error naming the option. */
export function int(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name}: '${v}' is not an integer in ${min}..${max}`);
  return Number(v);
}

export function runOptionsFrom(values: Record<string, string | boolean | undefined>): RunOptions {
  const o: RunOptions = {};
  if (typeof values.seed === 'string') o.seed = int('--seed', values.seed, 0, 0xffffffff);
  if (typeof values.schedule === 'string') {
    const s = values.schedule.trim();
    o.schedule = s === '' ? [] : s.split(',').map((x, i) => int(`--schedule entry ${i + 1}`, x.trim(), 0, 1 << 16));
  }
  if (typeof values.store === 'string') {
    if (values.store !== 'page' && values.store !== 'hash') throw new UsageError(`--store: '${values.store}' is not page or hash`);
    o.store = values.store;
  }
  if (typeof values.warn === 'string') {
    if (values.warn !== 'once' && values.warn !== 'per-site') throw new UsageError(`--warn: '${values.warn}' is not once or per-site`);
    o.warn = values.warn;
  }
  if (typeof values['reset-at'] === 'string') {
    const pts = values['reset-at'].split(',').filter(Boolean);
    for (const p of pts) if (p !== 'work-item' && p !== 'schedule') throw new UsageError(`--reset-at: '${p}' is not work-item or schedule`);
    o.resetPoints = pts as ResetPoint[];
  }
  if (typeof values['max-steps'] === 'string') o.maxSteps = int('--max-steps', values['max-steps'], 1, 1e9);
  if (typeof values['max-events'] === 'string') o.maxEvents = int('--max-events', values['max-events'], 1, 1e9);
  return o;
}

/** --max-output, or its default. */
export function maxOutputFrom(values: Record<string, string | boolean | undefined>): number {
  const v = values['max-output'];
  return typeof v === 'string' ? int('--max-output', v, 1, 2 ** 40) : DEFAULT_MAX_OUTPUT;
}

/** --max-source, or its default. */
export function maxSourceFrom(values: Record<string, string | boolean | undefined>): number {
  const v = values['max-source'];
  return typeof v === 'string' ? int('--max-source', v, 1, 2 ** 31 - 1) : DEFAULT_MAX_SOURCE;
}
