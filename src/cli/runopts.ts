// Options shared by `run` and `compare`: how to run a scenario, apart from the policy.

import { EXIT_USAGE, UsageError } from './errors.js';
import { DEFAULT_MAX_EVENTS, DEFAULT_MAX_STEPS, type RunOptions } from '../sim/runner.js';
import { PolicyError, defaultCompare, designs, parsePolicy, policyLabel } from '../policy/index.js';
import { HELP_OPTION, type OptionTable } from './options.js';
import { COLOR_OPTION } from './color.js';
import { DEFAULT_MAX_OUTPUT } from './emit.js';
import { DEFAULT_MAX_SOURCE } from './load.js';
import type { ResetPoint } from '../kernel/machine.js';

/** Every policy as the command line spells it: each design, and each design:mode. */
export function policyValues(): string[] {
  return designs().flatMap((d) => [d.name, ...d.modes.map((m) => `${d.name}:${m}`)]);
}

/** Every mode some design has. */
export function modeValues(): string[] {
  return [...new Set(designs().flatMap((d) => d.modes))];
}

/** The designs, one line each: NAME[:MODES]: summary. */
export function designsHelp(): string {
  return designs()
    .map((d) => `  ${d.name}${d.modes.length ? `[:${d.modes.join('|')}]` : ''}: ${d.summary}`)
    .join('\n');
}

/** Options shared by run and compare (explore takes some of them): how to run a scenario. */
export const RUN_OPTIONS = {
  seed: { type: 'string', value: 'N', help: 'seeded random schedule (preemption, interrupt timing)' },
  schedule: { type: 'string', value: 'LIST', help: 'replay explicit choices (comma-separated, as printed by a run)' },
  store: { type: 'string', value: 'page|hash', values: ['page', 'hash'], default: 'page', help: 'where scoped keeps the per-page unprotect count (same results)' },
  warn: {
    type: 'string',
    value: 'once|per-site',
    values: ['once', 'per-site'],
    default: 'once',
    help: 'fault-handler warnings: once per boot (WARN_ONCE) or per faulting statement',
  },
  'reset-at': {
    type: 'string',
    value: 'LIST',
    values: ['work-item', 'schedule', 'irq-exit-only'],
    list: true,
    default: 'none',
    help: 'reset points, comma-separated: work-item, schedule (kernel threads);\nirq-exit-only (no reset at the return to user space)',
  },
  'max-steps': { type: 'string', value: 'N', default: DEFAULT_MAX_STEPS, help: 'stop a run after N steps' },
  'max-events': {
    type: 'string',
    value: 'N',
    default: DEFAULT_MAX_EVENTS,
    help: 'stop when the recorded events reach N (for compare --html, over all\nits runs: every event is kept for the report)',
  },
  'max-output': { type: 'string', value: 'N', default: DEFAULT_MAX_OUTPUT, help: 'stop printing after N characters of log or JSON' },
  'max-source': { type: 'string', value: 'N', default: DEFAULT_MAX_SOURCE, help: 'refuse a scenario larger than N bytes' },
  json: { type: 'boolean', help: 'machine-readable output' },
  ...COLOR_OPTION,
  html: { type: 'string', value: 'OUT.html', file: true, help: 'write a self-contained HTML timeline' },
  force: { type: 'boolean', help: 'overwrite existing output files' },
  ...HELP_OPTION,
} as const satisfies OptionTable;

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
    for (const p of pts)
      if (p !== 'work-item' && p !== 'schedule' && p !== 'irq-exit-only') throw new UsageError(`--reset-at: '${p}' is not work-item, schedule or irq-exit-only`);
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

/**
 * A list of designs (`--policies`, `--base`): each as given and as its label (scoped is
 * scoped:relaxed), as the runs and the ratios name it. A design named twice, even by an alias,
 * is refused: its row and its totals would count it twice.
 */
export function designList(v: string | undefined, flag = '--policies'): { given: string[]; labels: string[] } {
  const given = (v ?? defaultCompare().join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (given.length === 0) throw new UsageError(`${flag}: no policy in '${v}' (e.g. ${flag} global,scoped:relaxed)`);
  const labels: string[] = [];
  try {
    for (const p of given) {
      const label = policyLabel(parsePolicy(p));
      const i = labels.indexOf(label);
      if (i >= 0) throw new UsageError(`${flag}: ${given[i] === p ? `'${p}'` : `'${given[i]}' and '${p}' (both ${label})`} named twice`);
      labels.push(label);
    }
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(`${flag}: ${e.message}`, EXIT_USAGE, e.code);
    throw e;
  }
  return { given, labels };
}
