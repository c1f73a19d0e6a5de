// `pksim explore FILE`: every state of a scenario under one design (the stateful search), or
// every schedule within a bound (--bound), invariants checked, a replayable schedule for each
// violation.

import { performance } from 'node:perf_hooks';
import { loadBounded } from './load.js';
import { PolicyError, designNames } from '../policy/index.js';
import {
  DEFAULT_BITSTATE_BYTES,
  DEFAULT_MAX_STATES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MEMORY,
  SEARCH_INVARIANTS,
  SearchError,
  type SearchResult,
} from '../analysis/search-result.js';
import { search } from '../analysis/search.js';
import { ASSERT_GROUP, INVARIANT_GROUP, InvariantError } from '../analysis/invariants.js';
import { searchParallel } from '../analysis/parallel.js';
import type { SearchOptions } from '../analysis/search-result.js';
import { runScenario } from '../sim/runner.js';
import { formatFtrace } from '../report/ftrace.js';
import { formatDmesg } from '../report/dmesg.js';
import type { ScenarioIR } from '../scenario/ir.js';
import { DEFAULT_BOUND, DEFAULT_MAX_RUNS, DEFAULT_MAX_TOTAL_STEPS, ExploreError, INVARIANTS, explore, type ExploreResult } from '../analysis/explore.js';
import { formatTable } from '../report/table.js';
import { EXIT_FAIL, EXIT_LIMIT, EXIT_USAGE, UsageError } from './errors.js';
import { limitHint } from '../sim/runner.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, int, maxOutputFrom, maxSourceFrom, modeValues, policyValues, runOptionsFrom } from './runopts.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';
import { BoundedOut, EXPLORE_OUTPUT_LIMIT_HINT, writeJson } from './emit.js';
import { checkOutputs, writeReports } from './outputs.js';

