// `pksim compare FILE...`: every scenario under every design, one table per scenario.

import { archLayout } from '../arch/x86/layout.js';
import { libraryNames } from '../scenario/index.js';
import { loadBounded } from './load.js';
import { DEFAULT_MAX_EVENTS, limitHint, runScenario, ScheduleError } from '../sim/runner.js';
import { defaultCompare } from '../policy/index.js';
import type { RunResult } from '../sim/result.js';
import { COMPACT_LEGEND, FAILED_NOTE, LEGEND, compareTable, totalsByPolicy, totalsTable, type CellStyle } from '../report/table.js';
import { colorMode, painter, useColor, type Style } from './color.js';

const CELL_STYLES: Record<CellStyle, Style> = { bad: ['bold', 'red'], good: 'green', warn: 'yellow' };
import { EXIT_FAIL, EXIT_LIMIT, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, designList, maxOutputFrom, maxSourceFrom, policyValues, runOptionsFrom } from './runopts.js';
import { defineCommand, parseCommand } from './options.js';
import { BoundedOut, COMPARE_OUTPUT_LIMIT_HINT, writeJson } from './emit.js';
import { checkOutputs, writeReports } from './outputs.js';

/** `pksim compare`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'compare',
  usage: 'pksim compare [FILE|NAME...] [--policies LIST] [options]',
  about: `Runs each scenario under each design and prints a table per scenario (and a total when
there are several). With no scenario, compares the whole built-in library.`,
  positionals: 'scenario',
  options: {
    policies: {
      type: 'string',
      value: 'LIST',
      values: policyValues,
      list: true,
      default: () => defaultCompare().join(','),
      help: 'the designs to run, comma-separated (NAME or NAME:MODE)',
    },
    wide: { type: 'boolean', help: 'one column per metric with its full name (162 columns)' },
    ...RUN_OPTIONS,
  },
  notes: 'Exit status: 0 ok, 1 an expect, assert or invariant line of a scenario failed, 2 bad input, 3 a limit stopped a run.',
});

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const policies = designList(values.policies).given;
  const opts = runOptionsFrom(values);
  const paint = painter(useColor(colorMode(values.color), io, values.json));
  const table = { wide: values.wide, paint: (s: CellStyle, t: string) => paint(CELL_STYLES[s], t) };
  const maxOutput = maxOutputFrom(values);
  const outputs = { html: values.html, force: values.force };
  checkOutputs(outputs, positionals);
  const names = positionals.length ? positionals : libraryNames();
  const maxSource = maxSourceFrom(values);
  const scenarios = names.map((n) => loadBounded(n, maxSource));
  const perFile: RunResult[][] = [];
  const keepEvents = values.html !== undefined;
  const eventBudget = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  let recorded = 0;
  const progress = io.isTTY && !values.json;
  for (const [i, ir] of scenarios.entries()) {
    if (progress) io.err(`\r[${i + 1}/${scenarios.length}] ${ir.name}`.padEnd(60));
    try {
      const runs: RunResult[] = [];
      for (const p of policies) {
        // The report keeps every event of every run: --max-events bounds their sum.
        const maxEvents = keepEvents ? Math.max(0, eventBudget - recorded) : opts.maxEvents;
        const r = runScenario(ir, { ...opts, policy: p, events: keepEvents, maxEvents, checks: true });
        recorded += r.events.length;
        runs.push(r);
      }
      perFile.push(runs);
    } catch (e) {
      if (e instanceof ScheduleError) throw new UsageError(`${ir.file}: ${e.message}`);
      throw e;
    }
  }
  if (progress) io.err('\r'.padEnd(61) + '\r');
  if (values.html !== undefined) await writeReports(io, perFile.flat(), outputs);
  const out = new BoundedOut(io, maxOutput);
  if (values.json) {
    const files = perFile.map((rs) => ({
      scenario: rs[0]!.scenario,
      file: rs[0]!.file,
      runs: rs.map((r) => ({ policy: r.policy, mode: r.mode, stop: r.stop, schedule: r.schedule, summary: r.summary, expectations: r.expectations })),
    }));
    writeJson(out, { policies, files, total: perFile.length > 1 ? totalsByPolicy(perFile) : undefined });
  } else {
    for (const rs of perFile) {
      const caveat = archLayout(rs[0]!.config.arch).caveat;
      const note = caveat ? `   ${caveat}\n` : '';
      const failed = rs.some((r) => r.expectations.some((x) => !x.ok)) ? FAILED_NOTE : '';
      out.write(`== ${rs[0]!.scenario} (${rs[0]!.file})\n${note}${compareTable(rs, table)}${failed}\n`);
    }
    if (perFile.length > 1) out.write(`== total over ${perFile.length} scenarios\n${totalsTable(perFile, table)}\n`);
    out.write(values.wide ? LEGEND : COMPACT_LEGEND);
    out.flush();
  }
  const all = perFile.flat();
  const limited = all.find((r) => limitHint(r.stop));
  if (limited) {
    const sum = keepEvents && limited.stop === 'limit:events' ? ` (${eventBudget} events over all runs, kept for --html)` : '';
    io.err(`pksim compare: ${limited.scenario} under ${limited.policy} stopped at ${limitHint(limited.stop)}${sum}\n`);
  }
  if (out.over) io.err(`pksim compare: output stopped at ${COMPARE_OUTPUT_LIMIT_HINT}\n`);
  if (limited || out.over) return EXIT_LIMIT;
  return all.some((r) => r.expectations.some((x) => !x.ok)) ? EXIT_FAIL : 0;
}
