// `pksim fuzz FILE|NAME...`: many seeded random schedules per scenario and design, one injected
// stray each, counted into rates and means with 95% intervals; sharded and merged exactly.

import { libraryNames } from '../scenario/index.js';
import { loadBounded } from './load.js';
import { defaultCompare } from '../policy/index.js';
import { runCampaign } from '../analysis/fuzz/campaign.js';
import { FuzzLimitError } from '../analysis/fuzz/engine.js';
import { INJECT_KINDS } from '../sim/inject.js';
import { reportJson, worstRatio, type FuzzReport } from '../analysis/fuzz/report.js';
import { formatFuzzText } from '../report/fuzz.js';
import { EXIT_LIMIT, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, designList, int, maxSourceFrom, policyValues, runOptionsFrom } from './runopts.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';
import { checkFiles, writeFiles, FUZZ_OUTPUT_OPTIONS } from './fuzzout.js';

export const DEFAULT_FUZZ_MAX_STEPS = 100_000;

export const spec = defineCommand({
  name: 'fuzz',
  usage: 'pksim fuzz [FILE|NAME...] [--runs N] [--seed S] [--policies LIST] [--workers N] [--shard K/N] [options]',
  about: `Runs each scenario (default: the whole library) under each design with N seeded random
schedules, each with one stray access injected at a random tick from a running context (a
forged pointer, a use after unmap, a kmap_local pointer from another context; read or write),
and reports per design the strays caught, warned and missed, legit accesses broken and warned,
exposure and warning sites, with 95% intervals, and the ratios over the base design. The same
seed gives the same bytes with any --workers, and shards merged with 'pksim merge' give the
bytes of the unsharded run.`,
  positionals: 'scenario',
  options: {
    runs: { type: 'string', value: 'N', default: 1000, help: 'runs per scenario and design' },
    seed: { type: 'string', value: 'S', default: 1, help: 'the campaign seed (run i of a scenario: a hash of seed, scenario, i)' },
    policies: {
      type: 'string',
      value: 'LIST',
      values: policyValues,
      list: true,
      default: () => defaultCompare().join(','),
      help: 'the designs, comma-separated',
    },
    base: { type: 'string', value: 'P', values: policyValues, default: 'scoped:relaxed', help: 'the design the ratios divide by' },
    workers: { type: 'string', value: 'N', default: 1, help: 'worker threads (same result for any N)' },
    shard: { type: 'string', value: 'K/N', help: "run only slice K (0..N-1) of N of every scenario's runs; merge with pksim merge" },
    kinds: {
      type: 'string',
      value: 'LIST',
      values: [...INJECT_KINDS],
      list: true,
      default: INJECT_KINDS.join(','),
      help: 'the kinds of stray injected, comma-separated, each drawn alike',
    },
    examples: { type: 'string', value: 'N', default: 3, help: 'missed strays printed as replay commands, per scenario and design' },
    'per-scenario': { type: 'boolean', help: 'a table per scenario too' },
    warn: RUN_OPTIONS.warn,
    'reset-at': RUN_OPTIONS['reset-at'],
    'max-steps': { type: 'string', value: 'N', default: DEFAULT_FUZZ_MAX_STEPS, help: 'stop (exit 3) when a run reaches N steps' },
    'time-limit': { type: 'string', value: 'S', help: 'stop (exit 3) after S seconds (the one limit that depends on the machine)' },
    'max-source': RUN_OPTIONS['max-source'],
    json: { type: 'boolean', help: 'the report as JSON, with its sufficient statistics' },
    ...FUZZ_OUTPUT_OPTIONS,
    ...HELP_OPTION,
  },
  notes: `Exit status: 0 ok, 2 bad input, 3 a limit (--max-steps, --time-limit) stopped the campaign.`,
});

/** --shard K/N. */
export function parseShard(v: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new UsageError(`--shard: '${v}' is not K/N (e.g. 0/4)`);
  const n = int('--shard N', m[2]!, 1, 1e6);
  const k = int('--shard K', m[1]!, 0, n - 1);
  return { k, n };
}

