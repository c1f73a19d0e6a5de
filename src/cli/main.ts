#!/usr/bin/env node
// pksim command-line entry: a table of subcommands, each in its own module.

import { pathToFileURL } from 'node:url';
import { UsageError, EXIT_LIMIT, EXIT_USAGE } from './errors.js';
import { installStdoutHandler, processIO, type CliIO } from './io.js';
import { COMMANDS } from './commands.js';
import { packageVersion } from './version.js';
import { ScenarioError, type Diagnostic } from '../scenario/errors.js';
import { suggest } from '../scenario/stmts.js';

export type { Command } from './commands.js';

function usage(): string {
  const lines = ['usage: pksim <command> [options]', '       pksim help [<command>] | --version', '', 'commands:'];
  for (const [name, c] of COMMANDS) lines.push(`  ${name.padEnd(11)} ${c.summary}`);
  lines.push(`  ${'help'.padEnd(11)} print this overview, or a command's help: pksim help run`);
  lines.push('', "Run 'pksim help <command>' or 'pksim <command> --help' for a command's options;");
  lines.push("'pksim --version' (-V) prints the version. Errors carry stable codes: docs/errors.md.");
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

/**
 * parseArgs' message as one line in pksim's words: an unknown option with the closest one, a
 * missing value with the value's name, a value that starts with '-' (a negative number) with
 * the way to pass it. Any other message as it is, on one line.
 */
async function parseArgsMessage(name: string, code: string, message: string, argv: readonly string[]): Promise<string> {
  const opt = /'(-[^' ]*)/.exec(message)?.[1] ?? '';
  const long = opt.replace(/^-+/, '');
  const spec = (await COMMANDS.get(name)?.load())?.spec;
  const options = spec?.options ?? {};
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const near = opt.startsWith('--') ? suggest(long, Object.keys(options)) : null;
    return `unknown option '${opt}'${near ? `; did you mean '--${near}'?` : ''} (pksim help ${name})`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const o = options[long];
    if (/argument missing/.test(message)) return `option '${opt}${o?.value ? ` ${o.value}` : ''}' needs a value`;
    if (/ambiguous/.test(message)) {
      const i = argv.indexOf(opt);
      const v = i >= 0 ? argv[i + 1] : undefined;
      return `${opt}: '${v ?? ''}' looks like an option; if it is the value, write ${opt}=${v ?? 'VALUE'}`;
    }
  }
  return message.replace(/\s*\n\s*/g, ' ');
}

/** "unknown command 'X'", with the closest command when there is one. */
function unknownCommand(word: string): string {
  const near = suggest(word, [...COMMANDS.keys(), 'help']);
  return `unknown command '${word}'${near ? `; did you mean '${near}'?` : ''}`;
}

/** @public Runs `pksim ARGV...` with its output through io; resolves to the exit status. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.out(`${packageVersion()}\n`);
    return 0;
  }
  if (name === 'help') {
    // `pksim help` (and `pksim help help`) is the overview; `pksim help CMD` is `pksim CMD --help`.
    const entry = rest[0] === undefined || rest[0] === 'help' ? null : COMMANDS.get(rest[0]);
    if (rest.length > 1 || entry === undefined) {
      io.err(`pksim help: ${rest.length > 1 ? `unexpected argument '${rest[1]}'` : unknownCommand(rest[0]!)}\n${usage()}`);
      return EXIT_USAGE;
    }
    if (entry) return (await entry.load()).command(['--help'], io);
    io.out(usage());
    return 0;
  }
  if (!name || name === '--help' || name === '-h') {
    io.out(usage());
    return name ? 0 : EXIT_USAGE;
  }
  const entry = COMMANDS.get(name);
  if (!entry) {
    io.err(`pksim: ${unknownCommand(name)}\n${usage()}`);
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
    const { command } = await entry.load();
    return await command(rest, io);
  } catch (e) {
    if (e instanceof ScenarioError) {
      return fail(e.format(), EXIT_USAGE, e.toJSON());
    }
    if (e instanceof UsageError) {
      return fail(`pksim ${name}: ${e.message}\n`, e.exitCode, { kind: e.exitCode === EXIT_LIMIT ? 'limit' : 'usage', code: e.code, message: e.message });
    }
    // parseArgs reports unknown options and missing values with a code, not a stack.
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      const message = await parseArgsMessage(name, code, (e as Error).message, rest);
      return fail(`pksim ${name}: ${message}\n`, EXIT_USAGE, { kind: 'usage', code: null, message });
    }
    // Past every limit a user can raise: out of string or array room. A limit, not a crash.
    if (e instanceof RangeError && /Invalid (string|array|typed array) length|allocation failed/i.test(e.message)) {
      const message = `out of memory for the output (${e.message}): lower --max-events, --max-steps or --max-output`;
      return fail(`pksim ${name}: ${message}\n`, EXIT_LIMIT, { kind: 'limit', code: null, message });
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
