// Stage 6: output. Compiler-style text lines, JSON, SARIF 2.1.0, and the summary table.

import type { AuditResult, AuditSummary, FileResult, Finding, Site } from './types.js';

const VERSION = '0.1.0';

function siteLine(s: Site): string {
  const fix = s.class === 'local' ? (s.fixable ? ' [--fix converts]' : s.fixNote ? ` [not mechanical: ${s.fixNote}]` : '') : '';
  const at = s.atomic ? `; ${s.atomic.relies.length ? `relies on ${s.atomic.relies.join(', ')}` : 'nothing relies on disabled preemption or page faults'}${s.atomic.holds ? `; ${s.atomic.holds}` : ''}; ${s.atomic.note}` : '';
  return `${s.file}:${s.line}:${s.column}: ${s.call}(): ${s.class}: ${s.reason}${at}${fix}\n`;
}

function findingLine(file: string, f: Finding): string {
  return `${file}:${f.line}:${f.column}: warning: ${f.message} [${f.kind}]\n`;
}

export function formatText(res: AuditResult, opts: { all?: boolean } = {}): string {
  let out = '';
  for (const f of res.files) {
    if (f.error) out += `${f.file}: error: ${f.error}\n`;
    const lines: { line: number; col: number; text: string }[] = [];
    for (const s of f.sites) if (s.call === 'kmap' || opts.all) lines.push({ line: s.line, col: s.column, text: siteLine(s) });
    for (const x of f.findings) if (x.kind !== 'error-region') lines.push({ line: x.line, col: x.column, text: findingLine(f.file, x) });
    for (const x of f.findings) if (x.kind === 'error-region') lines.push({ line: x.line, col: x.column + 0.5, text: `${f.file}:${x.line}:${x.column}: note: ${x.message}\n` });
    lines.sort((a, b) => a.line - b.line || a.col - b.col);
    out += lines.map((l) => l.text).join('');
  }
  return out + formatSummary(res.summary);
}

export function formatSummary(s: AuditSummary): string {
  const t = s.classes;
  let out = `\nsummary: ${s.kmapSites} kmap() sites: ${t.local} local, ${t.global} global, ${t.unclear} unclear (${s.fixable} convertible by --fix)\n`;
  out += `files: ${s.filesScanned} C files scanned, ${s.filesParsed} parsed after the prefilter, ${s.filesWithErrors} with parse errors; ${(s.elapsedMs / 1000).toFixed(1)} s\n`;
  const calls = Object.entries(s.calls).sort();
  if (calls.length) out += `calls: ${calls.map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
  const a = s.atomic;
  if (a.sites) out += `kmap_atomic: ${a.sites} sites: ${a.rename} convertible by a rename, ${a.pagefault} need pagefault_disable(), ${a.preempt} need preempt_disable(), ${a.notMechanical} not mechanical\n`;
  const fk = Object.entries(s.findings).sort();
  if (fk.length) out += `findings: ${fk.map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
  const subs = Object.entries(s.subsystems).sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1));
  if (subs.length) {
    const w = Math.max(9, ...subs.map(([k]) => k.length));
    out += `\n${'subsystem'.padEnd(w)}  local  global  unclear  total\n`;
    for (const [k, v] of subs) out += `${k.padEnd(w)}  ${String(v.local).padStart(5)}  ${String(v.global).padStart(6)}  ${String(v.unclear).padStart(7)}  ${String(total(v)).padStart(5)}\n`;
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

const RULES: { id: string; name: string; text: string; level: 'note' | 'warning' }[] = [
  { id: 'kmap/local', name: 'KmapThreadLocal', text: 'kmap() whose mapping stays in one context: convertible to kmap_local_page()', level: 'note' },
  { id: 'kmap/global', name: 'KmapGlobal', text: 'kmap() whose address or mapping escapes to another context or function', level: 'note' },
  { id: 'kmap/unclear', name: 'KmapUnclear', text: 'kmap() whose use could not be decided', level: 'warning' },
  { id: 'missing-unmap', name: 'MissingUnmap', text: 'mapping released on some paths but not on others', level: 'warning' },
  { id: 'lifo-after-conversion', name: 'LifoAfterConversion', text: 'unmaps out of order for kmap_local after conversion', level: 'warning' },
  { id: 'lifo-violation', name: 'LifoViolation', text: 'kmap_local/kmap_atomic mappings released out of order', level: 'warning' },
  { id: 'kunmap-wrong-arg', name: 'KunmapWrongArgument', text: 'kunmap() given something other than the mapped page', level: 'warning' },
  { id: 'unmap-wrong-kind', name: 'UnmapWrongKind', text: 'mapping released with the unmap of another kind', level: 'warning' },
  { id: 'error-region', name: 'ErrorRegion', text: 'call inside a region the parser could not parse', level: 'note' },
];

export function formatSarif(res: AuditResult, srcRoot: string | null): string {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const loc = (file: string, line: number, column: number) => ({
    physicalLocation: { artifactLocation: { uri: file, ...(srcRoot ? { uriBaseId: 'SRCROOT' } : {}) }, region: { startLine: line, startColumn: column } },
  });
  const results: unknown[] = [];
  for (const f of res.files) {
    for (const s of f.sites) {
      if (s.call !== 'kmap' || s.class === 'already-local') continue;
      const id = `kmap/${s.class}`;
      results.push({
        ruleId: id,
        ruleIndex: ruleIndex.get(id),
        level: RULES[ruleIndex.get(id)!]!.level,
        message: { text: `kmap(${s.arg}) is ${s.class}: ${s.reason}` },
        locations: [loc(f.file, s.line, s.column)],
        properties: { class: s.class, function: s.function, depth: s.depth, lifoOk: s.lifoOk, fixable: Boolean(s.fixable), inErrorRegion: s.inErrorRegion },
      });
    }
    for (const x of f.findings) {
      results.push({ ruleId: x.kind, ruleIndex: ruleIndex.get(x.kind), level: RULES[ruleIndex.get(x.kind)!]!.level, message: { text: x.message }, locations: [loc(f.file, x.line, x.column)] });
    }
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pksim-audit',
            version: VERSION,
            rules: RULES.map((r) => ({ id: r.id, name: r.name, shortDescription: { text: r.text }, defaultConfiguration: { level: r.level } })),
          },
        },
        ...(srcRoot ? { originalUriBaseIds: { SRCROOT: { uri: srcRoot.endsWith('/') ? srcRoot : srcRoot + '/' } } } : {}),
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

export type { FileResult };
