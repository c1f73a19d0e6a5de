// `pksim run FILE`: one scenario under one design, as a kernel log and a summary.

import { parseArgs } from 'node:util';
import { loadScenario } from '../scenario/index.js';
import { limitHint, runScenario, ScheduleError } from '../sim/runner.js';
import { PolicyError } from '../policy/index.js';
import { formatDmesg, formatSummary } from '../report/dmesg.js';
import { EXIT_FAIL, EXIT_LIMIT, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { RUN_OPTIONS, RUN_OPTIONS_HELP, runOptionsFrom } from './runopts.js';
import { checkOutputs, writeReports } from './outputs.js';

const HELP = `usage: pksim run FILE|NAME [--policy P] [--mode M] [options]

Runs a scenario (a .pks file or a built-in name, see 'pksim list') under one protection
design and prints a dmesg-like log and a summary.

  --policy P          none, global, abandon, exception, scoped (default scoped)
  --mode M            strict, relaxed (default), silent, off; or write --policy scoped:strict
  --perfetto OUT.json write a Chrome/Perfetto trace
  --quiet             print only the summary
${RUN_OPTIONS_HELP}
Exit status: 0 ok, 1 an expectation of the scenario failed, 2 bad input, 3 a limit stopped the run.
`;

export async function command(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...RUN_OPTIONS, policy: { type: 'string' }, mode: { type: 'string' }, perfetto: { type: 'string' }, quiet: { type: 'boolean' } },
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one scenario (a .pks file or a built-in name)');
  const opts = runOptionsFrom(values);
  const outputs = { html: values.html, perfetto: values.perfetto, force: values.force };
  checkOutputs(outputs);
  const ir = loadScenario(positionals[0]!);
  let result;
  try {
    result = runScenario(ir, { ...opts, policy: values.policy ?? 'scoped', mode: values.mode });
  } catch (e) {
    if (e instanceof PolicyError || e instanceof ScheduleError) throw new UsageError(e.message);
    throw e;
  }
  await writeReports(io, [result], outputs);
  if (values.json) {
    io.out(JSON.stringify(result) + '\n');
  } else {
    if (!values.quiet) io.out(formatDmesg(result, ir.source));
    io.out(formatSummary(result));
  }
  const limit = limitHint(result.stop);
  if (limit) {
    io.err(`pksim run: stopped at ${limit}\n`);
    return EXIT_LIMIT;
  }
  return result.expectations.some((x) => !x.ok) ? EXIT_FAIL : 0;
}
