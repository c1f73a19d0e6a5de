#!/usr/bin/env node
// pksim command-line entry: a table of subcommands, each in its own module.

import { pathToFileURL } from 'node:url';
import { UsageError, EXIT_LIMIT, EXIT_USAGE } from './errors.js';
import { installStdoutHandler, processIO, type CliIO } from './io.js';
import { ScenarioError, type Diagnostic } from '../scenario/index.js';

export type Command = (argv: string[], io: CliIO) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

// One line per command; each module exports `command`. A Map: `pksim constructor` is unknown.
const commands = new Map<string, CommandEntry>(Object.entries({
  run: { summary: 'run a scenario under one protection design: kernel log and summary', load: async () => (await import('./run.js')).command },
  compare: { summary: 'run scenarios under every design: one table per scenario', load: async () => (await import('./compare.js')).command },
  explore: { summary: 'check invariants over every interleaving within a bound', load: async () => (await import('./explore.js')).command },
  pkrs: { summary: 'decode a PKRS value or check one access against it', load: async () => (await import('./pkrs.js')).command },
  list: { summary: 'name the built-in scenarios, one line each', load: async () => (await import('./list.js')).command },
  audit: { summary: 'classify kmap() call sites in kernel C code (local/global/unclear)', load: async () => (await import('./audit.js')).command },
} satisfies Record<string, CommandEntry>));

function usage(): string {
  const lines = ['usage: pksim <command> [options]', '', 'commands:'];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'pksim <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

/** @public The `error` member of the JSON a command prints on failure when given --json. */
export interface ErrorData {
  /** scenario: the scenario has errors (diagnostics); usage: bad options or input; limit: a size limit (exit 3). */
  kind: 'scenario' | 'usage' | 'limit';
  /** PKS0xx (scenario), PKS101 (policy), AUD0xx (audit input), or null for other usage errors. */
  code: string | null;
  message: string;
  diagnostics?: readonly Diagnostic[];
}

/** --json (or the audit's --format json) before any `--`. */
function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return false;
    if (a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json')) return true;
  }
  return false;
}

/** @public Runs `pksim ARGV...` with its output through io; resolves to the exit status. */
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
  // With --json, an error is also a JSON object on standard output, with its stable code.
  const json = wantsJson(rest);
  const fail = (text: string, exit: number, data: ErrorData): number => {
    io.err(text);
    if (json) io.out(JSON.stringify({ error: data }) + '\n');
    return exit;
  };
  try {
    const cmd = await entry.load();
    return await cmd(rest, io);
  } catch (e) {
    if (e instanceof ScenarioError) {
      return fail(e.format(), EXIT_USAGE, { kind: 'scenario', code: e.code, message: e.message, diagnostics: e.diagnostics });
    }
    if (e instanceof UsageError) {
      return fail(`pksim ${name}: ${e.message}\n`, e.exitCode, { kind: e.exitCode === EXIT_LIMIT ? 'limit' : 'usage', code: e.code, message: e.message });
    }
    // parseArgs reports unknown options and missing values with a code, not a stack.
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      return fail(`pksim ${name}: ${(e as Error).message}\n`, EXIT_USAGE, { kind: 'usage', code: null, message: (e as Error).message });
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
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