/** --kinds: indices into INJECT_KINDS, in the order given. */
export function kindsFrom(v: string | undefined): number[] {
  if (v === undefined) return INJECT_KINDS.map((_, i) => i);
  const list = v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError(`--kinds: no kind in '${v}' (kinds: ${INJECT_KINDS.join(', ')})`);
  const out = list.map((k) => {
    const i = (INJECT_KINDS as readonly string[]).indexOf(k);
    if (i < 0) throw new UsageError(`--kinds: '${k}' is not one of ${INJECT_KINDS.join(', ')}`);
    return i;
  });
  if (new Set(out).size !== out.length) throw new UsageError(`--kinds: a kind is named twice in '${v}'`);
  return out;
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const policies = designList(values.policies).labels;
  const base = designList(values.base ?? 'scoped:relaxed', '--base').labels[0]!;
  // The ratios divide by the base's runs: a base given but not run would print no ratio at all.
  if (values.base !== undefined && !policies.includes(base))
    throw new UsageError(`--base ${values.base} is not one of the --policies run (${policies.join(',')}): add it to --policies`);
  const runs = int('--runs', values.runs ?? '1000', 1, 1e9);
  const seed = int('--seed', values.seed ?? '1', 0, 0xffffffff);
  const workers = int('--workers', values.workers ?? '1', 1, 256);
  const examples = int('--examples', values.examples ?? '3', 0, 1000);
  const maxSteps = int('--max-steps', values['max-steps'] ?? String(DEFAULT_FUZZ_MAX_STEPS), 1, 1e9);
  const timeLimit = values['time-limit'] === undefined ? Infinity : int('--time-limit', values['time-limit'], 1, 1e7);
  const kinds = kindsFrom(values.kinds);
  const shard = values.shard === undefined ? null : parseShard(values.shard);
  const ro = runOptionsFrom({ warn: values.warn, 'reset-at': values['reset-at'] });
  const names = positionals.length ? positionals : libraryNames();
  checkFiles(values, names);
  const maxSource = maxSourceFrom(values);
  const scenarios = names.map((n) => ({ ir: loadBounded(n, maxSource), arg: n }));
  const seen = new Set<string>();
  for (const s of scenarios) {
    if (seen.has(s.ir.name)) throw new UsageError(`two scenarios are named ${s.ir.name}: the runs of each are seeded by its name`);
    seen.add(s.ir.name);
  }
  const progress = io.isTTY && !values.json ? progressLine(io) : undefined;
  let report: FuzzReport;
  try {
    report = await runCampaign({
      scenarios,
      policies,
      base,
      shard,
      workers,
      timeLimit,
      opts: { seed, runs, warn: ro.warn ?? 'once', resetPoints: ro.resetPoints ?? [], maxSteps, examples, kinds },
      progress,
    });
  } catch (e) {
    if (progress) io.err('\r\x1b[K');
    // A limit: one line naming it (and with --json, the error object), exit 3.
    if (e instanceof FuzzLimitError) throw new UsageError(`stopped at ${e.message}`, EXIT_LIMIT);
    throw e;
  }
  if (progress) io.err('\r\x1b[K');
  const json = reportJson(report);
  await writeFiles(io, values, report, json);
  if (values.json) io.out(json);
  else if (values.out === undefined || io.isTTY) io.out(formatFuzzText(report, values['per-scenario'] === true));
  return 0;
}

/** runs, runs/s, ETA, the worst ratio so far: one line on the terminal, at most 4 times a second. */
function progressLine(io: CliIO): (done: number, total: number, partial: () => FuzzReport) => void {
  const t0 = performance.now();
  let last = -Infinity;
  return (done, total, partial) => {
    const t = performance.now();
    if (t - last < 250 && done < total) return;
    last = t;
    const rate = done / Math.max(1e-3, (t - t0) / 1000);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const w = worstRatio(partial());
    const worst = w ? `, worst missed ratio ${w.numerator}/${w.denominator} ${w.missed.value}` : '';
    io.err(`\r\x1b[K${done}/${total} runs, ${Math.round(rate)} runs/s, ETA ${Math.ceil(eta)} s${worst}`);
  };
}
