// Charts of the fuzz report and of the reset-point study: vega-lite specs compiled to vega and
// rendered to SVG by vega's headless View (no browser, no canvas). Every estimate is a point
// with its 95% interval drawn as a rule (the error bar); ratios have a rule at 1.

import type { FuzzReport } from '../analysis/fuzz/report.js';
import type { ResetStudy } from '../analysis/fuzz/study.js';

type Row = Record<string, string | number | null>;

/** Points with error bars: x nominal, y the value, lo..hi the interval; `color` splits series. */
function intervalChart(
  title: string,
  rows: Row[],
  x: string,
  yTitle: string,
  opts: { color?: string; percent?: boolean; ruleAt?: number; log?: boolean; name: string },
): object {
  const y = { field: 'value', type: 'quantitative', title: yTitle, scale: opts.log ? { type: 'log' } : { zero: true }, axis: opts.percent ? { format: '.0%' } : {} };
  const color = opts.color ? { color: { field: opts.color, type: 'nominal' }, xOffset: { field: opts.color, type: 'nominal' } } : {};
  const layers: object[] = [
    {
      name: `${opts.name}_err`,
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: { x: { field: x, type: 'nominal', sort: null }, ...color, y: { field: 'lo', type: 'quantitative', scale: y.scale }, y2: { field: 'hi' } },
    },
    {
      name: `${opts.name}_pt`,
      mark: { type: 'point', filled: true, size: 60 },
      encoding: { x: { field: x, type: 'nominal', sort: null, title: null }, ...color, y },
    },
  ];
  if (opts.ruleAt !== undefined)
    layers.push({
      name: `${opts.name}_ref`,
      data: { values: [{ at: opts.ruleAt }] },
      mark: { type: 'rule', strokeDash: [4, 4] },
      encoding: { y: { field: 'at', type: 'quantitative' } },
    });
  return { title, width: 420, height: 200, data: { values: rows.filter((r) => r.value !== null && r.lo !== null && r.hi !== null) }, layer: layers };
}

async function render(charts: object[]): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    vconcat: charts,
    // Each chart its own colours and legend (read/write in one, the measures of the ratios in another).
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
    config: { font: 'sans-serif' },
  };
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function page(title: string, svg: string, note: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body style="font-family:sans-serif">\n<h1>${esc(title)}</h1>\n<p>${esc(note)}</p>\n${svg}\n</body></html>\n`;
}

/** The fuzz charts: missed and caught strays, exposure read and write per run, the ratios over the base. */
export function fuzzChartSpecs(r: FuzzReport): object[] {
  const rates = (k: 'missed' | 'caught' | 'bystanderMissed') => r.designs.map((d) => ({ design: d.policy, value: d[k].value, lo: d[k].lo, hi: d[k].hi }));
  const exposure = r.designs.flatMap((d) => [
    { design: d.policy, access: 'read', value: d.exposureRead.value, lo: d.exposureRead.lo, hi: d.exposureRead.hi },
    { design: d.policy, access: 'write', value: d.exposureWrite.value, lo: d.exposureWrite.lo, hi: d.exposureWrite.hi },
  ]);
  const ratios = r.ratios.flatMap((x) =>
    (['missed', 'bystanderMissed', 'exposureRead', 'exposureWrite'] as const).map((m) => ({
      design: `${x.numerator}`,
      measure: m,
      value: x[m].value,
      lo: x[m].lo,
      hi: x[m].hi,
    })),
  );
  return [
    intervalChart('Injected strays missed (rate, 95% Wilson)', rates('missed'), 'design', 'missed', { percent: true, name: 'missed' }),
    intervalChart('Injected strays caught by an oops (rate, 95% Wilson)', rates('caught'), 'design', 'caught', { percent: true, name: 'caught' }),
    intervalChart('Strays of bystanders (contexts holding nothing of the key) missed (rate, 95% Wilson)', rates('bystanderMissed'), 'design', 'bystanders missed', {
      percent: true,
      name: 'bystander',
    }),
    intervalChart('Exposure per run (page x ticks, mean, 95% t)', exposure, 'design', 'exposure', { color: 'access', name: 'exposure' }),
    intervalChart(`Ratio over ${r.config.base} (95%: Katz for rates, delta method for means)`, ratios, 'design', 'ratio', {
      color: 'measure',
      ruleAt: 1,
      log: true,
      name: 'ratio',
    }),
  ];
}

export async function fuzzCharts(r: FuzzReport): Promise<{ svg: string; html: string }> {
  const svg = await render(fuzzChartSpecs(r));
  const note = `${r.config.scenarios.length} scenario(s), ${r.config.runs} runs each per design, seed ${r.config.seed}; one injected stray per run.`;
  return { svg, html: page('pksim fuzz', svg, note) };
}

/** The reset-point charts: per context kind and reset point, the pardon window per run and the strays missed. */
export function resetChartSpecs(s: ResetStudy): object[] {
  const out: object[] = [];
  for (const p of s.policies) {
    const win: Row[] = [];
    const miss: Row[] = [];
    for (const l of s.levels) {
      const d = l.designs.find((x) => x.policy === p);
      for (const c of d?.contexts ?? []) {
        win.push({ context: c.kind, reset: l.level, value: c.unscoped.value, lo: c.unscoped.lo, hi: c.unscoped.hi });
        miss.push({ context: c.kind, reset: l.level, value: c.missed.value, lo: c.missed.lo, hi: c.missed.hi });
      }
    }
    out.push(intervalChart(`${p}: pardon window per run (unscoped key x ticks, mean, 95% t)`, win, 'context', 'window', { color: 'reset', name: 'window' }));
    out.push(intervalChart(`${p}: injected strays missed (rate, 95% Wilson)`, miss, 'context', 'missed', { color: 'reset', percent: true, name: 'resetmissed' }));
  }
  return out;
}

export async function resetCharts(s: ResetStudy): Promise<{ svg: string; html: string }> {
  const svg = await render(resetChartSpecs(s));
  return { svg, html: page('pksim study reset-points', svg, `${s.scenarios.length} scenario(s), ${s.runs} runs each per design and reset point, seed ${s.seed}.`) };
}
