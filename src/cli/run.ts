// `pksim run FILE`: one scenario under one design, as a kernel log and a summary.

import { loadBounded } from './load.js';
import { InjectSpecError, parseInjectSpec } from '../sim/inject.js';
import { limitHint, runScenario, ScheduleError } from '../sim/runner.js';
import { PolicyError, designNames, findDesign } from '../policy/index.js';
import { formatDmesg, formatSummary } from '../report/dmesg.js';
import { formatFtrace } from '../report/ftrace.js';
import { colorMode, paintLog, painter, useColor } from './color.js';
import { EXIT_FAIL, EXIT_LIMIT, EXIT_USAGE, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, designsHelp, maxOutputFrom, maxSourceFrom, modeValues, policyValues, runOptionsFrom } from './runopts.js';
import { defineCommand, parseCommand } from './options.js';
import { BoundedOut, OUTPUT_LIMIT_HINT, logPrefix, writeJson } from './emit.js';
import { checkOutputs, writeReports } from './outputs.js';

/** `pksim run`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'run',
  usage: 'pksim run FILE|NAME [--policy P] [--mode M] [options]',
  about: `Runs a scenario (a .pks file or a built-in name, see 'pksim list'; - reads standard input)
under one protection design and prints its kernel log (dmesg: WARNING, Oops and BUG splats)
and a summary; --log ftrace prints every statement and event as ftrace text instead.`,
  positionals: 'scenario',
  options: {
    policy: { type: 'string', value: 'P', values: policyValues, default: 'scoped', help: () => `the design: ${designNames().join(', ')} (NAME or NAME:MODE)` },
    mode: {
      type: 'string',
      value: 'M',
      values: modeValues,
      help: () => `the design's mode, e.g. ${findDesign('scoped')?.modes.join(', ') ?? 'relaxed'}; or write --policy scoped:strict`,
    },
    perfetto: { type: 'string', value: 'OUT.json', file: true, help: 'write a Chrome/Perfetto trace' },
    ftrace: { type: 'string', value: 'OUT.txt', file: true, help: "write the run as ftrace text ('trace-cmd report' layout)" },
    log: {
      type: 'string',
      value: 'dmesg|ftrace',
      values: ['dmesg', 'ftrace'],
      default: 'dmesg',
      help: 'what to print: the kernel log (splats), or every statement and\nevent as ftrace text',
    },
    quiet: { type: 'boolean', help: 'print only the summary' },
    inject: {
      type: 'string',
      value: 'SPEC',
      help: 'inject one stray access, e.g. tick=37,cpu=1,kind=uaf,page=buf,op=write\n(kind forged|uaf|foreign-local, op read|write, cpu N|any, page NAME|any,\noff N; it fires at the first step from that tick on where it can be made)',
    },
    ...RUN_OPTIONS,
  },
  notes: () => `Designs:
${designsHelp()}

Exit status: 0 ok, 1 an expect, assert or invariant line of the scenario failed, 2 bad input, 3 a limit stopped the run.`,
});

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('expected exactly one scenario (a .pks file or a built-in name)');
  const opts = runOptionsFrom(values);
  colorMode(values.color);
  const maxOutput = maxOutputFrom(values);
  const outputs = { html: values.html, perfetto: values.perfetto, ftrace: values.ftrace, force: values.force };
  if (values.log !== undefined && values.log !== 'dmesg' && values.log !== 'ftrace') throw new UsageError(`--log: '${values.log}' is not dmesg or ftrace`);
  // --json prints the whole result (events, summary): a text option beside it would be ignored.
  for (const o of ['log', 'quiet'] as const)
    if (values.json && values[o] !== undefined) throw new UsageError(`--${o} chooses the text output: not with --json (which prints the whole result)`);
  checkOutputs(outputs, positionals);
  const ir = loadBounded(positionals[0]!, maxSourceFrom(values));
  let inject = null;
  if (values.inject !== undefined) {
    try {
      inject = parseInjectSpec(values.inject, ir);
    } catch (e) {
      if (e instanceof InjectSpecError) throw new UsageError(`--inject: ${e.message}`, EXIT_USAGE, e.code);
      throw e;
    }
  }
  let result;
  try {
    result = runScenario(ir, { ...opts, policy: values.policy ?? 'scoped', mode: values.mode, inject });
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message, EXIT_USAGE, e.code);
    if (e instanceof ScheduleError) throw new UsageError(e.message);
    throw e;
  }
  await writeReports(io, [result], outputs);
  const out = new BoundedOut(io, maxOutput);
  if (values.json) writeJson(out, result);
  else {
    const summary = formatSummary(result);
    if (!values.quiet) {
      // The log of the events that fit the output limit: the start of the whole log, exactly.
      const room = Math.max(0, out.max - summary.length - 200);
      const n = logPrefix(result, ir.source, room);
      const shown = n < result.events.length ? { ...result, events: result.events.slice(0, n) } : result;
      const paint = painter(useColor(colorMode(values.color), io, false));
      out.write(values.log === 'ftrace' ? formatFtrace(shown) : paintLog(formatDmesg(shown, ir.source), paint));
      if (n < result.events.length) {
        out.over = true;
        out.flush();
        io.out(`[log cut after ${n} of ${result.events.length} events: the output limit]\n`);
      }
    }
    out.flush();
    io.out(summary);
  }
  // Each limit that stopped something has its line.
  const limit = limitHint(result.stop);
  if (limit) io.err(`pksim run: stopped at ${limit}\n`);
  if (out.over) io.err(`pksim run: output stopped at ${OUTPUT_LIMIT_HINT}\n`);
  if (limit || out.over) return EXIT_LIMIT;
  return result.expectations.some((x) => !x.ok) ? EXIT_FAIL : 0;
}
