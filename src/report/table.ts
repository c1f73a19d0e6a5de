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

/** How a cell reads: a problem (a broken legit access, a missed stray, a panic), good news (a stray caught), worth a look (a warning). */
export type CellStyle = 'bad' | 'good' | 'warn';
/** Paints a padded cell (colour on a terminal); the default leaves it as it is. */
export type CellPaint = (style: CellStyle, text: string) => string;

export interface TableOptions {
  /** The layout of one column per metric with full headings, two spaces apart (162 columns). */
  wide?: boolean;
  paint?: CellPaint;
}

/** Compact headings (3 characters) under group headings: the table fits 100 columns. */
const COMPACT: Record<string, [group: string, head: string]> = {
  legitBroken: ['legit', 'brk'],
  legitWarned: ['legit', 'wrn'],
  legitSilent: ['legit', 'sil'],
  straysCaught: ['strays', 'cgt'],
  straysWarned: ['strays', 'wrn'],
  straysMissed: ['strays', 'mis'],
  exposure: ['exposed', 'exp'],
  unscopedTicks: ['exposed', 'uns'],
  oopses: ['kernel', 'oop'],
  panics: ['kernel', 'pnc'],
  warnings: ['kernel', 'WRN'],
  faults: ['kernel', '#PF'],
  pkrsWrites: ['cost', 'msr'],
  ipis: ['cost', 'IPI'],
  pkmapSleeps: ['cost', 'slp'],
  lifoViolations: ['other', 'lif'],
  leaks: ['other', 'lek'],
  reports: ['other', 'rep'],
};

export const COMPACT_LEGEND =
  'legit accesses: brk broken (oops), wrn warned (pardoned + WARNING), sil silent (pardoned quietly);\n' +
  'strays: cgt caught (oops), wrn warned, mis missed (unnoticed); exposed: exp protected page x tick\n' +
  'reachable unnoticed, uns key x tick open for a context holding no mapping or grant of that key;\n' +
  'kernel: oop oopses, pnc panics, WRN warnings printed, #PF faults; cost: msr PKRS writes, IPI\n' +
  'cross-CPU PKRS updates, slp pkmap sleeps; other: lif kmap_local lifo violations, lek leaks,\n' +
  'rep reports. --wide: a column per metric with its full name.\n';

/** The style of a metric's cell, or null when it is not notable. */
function cellStyle(k: string, v: number): CellStyle | null {
  if (v === 0) return null;
  if (k === 'legitBroken' || k === 'straysMissed' || k === 'panics') return 'bad';
  if (k === 'straysCaught') return 'good';
  if (k === 'legitWarned' || k === 'straysWarned' || k === 'leaks') return 'warn';
  return null;
}

function stopStyle(stop: string): CellStyle | null {
  if (stop === 'done') return null;
  return stop === 'killed' ? 'warn' : 'bad';
}

/**
 * A table: the first column left-aligned, the others right-aligned; `groups` (one per column,
 * '' for none) adds a row of group headings, each over its run of columns; `sep` between
 * columns, `gap` between groups. `styles` paints cells after padding, so colour never shifts a column.
 */
export function formatTable(header: string[], rows: string[][], o: { groups?: string[]; sep?: string; styles?: (CellStyle | null)[][]; paint?: CellPaint } = {}): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const sep = o.sep ?? '  ';
  const pad = (c: string, i: number) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!));
  const line = (cells: string[], styles?: (CellStyle | null)[]) =>
    cells
      .map((c, i) => {
        const s = styles?.[i];
        return s && o.paint ? o.paint(s, pad(c, i)) : pad(c, i);
      })
      .join(sep)
      .trimEnd();
  const out: string[] = [];
  if (o.groups) {
    let g = '';
    for (let i = 0; i < header.length; i++) {
      const start = i === 0 ? 0 : w.slice(0, i).reduce((a, b) => a + b, 0) + sep.length * i;
      if (o.groups[i] && o.groups[i] !== o.groups[i - 1]) g = (g.length >= start ? `${g} ` : g.padEnd(start)) + o.groups[i];
    }
    out.push(g.trimEnd());
  }
  out.push(line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map((r, i) => line(r, o.styles?.[i])));
  return out.join('\n') + '\n';
}

function metricTable(policies: string[], summaries: Record<string, number>[], stops: string[] | null, o: TableOptions): string {
  const cols = COMPARE_COLUMNS as string[];
  const header = ['policy', ...cols.map((k) => (o.wide ? head(k as keyof RunSummary) : COMPACT[k]![1])), ...(stops ? ['stop'] : [])];
  const rows = policies.map((p, i) => [p, ...cols.map((k) => String(summaries[i]![k])), ...(stops ? [stops[i]!] : [])]);
  const styles = policies.map((_, i) => [null, ...cols.map((k) => cellStyle(k, summaries[i]![k]!)), ...(stops ? [stopStyle(stops[i]!)] : [])]);
  const groups = o.wide ? undefined : ['', ...cols.map((k) => COMPACT[k]![0]), ...(stops ? [''] : [])];
  return formatTable(header, rows, { groups, sep: o.wide ? '  ' : ' ', styles, paint: o.paint });
}

/** Under a compare table where a stop cell ends in '*' (within 100 columns). */
export const FAILED_NOTE = "* an expect, assert or invariant line failed: 'pksim run FILE --policy P' says which\n";

export function compareTable(results: RunResult[], o: TableOptions = {}): string {
  const stops = results.map((r) => r.stop + (r.expectations.some((x) => !x.ok) ? '*' : ''));
  return metricTable(
    results.map((r) => r.policy),
    results.map((r) => r.summary as unknown as Record<string, number>),
    stops,
    o,
  );
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

export function totalsTable(perFile: RunResult[][], o: TableOptions = {}): string {
  const t = totalsByPolicy(perFile);
  return metricTable(
    t.map((x) => x.policy),
    t.map((x) => x.summary),
    null,
    o,
  );
}
