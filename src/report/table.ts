// Plain-text tables for `pksim compare`.

import type { RunResult, RunSummary } from '../sim/result.js';

/** The columns a reviewer compares designs on, in reading order. */
export const COMPARE_COLUMNS: (keyof RunSummary)[] = [
  'legitBroken',
  'legitWarned',
  'legitSilent',
  'straysCaught',
  'straysWarned',
  'straysMissed',
  'exposure',
  'unscopedTicks',
  'oopses',
  'panics',
  'warnings',
  'faults',
  'pkrsWrites',
  'ipis',
  'pkmapSleeps',
  'lifoViolations',
  'leaks',
  'reports',
];

/** Short column headings; the legend under each table spells them out. */
const SHORT: Partial<Record<keyof RunSummary, string>> = {
  legitBroken: 'broken',
  legitWarned: 'warned',
  legitSilent: 'silent',
  straysCaught: 'caught',
  straysWarned: 'strayWarn',
  straysMissed: 'missed',
  unscopedTicks: 'unscoped',
  oopses: 'oops',
  panics: 'panic',
  warnings: 'WARN',
  pkrsWrites: 'wrmsr',
  ipis: 'IPIs',
  pkmapSleeps: 'sleeps',
  lifoViolations: 'lifo',
  reports: 'reports',
};

export const LEGEND =
  'legit accesses: broken (oops), warned (pardoned + WARNING), silent (pardoned quietly); strays: caught (oops),\n' +
  'strayWarn (pardoned + WARNING), missed (unnoticed); exposure: protected page x tick reachable unnoticed;\n' +
  'unscoped: key x tick open for a context that holds no mapping or grant of that key;\n' +
  'wrmsr: PKRS writes (unchanged values skipped); IPIs: cross-CPU PKRS updates.\n';

const head = (k: keyof RunSummary): string => SHORT[k] ?? k;

export function formatTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n') + '\n';
}

export function compareTable(results: RunResult[]): string {
  const header = ['policy', ...COMPARE_COLUMNS.map(head), 'stop'];
  const rows = results.map((r) => [r.policy, ...COMPARE_COLUMNS.map((k) => String(r.summary[k])), r.stop + (r.expectations.some((x) => !x.ok) ? ' (expect FAILED)' : '')]);
  return formatTable(header, rows);
}

/** Sum of each policy's metrics over several scenarios. */
export function totalsByPolicy(perFile: RunResult[][]): { policy: string; summary: Record<string, number> }[] {
  const out = new Map<string, Record<string, number>>();
  for (const results of perFile) {
    for (const r of results) {
      const acc = out.get(r.policy) ?? {};
      for (const k of COMPARE_COLUMNS) acc[k] = (acc[k] ?? 0) + r.summary[k];
      out.set(r.policy, acc);
    }
  }
  return [...out].map(([policy, summary]) => ({ policy, summary }));
}

export function totalsTable(perFile: RunResult[][]): string {
  const header = ['policy', ...COMPARE_COLUMNS.map(head)];
  return formatTable(
    header,
    totalsByPolicy(perFile).map((t) => [t.policy, ...COMPARE_COLUMNS.map((k) => String(t.summary[k]))]),
  );
}
