// The text form of a fuzz report: per design the fates of the injected strays, the legit
// accesses broken or warned, exposure and warning sites, each with its 95% interval; the ratios
// over the base design; replay commands for a few missed strays.

import type { DesignNumbers, FuzzReport, Mean, Rate } from '../analysis/fuzz/report.js';
import type { Interval } from '../analysis/fuzz/stats.js';

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));

export function fmtRate(r: Rate): string {
  return r.value === null ? '-' : `${pct(r.value)} [${pct(r.lo)}, ${pct(r.hi)}]`;
}

export function fmtMean(m: Mean | Interval): string {
  return m.value === null ? '-' : `${num(m.value)} [${num(m.lo)}, ${num(m.hi)}]`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function designTable(ds: DesignNumbers[]): string {
  return table(
    [
      'design',
      'runs',
      'injected',
      'caught',
      'warned',
      'missed',
      'missed (bystanders)',
      'legit broken (runs)',
      'legit warned (runs)',
      'exposure read/run',
      'exposure write/run',
      'warn sites/run',
    ],
    ds.map((d) => [
      d.policy,
      String(d.runs),
      String(d.injected),
      fmtRate(d.caught),
      fmtRate(d.warned),
      fmtRate(d.missed),
      fmtRate(d.bystanderMissed),
      fmtRate(d.legitBroken),
      fmtRate(d.legitWarned),
      fmtMean(d.exposureRead),
      fmtMean(d.exposureWrite),
      fmtMean(d.warningSites),
    ]),
  );
}

export function ratioTable(r: FuzzReport): string {
  if (r.ratios.length === 0) return '';
  return table(
    ['ratio', 'missed strays', 'missed (bystanders)', 'exposure read', 'exposure write'],
    r.ratios.map((x) => [
      `${x.numerator} / ${x.denominator}`,
      fmtMean(x.missed) + (x.missed.corrected ? ' *' : ''),
      fmtMean(x.bystanderMissed) + (x.bystanderMissed.corrected ? ' *' : ''),
      fmtMean(x.exposureRead),
      fmtMean(x.exposureWrite),
    ]),
  );
}

export function formatFuzzText(r: FuzzReport, perScenario = false): string {
  const c = r.config;
  const shard = c.shard ? `, shard ${c.shard.k}/${c.shard.n}` : '';
  let out = `pksim fuzz: ${c.scenarios.length} scenario(s) x ${c.policies.length} design(s), ${c.runs} runs each (seed ${c.seed}${shard}), one injected stray per run\n\n`;
  out += designTable(r.designs);
  if (perScenario)
    for (const s of r.scenarios) {
      out += `\n== ${s.scenario}\n` + designTable(s.designs);
    }
  if (r.ratios.length) out += `\n${ratioTable(r)}`;
  if (r.ratios.some((x) => x.missed.corrected || x.bystanderMissed.corrected)) out += '* a count was 0: 0.5 added to every count (Katz)\n';
  out += "bystanders: strays from a context that held no mapping or grant of the page's key (unrelated code)\n";
  // A few: one per design (its first scenario with a miss); --json has them all.
  const few = c.policies.map((p) => r.examples.find((e) => e.policy === p)).filter((e) => e !== undefined);
  if (few.length) {
    out += `\nmissed strays, replayable (one per design; --json lists ${r.examples.length}):\n`;
    for (const e of few) out += `  ${e.scenario} under ${e.policy}, run ${e.run}: ${e.replay}\n`;
  }
  out += `\nintervals 95%: rates ${r.methods.proportions}; means ${r.methods.means}; ratios of rates ${r.methods.ratioOfProportions}; ratios of means ${r.methods.ratioOfMeans}.\n`;
  return out;
}
