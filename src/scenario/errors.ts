// Scenario errors are user errors: a location, a message and the source line with a caret,
// as a C compiler prints them. Never a stack trace.

export interface Diagnostic {
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

export class ScenarioError extends Error {
  /** Exit status for the CLI: bad input. */
  readonly exitCode = 2;
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
    this.diagnostics = diagnostics;
  }

  get column(): number {
    return this.col;
  }

  /** `file:line:col: error: message`, the source line and a caret, for each of the first few. */
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
  if (d.line === 0) return `${d.file}: error: ${d.message}\n`;
  let out = `${d.file}:${d.line}:${d.col}: error: ${d.message}\n`;
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
