#!/usr/bin/env node
// pksim command-line entry: a table of subcommands, each in its own module.

import { pathToFileURL } from 'node:url';
import { UsageError, EXIT_LIMIT, EXIT_USAGE } from './errors.js';
import { installStdoutHandler, processIO, type CliIO } from './io.js';
import { ScenarioError } from '../scenario/index.js';

export type Command = (argv: string[], io: CliIO) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

// One line per command; each module exports `command`. A Map: `pksim constructor` is unknown.
const commands = new Map<string, CommandEntry>(
  Object.entries({
    run: { summary: 'run a scenario under one protection design: kernel log and summary', load: async () => (await import('./run.js')).command },
    compare: { summary: 'run scenarios under every design: one table per scenario', load: async () => (await import('./compare.js')).command },
    explore: { summary: 'check invariants over every interleaving within a bound', load: async () => (await import('./explore.js')).command },
    pkrs: { summary: 'decode a PKRS value or check one access against it', load: async () => (await import('./pkrs.js')).command },
    list: { summary: 'name the built-in scenarios, one line each', load: async () => (await import('./list.js')).command },
    audit: { summary: 'classify kmap() call sites in kernel C code (local/global/unclear)', load: async () => (await import('./audit.js')).command },
  } satisfies Record<string, CommandEntry>),
);

function usage(): string {
  const lines = ['usage: pksim <command> [options]', '', 'commands:'];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'pksim <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : EXIT_USAGE;
  }
  const entry = commands.get(name);
  if (!entry) {
    io.err(`pksim: unknown command '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const cmd = await entry.load();
    return await cmd(rest, io);
  } catch (e) {
    if (e instanceof ScenarioError) {
      io.err(e.format());
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`pksim ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // parseArgs reports unknown options and missing values with a code, not a stack.
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`pksim ${name}: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    // Past every limit a user can raise: out of string or array room. A limit, not a crash.
    if (e instanceof RangeError && /Invalid (string|array|typed array) length|allocation failed/i.test(e.message)) {
      io.err(`pksim ${name}: out of memory for the output (${e.message}): lower --max-events, --max-steps or --max-output\n`);
      return EXIT_LIMIT;
    }
    throw e;
  }
}

// Run directly (npm run pksim, tsx src/cli/main.ts): the same as bin/pksim.js.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installStdoutHandler();
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
