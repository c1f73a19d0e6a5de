// `pksim list`: the built-in scenarios, one line each, so that a name can be given to
// `pksim run` or `pksim compare` instead of a file.

import { listScenarios } from '../scenario/index.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';

/** `pksim list`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'list',
  usage: 'pksim list [--json]',
  about: `Names the built-in scenarios with what each one models. Give a name to 'pksim run NAME' or
'pksim compare NAME...' instead of a .pks file.`,
  positionals: 'none',
  options: {
    json: { type: 'boolean', help: 'machine-readable output: [{"name","description"}]' },
    ...HELP_OPTION,
  },
});

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
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
