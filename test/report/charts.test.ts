// The fuzz and reset-point charts: vega-lite rendered to SVG headless; axes, marks and error
// bars checked against the report they draw.

import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { runCampaign } from '../../src/analysis/fuzz/campaign.js';
import { resetPointStudy } from '../../src/analysis/fuzz/study.js';
import { fuzzCharts, resetCharts } from '../../src/report/charts.js';

const OPTS = { seed: 2, runs: 60, warn: 'once' as const, resetPoints: [], maxSteps: 10_000, examples: 1, kinds: [0, 1, 2] };

/** The children of the mark group named `name` (its <line> or <path> elements). */
function marks(svg: string, name: string, tag: 'line' | 'path'): string[] {
  const start = svg.indexOf(`role-mark ${name}_marks"`);
  expect(start).toBeGreaterThan(0);
  const end = svg.indexOf('</g>', start);
  return [...svg.slice(start, end).matchAll(new RegExp(`<${tag}(?: aria-label="([^"]*)")?`, 'g'))].map((m) => m[1] ?? '');
}

describe('fuzz charts', () => {
  it('charts svg: one error bar and one point per design, drawn at the report interval', async () => {
    const scenarios = ['stray_irq_during_kmap', 'local_copy'].map((n) => ({ ir: loadScenario(n), arg: n }));
    const report = await runCampaign({
      scenarios,
      policies: ['none', 'global', 'scoped:relaxed'],
      base: 'scoped:relaxed',
      shard: null,
      workers: 1,
      timeLimit: Infinity,
      opts: OPTS,
    });
    const { svg, html } = await fuzzCharts(report);
    expect(svg.startsWith('<svg')).toBe(true);
    // Five charts, each with an x and a y axis, titled.
    const titles = [...svg.matchAll(/class="mark-text role-axis-title"[^>]*>.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const t of ['missed', 'caught', 'exposure', 'ratio']) expect(titles).toContain(t);
    expect((svg.match(/class="mark-rule role-axis-domain"/g) ?? []).length).toBe(10);
    expect(marks(svg, 'bystander_err', 'line').length).toBe(report.designs.filter((d) => d.bystanderMissed.lo !== null).length);
    const bars = marks(svg, 'missed_err', 'line');
    expect(bars.length).toBe(3);
    for (const d of report.designs) expect(bars).toContain(`design: ${d.policy}; lo: ${d.missed.lo}; hi: ${d.missed.hi}`);
    expect(marks(svg, 'missed_pt', 'path').length).toBe(3);
    // Exposure: read and write per design; ratios: 4 measures for each of the 2 designs over the base, and the rule at 1.
    expect(marks(svg, 'exposure_err', 'line').length).toBe(6);
    expect(marks(svg, 'ratio_err', 'line').length).toBe(
      report.ratios.flatMap((r) => [r.missed, r.bystanderMissed, r.exposureRead, r.exposureWrite]).filter((i) => i.lo !== null).length,
    );
    expect(marks(svg, 'ratio_ref', 'line').length).toBe(1);
    expect(html).toContain(svg);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  }, 30_000);

  it('charts reset points: a window and a missed-rate error bar per context kind and reset point', async () => {
    const ir = loadScenario('kthread_pardon_outlives');
    const s = await resetPointStudy([{ ir, arg: 'kthread_pardon_outlives' }], ['scoped:relaxed'], { ...OPTS, kinds: [0] }, 1, Infinity);
    const { svg } = await resetCharts(s);
    const kinds = s.levels[0]!.designs[0]!.contexts.length;
    expect(marks(svg, 'window_err', 'line').length).toBe(kinds * 4);
    const w = s.levels[2]!.designs[0]!.contexts.find((c) => c.kind === 'worker')!;
    expect(marks(svg, 'window_err', 'line')).toContain(`context: worker; lo: ${w.unscoped.lo}; hi: ${w.unscoped.hi}; reset: work-item`);
  }, 30_000);
});