/** `pksim explore`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'explore',
  usage: 'pksim explore FILE|NAME [--policy P] [--bfs] [--max-states N] [--check LIST] [--json]\n       pksim explore FILE|NAME --bound K [--max-runs N]',
  about: `Visits every state of the scenario under one design: from each state, every choice the
scheduler offers (which CPU runs, an interrupt now or later, a preemption), each distinct state
stored once (a 64-bit hash of what decides the future). Invariants are checked on every
transition and end state; for each one violated it prints the schedule that replays it with
'pksim run --schedule' and the kernel log of that run. When the search completes, no schedule
violates the invariants it checked: a proof, within the model. With --bound K, the earlier
delay-bounded mode instead: every schedule with at most K departures from the default one,
invariants on each whole run.`,
  positionals: 'scenario',
  options: {
    policy: { type: 'string', value: 'P', values: policyValues, default: 'scoped:relaxed', help: () => `the design: ${designNames().join(', ')} (NAME or NAME:MODE)` },
    mode: { type: 'string', value: 'M', values: modeValues, help: "the design's mode; or write --policy scoped:strict" },
    bfs: { type: 'boolean', help: 'breadth-first: each violation found by a shortest path' },
    'max-states': { type: 'string', value: 'N', default: DEFAULT_MAX_STATES, help: 'stop after N distinct states (the result says incomplete)' },
    'max-depth': { type: 'string', value: 'N', default: DEFAULT_MAX_DEPTH, help: 'do not go deeper than N steps' },
    'max-memory': { type: 'string', value: 'MB', default: DEFAULT_MAX_MEMORY / 2 ** 20, help: 'stop when the stored states take MB megabytes' },
    'time-limit': { type: 'string', value: 'S', help: 'stop after S seconds (the result then depends on the machine: it says so)' },
    html: { type: 'string', value: 'OUT.html', help: "write the first violation's run as an HTML timeline" },
    force: RUN_OPTIONS.force,
    check: {
      type: 'string',
      value: 'LIST',
      values: () => [...new Set([...SEARCH_INVARIANTS.map((i) => i.name), ASSERT_GROUP, INVARIANT_GROUP, ...INVARIANTS.map((i) => i.name)])],
      list: true,
      default: 'all',
      help: 'the invariants to check, comma-separated (listed below)',
    },
    workers: { type: 'string', value: 'N', help: 'expand states in N worker threads (breadth-first; the same result for any N)' },
    'no-por': { type: 'boolean', help: 'no partial-order reduction: every interleaving of local steps too' },
    exposure: {
      type: 'boolean',
      help: 'also the largest exposure over every path and a schedule that reaches it (UNBOUNDED when a cycle\nadds some); turns reduction off; not with --workers, --hash-compact, --bitstate',
    },
    'hash-compact': { type: 'boolean', help: 'store 32 bits of each state instead of 64 (half the memory; coverage then probabilistic)' },
    bitstate: { type: 'boolean', help: "bit-state hashing (Holzmann's supertrace): k=3 bits per state, no state stored; coverage probabilistic" },
    'bitstate-size': { type: 'string', value: 'MB', default: DEFAULT_BITSTATE_BYTES / 2 ** 20, help: 'with --bitstate: the bit array, in megabytes' },
    bound: { type: 'string', value: 'K', help: `the delay-bounded mode: departures from the default schedule per run (e.g. ${DEFAULT_BOUND})` },
    'max-runs': { type: 'string', value: 'N', default: DEFAULT_MAX_RUNS, help: 'with --bound: stop after N runs' },
    'max-total-steps': { type: 'string', value: 'N', default: DEFAULT_MAX_TOTAL_STEPS, help: 'with --bound: stop once the runs took N steps in all' },
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
${SEARCH_INVARIANTS.map((i) => `  ${i.name.padEnd(26)} ${i.description}`).join('\n')}
  ${ASSERT_GROUP.padEnd(26)} every assert statement of the scenario (reported as assert@FILE:LINE)
  ${INVARIANT_GROUP.padEnd(26)} every invariant line of the scenario (invariant@FILE:LINE), in every state

Exit status: 0 no violation (complete), 1 a violation was found, 2 bad input, 3 a limit
(--max-states, --max-depth, --max-memory, --max-steps; --max-runs, --max-total-steps with
--bound) stopped it before it was complete.`,
});

function intOr(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  return v === undefined ? dflt : int(name, v, min, max);
}

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('expected exactly one scenario (a .pks file or a built-in name)');
  const maxOutput = maxOutputFrom(values);
  const ir = loadBounded(positionals[0]!, maxSourceFrom(values));
  const progress = io.isTTY && !values.json;
  if (values.bound === undefined) return stateful(ir, positionals[0]!, values, io, progress, maxOutput);
  for (const o of [
    'html',
    'time-limit',
    'bfs',
    'max-states',
    'max-depth',
    'max-memory',
    'no-por',
    'hash-compact',
    'bitstate',
    'bitstate-size',
    'workers',
    'exposure',
  ] as const) {
    if (values[o] !== undefined) throw new UsageError(`--${o} is an option of the stateful search, not of --bound`);
  }
  let res: ExploreResult;
  try {
    res = explore(ir, {
      ...runOptionsFrom(values),
      policy: values.policy ?? 'scoped:relaxed',
      mode: values.mode,
      bound: intOr('--bound', values.bound, DEFAULT_BOUND, 0, 8),
      maxRuns: intOr('--max-runs', values['max-runs'], DEFAULT_MAX_RUNS, 1, 1e8),
      maxTotalSteps: intOr('--max-total-steps', values['max-total-steps'], DEFAULT_MAX_TOTAL_STEPS, 1, 1e15),
      check: values.check
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
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
    io.err(`pksim explore: output stopped at ${EXPLORE_OUTPUT_LIMIT_HINT}\n`);
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
  out.push(
    `explore ${r.scenario} under ${r.policy}: ${r.runs} runs, every schedule with up to ${r.bound} departure(s) from the default${r.stoppedBy ? ` (INCOMPLETE: --${r.stoppedBy} reached)` : ''}`,
  );
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

type Values = Record<string, string | boolean | undefined>;

async function stateful(ir: ScenarioIR, arg: string, values: Values, io: CliIO, progress: boolean, maxOutput: number): Promise<number> {
  const str = (k: string) => values[k] as string | undefined;
  const outputs = { html: str('html'), force: values.force === true };
  checkOutputs(outputs, [arg]);
  let res: SearchResult;
  const workers = str('workers') === undefined ? 0 : int('--workers', str('workers')!, 1, 64);
  // An option this search would not read is refused, never ignored.
  for (const o of ['max-runs', 'max-total-steps'] as const) if (values[o] !== undefined) throw new UsageError(`--${o} is an option of --bound, not of the stateful search`);
  if (values.bitstate === true && values['hash-compact'] === true)
    throw new UsageError('--bitstate and --hash-compact: choose one (--bitstate keeps no state, --hash-compact 32 bits of each)');
  if (values['bitstate-size'] !== undefined && values.bitstate !== true) throw new UsageError('--bitstate-size needs --bitstate');
  if (values.exposure === true)
    for (const o of ['workers', 'hash-compact', 'bitstate'] as const)
      if (values[o] !== undefined) throw new UsageError(`--exposure records the state graph in one thread with every state exact: not with --${o}`);
  const started = performance.now();
  try {
    const go = (o: SearchOptions) => (workers > 0 ? searchParallel(ir, { ...o, workers }) : Promise.resolve(search(ir, o)));
    res = await go({
      ...runOptionsFrom(values),
      policy: str('policy') ?? 'scoped:relaxed',
      mode: str('mode'),
      bfs: values.bfs === true || workers > 0,
      maxStates: intOr('--max-states', str('max-states'), DEFAULT_MAX_STATES, 1, 1e10),
      maxDepth: intOr('--max-depth', str('max-depth'), DEFAULT_MAX_DEPTH, 1, 1e9),
      maxMemory: intOr('--max-memory', str('max-memory'), DEFAULT_MAX_MEMORY / 2 ** 20, 1, 1e7) * 2 ** 20,
      ...(str('time-limit') !== undefined ? { timeLimit: int('--time-limit', str('time-limit')!, 1, 1e7) } : {}),
      por: values['no-por'] !== true,
      exposure: values.exposure === true,
      hashCompact: values['hash-compact'] === true,
      ...(values.bitstate === true ? { bitstate: intOr('--bitstate-size', str('bitstate-size'), DEFAULT_BITSTATE_BYTES / 2 ** 20, 1, 16384) * 2 ** 20 } : {}),
      check: str('check')
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      // The rate is for the screen only (wall-clock time never reaches a result).
      onProgress: progress
        ? (p) => {
            const rate = Math.round(p.states / Math.max(1e-3, (performance.now() - started) / 1000));
            io.err(`\r${p.states} states (${rate}/s), ${p.transitions} transitions, depth ${p.depth}, frontier ${p.frontier}, ${Math.round(p.bytes / 2 ** 20)} MB`.padEnd(88));
          }
        : undefined,
    });
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message, EXIT_USAGE, e.code);
    if (e instanceof SearchError || e instanceof InvariantError) throw new UsageError(e.message);
    throw e;
  }
  if (progress) io.err('\r'.padEnd(89) + '\r');
  const out = new BoundedOut(io, maxOutput);
  const replay = (schedule: number[]) => `pksim run ${arg} --policy ${res.policy} --schedule ${schedule.join(',') || "''"}`;
  const maxExposure = res.maxExposure ? { ...res.maxExposure, replay: replay(res.maxExposure.schedule) } : undefined;
  if (values.json) writeJson(out, { ...res, ...(maxExposure ? { maxExposure } : {}), violations: res.violations.map((v) => ({ ...v, replay: replay(v.schedule) })) });
  else {
    out.write(formatSearch(res));
    if (values.exposure === true) out.write(formatMaxExposure(res, maxExposure?.replay));
    for (const v of res.violations) {
      out.write(`\nVIOLATED ${v.invariant}: ${v.count} time(s); first at depth ${v.depth}\n  replay: ${replay(v.schedule)}\n`);
      const r = runScenario(ir, { ...runOptionsFrom(values), policy: res.policy, schedule: v.schedule, maxSteps: v.depth + 1 });
      // The kernel log `pksim run` prints for that schedule (its splats), then the path as
      // ftrace text: every statement (a missed stray prints nothing in dmesg).
      const dmesg = formatDmesg(r, ir.source).trimEnd().split('\n');
      out.write(`  kernel log:\n${dmesg.map((l) => `  | ${l}\n`).join('')}`);
      const trace = formatFtrace(r)
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('cpus='));
      out.write(`  path (ftrace):\n${trace.map((l) => `  | ${l}\n`).join('')}`);
    }
  }
  out.flush();
  if (out.over) {
    io.err(`pksim explore: output stopped at ${EXPLORE_OUTPUT_LIMIT_HINT}\n`);
    return EXIT_LIMIT;
  }
  const first = res.violations[0];
  if (outputs.html !== undefined && first) {
    const r = runScenario(ir, { ...runOptionsFrom(values), policy: res.policy, schedule: first.schedule, maxSteps: first.depth + 1 });
    await writeReports(io, [r], outputs);
  } else if (outputs.html !== undefined) io.err(`pksim explore: no violation, so no run to show: ${outputs.html} not written\n`);
  if (res.limit !== null) {
    const opt = res.limit === 'max-steps' ? '--max-steps' : `--${res.limit}`;
    io.err(`pksim explore: stopped at ${opt} after ${res.states} states, before every state was visited (incomplete); raise ${opt}\n`);
    return res.violations.length ? EXIT_FAIL : EXIT_LIMIT;
  }
  return res.violations.length ? EXIT_FAIL : 0;
}

/** The --exposure line: the largest total and the run that reaches it, or why there is none. */
function formatMaxExposure(r: SearchResult, replay: string | undefined): string {
  const x = r.maxExposure;
  if (x === undefined) return 'largest exposure: not known (the search is incomplete: a path it did not visit may expose more)\n';
  if (x.unbounded)
    return `largest exposure: UNBOUNDED: a cycle of states adds exposure each time round (a schedule, or a run that never ends, can go round it for ever)\n  into the cycle and once round: ${replay}\n`;
  if (x.endless)
    return `largest exposure over every path: ${x.exposure} page x tick, on a path that never ends (it goes round a cycle of states that adds nothing)\n  into the cycle: ${replay}\n`;
  return `largest exposure over every path: ${x.exposure} page x tick\n  replay: ${replay}\n`;
}

