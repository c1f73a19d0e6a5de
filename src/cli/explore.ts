// `pksim explore FILE`: every interleaving within a bound, invariants checked on each run, and
// a replayable schedule for each violation.

import { parseArgs } from 'node:util';
import { loadBounded } from './load.js';
import { PolicyError, designNames } from '../policy/index.js';
import { DEFAULT_BOUND, DEFAULT_MAX_RUNS, DEFAULT_MAX_TOTAL_STEPS, ExploreError, INVARIANTS, explore, type ExploreResult } from '../analysis/explore.js';
import { formatTable } from '../report/table.js';
import { EXIT_FAIL, EXIT_LIMIT, EXIT_USAGE, UsageError } from './errors.js';
import { limitHint } from '../sim/runner.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, int, maxOutputFrom, maxSourceFrom, modeValues, policyValues, runOptionsFrom } from './runopts.js';
import { HELP_OPTION, defineCommand, helpText, parseConfig } from './options.js';
import { BoundedOut, OUTPUT_LIMIT_HINT, writeJson } from './emit.js';

/** `pksim explore`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'explore',
  usage: 'pksim explore FILE|NAME [--policy P] [--bound K] [--max-runs N] [--check LIST] [--json]',
  about: `Runs the scenario under every schedule that departs from the default one at most K times
(another CPU first, an interrupt earlier or later, a preemption), checks invariants on each run
and prints, for each one violated, a schedule that replays it with 'pksim run --schedule'.`,
  positionals: 'scenario',
  options: {
    policy: { type: 'string', value: 'P', values: policyValues, default: 'scoped:relaxed', help: () => `the design: ${designNames().join(', ')} (NAME or NAME:MODE)` },
    mode: { type: 'string', value: 'M', values: modeValues, help: "the design's mode; or write --policy scoped:strict" },
    bound: { type: 'string', value: 'K', default: DEFAULT_BOUND, help: 'departures from the default schedule per run' },
    'max-runs': { type: 'string', value: 'N', default: DEFAULT_MAX_RUNS, help: 'stop after N runs; the result says it is incomplete' },
    'max-total-steps': { type: 'string', value: 'N', default: DEFAULT_MAX_TOTAL_STEPS, help: 'stop once the runs took N steps in all' },
    check: { type: 'string', value: 'LIST', values: () => INVARIANTS.map((i) => i.name), list: true, default: 'all', help: 'the invariants to check, comma-separated (listed below)' },
    store: RUN_OPTIONS.store,
    warn: RUN_OPTIONS.warn,
    'reset-at': RUN_OPTIONS['reset-at'],
    'max-steps': RUN_OPTIONS['max-steps'],
    'max-output': RUN_OPTIONS['max-output'],
    'max-source': RUN_OPTIONS['max-source'],
    json: RUN_OPTIONS.json,
    ...HELP_OPTION,
  },
  notes: () => `Invariants:
${INVARIANTS.map((i) => `  ${i.name.padEnd(16)} ${i.description}`).join('\n')}

Exit status: 0 no violation, 1 a violation was found, 2 bad input, 3 --max-runs or
--max-total-steps stopped it first, or --max-steps stopped a run.`,
});

function intOr(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  return v === undefined ? dflt : int(name, v, min, max);
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: parseConfig(spec.options) });
  if (values.help) {
    io.out(helpText(spec));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one scenario (a .pks file or a built-in name)');
  const maxOutput = maxOutputFrom(values);
  const ir = loadBounded(positionals[0]!, maxSourceFrom(values));
  const progress = io.isTTY && !values.json;
  let res: ExploreResult;
  try {
    res = explore(ir, {
      ...runOptionsFrom(values),
      policy: values.policy ?? 'scoped:relaxed',
      mode: values.mode,
      bound: intOr('--bound', values.bound, DEFAULT_BOUND, 0, 8),
      maxRuns: intOr('--max-runs', values['max-runs'], DEFAULT_MAX_RUNS, 1, 1e8),
      maxTotalSteps: intOr('--max-total-steps', values['max-total-steps'], DEFAULT_MAX_TOTAL_STEPS, 1, 1e15),
      check: values.check?.split(',').map((s) => s.trim()).filter(Boolean),
      onProgress: progress ? (runs, pending) => io.err(`\r${runs} runs, ${pending} queued`.padEnd(40)) : undefined,
    });
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message, EXIT_USAGE, e.code);
    if (e instanceof ExploreError) throw new UsageError(e.message);
    throw e;
  }
  if (progress) io.err('\r'.padEnd(41) + '\r');
  const out = new BoundedOut(io, maxOutput);
  if (values.json) writeJson(out, res);
  else out.write(formatExplore(res, positionals[0]!));
  out.flush();
  if (out.over) {
    io.err(`pksim explore: output stopped at ${OUTPUT_LIMIT_HINT}\n`);
    return EXIT_LIMIT;
  }
  if (res.stoppedBy !== null) {
    io.err(`pksim explore: ${stopMessage(res)}\n`);
    return res.violations.length ? EXIT_FAIL : EXIT_LIMIT;
  }
  return res.violations.length ? EXIT_FAIL : 0;
}

function stopMessage(r: ExploreResult): string {
  if (r.stoppedBy === 'max-steps') return `run ${r.runs} stopped at ${limitHint(r.limited!.stop)}; the exploration stopped there`;
  const which = r.stoppedBy === 'max-runs' ? `--max-runs ${r.runs}` : `--max-total-steps (${r.totalSteps} steps in ${r.runs} runs)`;
  const opt = r.stoppedBy === 'max-runs' ? '--max-runs' : '--max-total-steps';
  return `stopped at ${which} before covering every schedule with ${r.bound} departure(s); raise ${opt} or lower --bound`;
}

/** @public The text `pksim explore` prints for a result; `arg` is the scenario as given. */
export function formatExplore(r: ExploreResult, arg: string): string {
  const out: string[] = [];
  out.push(`explore ${r.scenario} under ${r.policy}: ${r.runs} runs, every schedule with up to ${r.bound} departure(s) from the default${r.stoppedBy ? ` (INCOMPLETE: --${r.stoppedBy} reached)` : ''}`);
  out.push('');
  out.push(`${r.outcomes.length} distinct outcome(s):`);
  const cols = ['legitBroken', 'legitWarned', 'legitSilent', 'straysCaught', 'straysWarned', 'straysMissed', 'oopses', 'leaks'] as const;
  out.push(
    formatTable(
      ['runs', 'stop', ...cols],
      r.outcomes.map((o) => [String(o.runs), o.stop, ...cols.map((c) => String(o.summary[c]))]),
    ).trimEnd(),
  );
  out.push('');
  if (r.limited) {
    out.push(`INCOMPLETE: run ${r.runs} stopped at ${r.limited.stop} before the scenario ended (its outcome is partial), and the exploration with it`);
    out.push(`  replay: pksim run ${arg} --policy ${r.policy} --schedule ${r.limited.schedule.join(',') || "''"}`);
    out.push('');
  }
  out.push(`largest exposure: ${r.maxExposure.exposure} page x tick (schedule ${r.maxExposure.schedule.join(',') || '(default)'})`);
  out.push('');
  if (r.violations.length === 0) out.push(`no violation of: ${r.checked.join(', ')}`);
  for (const v of r.violations) {
    out.push(`VIOLATED ${v.invariant}: ${v.runs} run(s); first with ${v.departures} departure(s), stop ${v.stop}`);
    out.push(`  replay: pksim run ${arg} --policy ${r.policy} --schedule ${v.schedule.join(',') || "''"}`);
  }
  return out.join('\n') + '\n';
}
