// Each command declares its options once, in a table (name, type, short, value name, default,
// help text, fixed values). From the table come its parseArgs config, its --help text and its
// part of the bash and zsh completion scripts (completion.ts).

import { parseArgs } from 'node:util';

/** A text, or a function computing it when asked (lists from the design registry, defaults). */
export type Lazy<T> = T | (() => T);

export function lazy<T>(v: Lazy<T>): T {
  return typeof v === 'function' ? (v as () => T)() : v;
}

/** @internal One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One letter: -h for --help. */
  readonly short?: string;
  /** Name of the value in --help: `--seed N`. */
  readonly value?: string;
  /** The default, shown in --help as "(default X)". */
  readonly default?: Lazy<string | number>;
  /** What it does; several lines are indented under the first. */
  readonly help: Lazy<string>;
  /** The fixed set of values (completed; a list option completes each comma-separated item). */
  readonly values?: Lazy<readonly string[]>;
  /** A comma-separated list of values. */
  readonly list?: boolean;
  /** The value is a file name (completed as one). */
  readonly file?: boolean;
}

/** @internal Option name (without --) to its declaration, in --help order. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** What a command's positional arguments are, for completion. */
export type PositionalKind = 'scenario' | 'path' | 'none' | { readonly words: Lazy<readonly string[]> };

/** @internal A command: its usage lines, description, options table and closing notes. */
export interface CommandSpec<T extends OptionTable = OptionTable> {
  readonly name: string;
  /** After `usage: `; several lines for several forms. */
  readonly usage: Lazy<string>;
  /** The paragraph under the usage line. */
  readonly about: Lazy<string>;
  readonly options: T;
  /** Text after the options (exit status, lists). */
  readonly notes?: Lazy<string>;
  readonly positionals: PositionalKind;
}

/** Declares a command with its literal option types kept (so parseArgs types its values). */
export function defineCommand<const T extends OptionTable>(spec: CommandSpec<T>): CommandSpec<T> {
  return spec;
}

/** The --help option every command has. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h', help: 'print this help' } } as const satisfies OptionTable;

type ParseConfig<T extends OptionTable> = { [K in keyof T]: { type: T[K]['type']; short?: string } };

/** The `options` of node:util parseArgs for a table. */
export function parseConfig<T extends OptionTable>(table: T): ParseConfig<T> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(table)) out[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  return out as ParseConfig<T>;
}

/** `-h, --help` or `--seed N`: the left column of the options list. */
export function optionLabel(name: string, o: OptionSpec): string {
  const long = `--${name}${o.value ? ` ${o.value}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

/** Widest left column before the text moves to its own line. */
const MAX_LABEL = 22;

/** The options list of --help: every option with its meaning and default. */
export function optionsHelp(table: OptionTable): string {
  const labels = Object.entries(table).map(([n, o]) => optionLabel(n, o));
  const width = Math.min(MAX_LABEL, Math.max(...labels.map((l) => l.length))) + 2;
  const pad = ' '.repeat(2 + width);
  let out = '';
  Object.values(table).forEach((o, i) => {
    const label = labels[i]!;
    const dflt = o.default === undefined ? '' : ` (default ${lazy(o.default)})`;
    const lines = (lazy(o.help) + dflt).split('\n');
    if (label.length > width - 1) out += `  ${label}\n${pad}${lines[0]}\n`;
    else out += `  ${label.padEnd(width)}${lines[0]}\n`;
    for (const l of lines.slice(1)) out += `${pad}${l}\n`;
  });
  return out;
}

/** The whole --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const usage = lazy(spec.usage).split('\n');
  const head = usage.length === 1 ? `usage: ${usage[0]}` : `usage:\n${usage.map((u) => `  ${u}`).join('\n')}`;
  const notes = spec.notes === undefined ? '' : `\n${lazy(spec.notes).trimEnd()}\n`;
  return `${head}\n\n${lazy(spec.about).trimEnd()}\n\noptions:\n${optionsHelp(spec.options)}${notes}`;
}

/** What parseArgs gives for a command's table (its option types kept). */
type Parsed<T extends OptionTable> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: ParseConfig<T> }>>;

/**
 * A command's arguments parsed against its table; null when `--help` was asked for, once its
 * help text is printed (the command then exits 0).
 */
export function parseCommand<const T extends OptionTable>(spec: CommandSpec<T>, argv: string[], io: { out(text: string): void }): Parsed<T> | null {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: parseConfig(spec.options) });
  if ((parsed.values as { help?: boolean }).help) {
    io.out(helpText(spec));
    return null;
  }
  return parsed;
}