export function formatSearch(r: SearchResult): string {
  const verdict = r.complete ? 'complete' : `INCOMPLETE (stopped at --${r.limit})`;
  const storage =
    r.storage === 'hash64'
      ? `states are kept as 64-bit hashes: the chance that a collision hid one is at most ${r.omissionProbability.toPrecision(2)}`
      : r.storage === 'hash-compact'
        ? `COVERAGE IS PROBABILISTIC (--hash-compact): states are kept as 32-bit hashes; the chance that a collision hid one is at most ${r.omissionProbability.toPrecision(2)} (about ${((r.states * r.states) / 2 ** 33).toPrecision(2)} states expected to be lost)`
        : `COVERAGE IS PROBABILISTIC (--bitstate): no state is stored, ${r.visitedBytes} bytes of bits; the chance that a state was skipped (its bits already set) is about ${r.omissionProbability.toPrecision(2)} each`;
  const lines = [
    `explore ${r.scenario} under ${r.policy}: ${r.states} distinct states, ${r.transitions} transitions, depth ${r.depth}, ${r.endStates} end state(s), ${r.mode}${r.por ? `, partial-order reduction (${r.reduced} states took one local step)` : ', no reduction'}: ${verdict}`,
    storage,
  ];
  if (r.violations.length === 0) lines.push(`${r.complete ? 'no schedule violates' : 'no violation found of'}: ${r.checked.join(', ')}`);
  return lines.join('\n') + '\n';
}
