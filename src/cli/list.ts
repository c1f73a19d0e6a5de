// `pksim list`: the built-in scenarios, one line each, so that a name can be given to
// `pksim run` or `pksim compare` instead of a file.

import { parseArgs } from 'node:util';
import { listScenarios } from '../scenario/index.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';

const HELP = `usage: pksim list [--json]

Names the built-in scenarios with what each one models. Give a name to 'pksim run NAME' or
'pksim compare NAME...' instead of a .pks file.
`;

export async function command(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const entries = listScenarios();
  if (values.json) {
    io.out(JSON.stringify(entries.map((e) => ({ name: e.name, description: e.description }))) + '\n');
    return 0;
  }
  const width = Math.max(0, ...entries.map((e) => e.name.length));
  for (const e of entries) io.out(`${e.name.padEnd(width)}  ${e.description}\n`);
  return 0;
}
