// Scenario errors are user errors: a location, a message and the source line with a caret,
// as a C compiler prints them. Never a stack trace.

/**
 * @public Stable diagnostic codes, one per kind of mistake, with a one-line meaning (docs/errors.md
 * lists the same table; a test keeps them equal). Tests and scripts match on the code, never
 * on the message text, which may improve.
 */
export const DIAGNOSTIC_CODES = {
  PKS001: 'syntax error: a token where the grammar expects another',
  PKS002: 'unknown name: a page, key, channel, completion, work item or context that is not declared',
  PKS003: 'stray character: a character that cannot start any token',
  PKS004: "unterminated comment or block: '/*' without '*/', '{' without '}'",
  PKS005: 'invalid number: neither decimal nor 0x hex',
  PKS006: 'number out of range (cpus, wp, key number, CPU, offset, tick, repeat count, expected value)',
  PKS007: 'size limit: too many pages or contexts, a program too long, repeat blocks nested too deep',
  PKS008: 'wrong kind of name: a name of one kind where another is needed (a channel for a page, a page for a pointer)',
  PKS009: 'declared twice: a name, a setting or a key number, or a pointer variable named like a declaration',
  PKS010: 'a keyword used as a name',
  PKS011: 'unknown statement',
  PKS012: 'unknown policy or mode in an expect line',
  PKS013: 'unknown metric in an expect line',
  PKS014: 'invalid word: not one of the values allowed there (arch, key default, READ/WRITE)',
  PKS015: 'needs arch x86_32: last_pkmap or highmem in an x86_64 scenario',
  PKS016: 'pointer used before it is assigned in this program',
  PKS017: 'unmap of a pointer that another kind of map made (kunmap_local() of a kmap() or kmap_atomic() pointer)',
  PKS018: 'wrong arguments: too many or too few, or a name where a number is needed or the reverse',
  PKS019: 'assignment: a call that returns nothing is assigned, or a call whose result must be kept is not',
  PKS020: 'not allowed in this context: a user-task-only statement elsewhere, a trigger on a task, a body on a worker',
  PKS021: 'nothing to run: the scenario declares no task or interrupt',
  PKS022: 'cannot read the scenario: no such file or built-in name, a directory, unreadable',
  PKS023: 'unknown counter in an assert or invariant expression',
} as const;

/** @public A scenario diagnostic's stable code, e.g. 'PKS002' (see DIAGNOSTIC_CODES). */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** @public One error found in a scenario, as plain data. */
export interface Diagnostic {
  /** Stable code of the kind of mistake (docs/errors.md). */
  code: DiagnosticCode;
  file: string;
  /** 1-based; 0 when the error has no position (a file that cannot be read). */
  line: number;
  col: number;
  /** Length of the offending token, for the ~~~ underline (at least 1). */
  len: number;
  message: string;
}

/** How many diagnostics format() prints before "N more errors". */
export const MAX_SHOWN = 5;

/** @public A scenario that cannot be compiled or read: every diagnostic, as data. */
export class ScenarioError extends Error {
  /** Exit status for the CLI: bad input. */
  readonly exitCode = 2;
  /** Code of the first diagnostic. */
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Every error found, first (earliest in the file) first. */
  readonly diagnostics: Diagnostic[];

  constructor(
    diagnostics: Diagnostic[],
    /** The scenario text, to quote the offending lines (undefined if it could not be read). */
    readonly source?: string,
  ) {
    const first = diagnostics[0]!;
    super(first.message);
    this.name = 'ScenarioError';
    this.file = first.file;
    this.line = first.line;
    this.col = first.col;
    this.code = first.code;
    this.diagnostics = diagnostics;
  }

  get column(): number {
    return this.col;
  }

  /** The diagnostics as plain data: the `error` of the CLI's `--json` error output. */
  toJSON(): { kind: 'scenario'; code: DiagnosticCode; message: string; diagnostics: Diagnostic[] } {
    return { kind: 'scenario', code: this.code, message: this.message, diagnostics: this.diagnostics.map((d) => ({ ...d })) };
  }

  /** `file:line:col: error[PKS0xx]: message`, the source line and a caret, for each of the first few. */
  format(max = MAX_SHOWN): string {
    const lines = this.source === undefined ? [] : this.source.split('\n');
    let out = '';
    for (const d of this.diagnostics.slice(0, max)) out += formatDiagnostic(d, lines);
    const more = this.diagnostics.length - max;
    if (more > 0) out += `${more} more error${more === 1 ? '' : 's'} not shown\n`;
    return out;
  }
}

function formatDiagnostic(d: Diagnostic, lines: string[]): string {
  if (d.line === 0) return `${d.file}: error[${d.code}]: ${d.message}\n`;
  let out = `${d.file}:${d.line}:${d.col}: error[${d.code}]: ${d.message}\n`;
  const src = lines[d.line - 1];
  if (src === undefined) return out;
  let text = src.endsWith('\r') ? src.slice(0, -1) : src;
  if (d.line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // columns do not count it
  // Keep tabs in the caret line so that the caret sits under the spot whatever the tab width.
  let pad = '';
  for (let i = 0; i < d.col - 1 && i < text.length; i++) pad += text[i] === '\t' ? '\t' : ' ';
  const width = Math.max(1, Math.min(d.len, text.length - (d.col - 1)));
  out += `${text}\n${pad}^${'~'.repeat(width - 1)}\n`;
  return out;
}
