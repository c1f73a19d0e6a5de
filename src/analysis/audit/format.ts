// Stage 6: output. Compiler-style text lines, JSON and the summary table (SARIF: sarif.ts).

import type { AuditResult, AuditSummary, FileResult, Site } from './types.js';

export interface TextOpts {
  all?: boolean;
  /** One short line per site, no reasons. */
  terse?: boolean;
  /** Every reason, one per line under the site. */
  verbose?: boolean;
  /** How a result path is printed (default: as is, relative to the PATH). */
  path?: (file: string) => string;
}

const CODE: Record<string, string> = { local: 'kmap-local', global: 'kmap-global', unclear: 'kmap-unclear' };

function clipReason(t: string, n = 160): string {
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

/**
 * `file:line:col: severity: message [code]`, as compilers and checkpatch print. The message
 * refines checkpatch's "Deprecated use of 'kmap'": it says whether this kmap() can be
 * kmap_local_page() and why; the full reasons follow with --verbose.
 */
function siteLines(s: Site, path: string, o: TextOpts): string {
  const at = `${path}:${s.line}:${s.column}`;
  let sev = 'note';
  let msg: string;
  let code: string;
  if (s.atomic) {
    code = 'kmap-atomic';
    const a = s.atomic;
    msg = a.convertible
      ? a.needs.length
        ? `kmap_atomic() can be kmap_local_page() with ${a.needs.map((x) => x + '()').join(' and ')}`
        : 'kmap_atomic() can be kmap_local_page()'
      : `kmap_atomic() not convertible mechanically: ${a.note}`;
    if (!o.terse && a.relies.length) msg += `; relies on ${a.relies.join(', ')}`;
  } else if (s.call !== 'kmap') {
    code = s.call.replace(/_/g, '-');
    msg = s.reason || `${s.call}() is already thread-local`;
  } else {
    code = CODE[s.class]!;
    const head = s.class === 'local' ? 'kmap() can be kmap_local_page()' : s.class === 'global' ? 'kmap() must stay: the mapping leaves this context' : 'kmap() undecided';
    if (s.class === 'local') sev = 'warning';
    const fix = s.class === 'local' ? (s.fixable ? ' (--fix converts it)' : s.fixNote ? ` (not mechanical: ${s.fixNote})` : '') : '';
    const more = s.reasons.length > 1 && !o.verbose ? ` (+${s.reasons.length - 1} more, --verbose)` : '';
    msg = o.terse || o.verbose ? head + fix : `${head}: ${clipReason(s.reasons[0] ?? s.reason)}${more}${fix}`;
  }
  let out = `${at}: ${sev}: ${msg} [${code}]\n`;
  if (o.verbose && !o.terse) for (const r of s.reasons) out += `    ${r}\n`;
  return out;
}

/** A file name as text output shows it: control characters (newlines, terminal escapes) as \xNN. */
export function printablePath(p: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return p.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatText(res: AuditResult, opts: TextOpts = {}): string {
  const path = opts.path ?? ((f: string) => f);
  let out = '';
  for (const f of res.files) {
    const p = printablePath(path(f.file));
    if (f.error) out += `${p}: error: ${f.error}\n`;
    const lines: { line: number; col: number; text: string }[] = [];
    for (const s of f.sites) if (s.call === 'kmap' || opts.all) lines.push({ line: s.line, col: s.column, text: siteLines(s, p, opts) });
    for (const x of f.findings) {
      const sev = x.kind === 'error-region' ? 'note' : 'warning';
      if (opts.terse && x.kind === 'error-region') continue;
      lines.push({
        line: x.line,
        col: x.column + (sev === 'note' ? 0.5 : 0),
        text: `${p}:${x.line}:${x.column}: ${sev}: ${opts.terse ? clipReason(x.message, 100) : x.message} [${x.kind}]\n`,
      });
    }
    lines.sort((a, b) => a.line - b.line || a.col - b.col);
    out += lines.map((l) => l.text).join('');
  }
  return out + formatSummary(res.summary);
}

export function formatSummary(s: AuditSummary): string {
  const t = s.classes;
  let out = `\nsummary: ${s.kmapSites} kmap() sites: ${t.local} local, ${t.global} global, ${t.unclear} unclear (${s.fixable} convertible by --fix)\n`;
  out += `files: ${s.filesScanned} C files scanned, ${s.filesParsed} parsed after the prefilter, ${s.filesWithErrors} with parse errors; ${(s.elapsedMs / 1000).toFixed(1)} s\n`;
  if (s.symlinksSkipped) out += `symlinks: ${s.symlinksSkipped} symbolic link(s) to C files not followed\n`;
  const calls = Object.entries(s.calls).sort();
  if (calls.length) out += `calls: ${calls.map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
  const a = s.atomic;
  if (a.sites)
    out += `kmap_atomic: ${a.sites} sites: ${a.rename} convertible by a rename, ${a.pagefault} need pagefault_disable(), ${a.preempt} need preempt_disable(), ${a.notMechanical} not mechanical\n`;
  const fk = Object.entries(s.findings).sort();
  if (fk.length) out += `findings: ${fk.map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
  const subs = Object.entries(s.subsystems).sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1));
  if (subs.length) {
    const w = Math.max(9, ...subs.map(([k]) => k.length));
    out += `\n${'subsystem'.padEnd(w)}  local  global  unclear  total\n`;
    for (const [k, v] of subs)
      out += `${k.padEnd(w)}  ${String(v.local).padStart(5)}  ${String(v.global).padStart(6)}  ${String(v.unclear).padStart(7)}  ${String(total(v)).padStart(5)}\n`;
    out += `${'total'.padEnd(w)}  ${String(t.local).padStart(5)}  ${String(t.global).padStart(6)}  ${String(t.unclear).padStart(7)}  ${String(s.kmapSites).padStart(5)}\n`;
  }
  return out;
}

function total(v: { local: number; global: number; unclear: number }): number {
  return v.local + v.global + v.unclear;
}

export function formatJson(res: AuditResult): string {
  const sites = res.files.flatMap((f) => f.sites);
  const findings = res.files.flatMap((f) => f.findings.map((x) => ({ file: f.file, line: x.line, column: x.column, kind: x.kind, message: x.message })));
  const errors = res.files.filter((f) => f.error).map((f) => ({ file: f.file, error: f.error }));
  // No wall-clock time in JSON: the same tree gives byte-identical output (the text summary has it).
  const { elapsedMs: _elapsed, ...summary } = res.summary;
  return JSON.stringify({ sites, findings, errors, summary }, null, 2) + '\n';
}

export type { FileResult };
