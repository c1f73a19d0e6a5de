// The timeline's newer parts in headless chromium: whose open key a band shows (by its computed
// colour), flow arrows between markers, the event list and its filter, the run log linked both
// ways, the two cursors, the exposure plot, the grouped summary, and a compare report of many
// scenarios and designs (scenario picker, wrapping design tabs).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { defaultCompare } from '../../src/policy/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { renderHtml } from '../../src/report/index.js';
import { SCOPE_COLORS } from '../../src/report/palette.js';
import { ARTIFACTS, browserTestsEnabled, launch, openReport } from './browser.js';
import { realReport } from './expected.js';

const enabled = browserTestsEnabled();
const DOCS_IMG = fileURLToPath(new URL('../../docs/img/', import.meta.url));

/** #rrggbb as the browser's computed `rgb(r, g, b)`. */
function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function choose(page: Page, label: string): Promise<void> {
  await page.click(`#policies button:text-is("${label}")`);
  await page.waitForFunction((l) => document.querySelector('#policies button.on')?.textContent === l, label);
}

describe.runIf(enabled)('timeline parts in headless chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("a context's own open key and a pardon window are drawn in different colours", async () => {
    const { file } = realReport('async_handoff_softirq', ['scoped:relaxed', 'global'], 'scope_colours');
    const { page, errors } = await openReport(browser, file);
    const fills = () =>
      page.$$eval('.band', (bs) =>
        bs
          .filter((b) => (b as SVGElement).dataset.state !== 'closed')
          .map((b) => ({ cpu: (b as SVGElement).dataset.cpu, scope: (b as SVGElement).dataset.scope, fill: getComputedStyle(b).fill })),
      );
    const relaxed = await fills();
    // The writer's own kmap() on CPU 0; the softirq's pardon on CPU 1.
    const own = relaxed.find((b) => b.cpu === '0' && b.scope === 'own');
    const pardon = relaxed.find((b) => b.cpu === '1' && b.scope === 'pardon');
    expect(own?.fill).toBe(rgb(SCOPE_COLORS.own));
    expect(pardon?.fill).toBe(rgb(SCOPE_COLORS.pardon));
    expect(own?.fill).not.toBe(pardon?.fill);
    await choose(page, 'global');
    const global = await fills();
    expect(global.find((b) => b.cpu === '1' && b.scope === 'global')?.fill).toBe(rgb(SCOPE_COLORS.global));
    // The legend names each band colour once.
    const legend = await page.$$eval('#legend .sw', (s) => s.map((e) => getComputedStyle(e).backgroundColor));
    for (const c of Object.values(SCOPE_COLORS)) expect(legend).toContain(rgb(c));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('every flow arrow connects two existing markers: its ends are their centres', async () => {
    for (const [name, policy] of [
      ['async_handoff_softirq', 'scoped:relaxed'],
      ['async_handoff_workqueue', 'global'],
      ['shared_kmap_two_cpus', 'global'],
    ] as const) {
      const { file } = realReport(name, [policy], `flows_${name}`);
      const { page, errors } = await openReport(browser, file);
      const arrows = await page.$$eval('path.flow', (ps) =>
        ps.map((p) => {
          const path = p as SVGPathElement;
          const len = path.getTotalLength();
          const a = path.getPointAtLength(0);
          const b = path.getPointAtLength(len);
          const centre = (i: string) => {
            const m = document.querySelector<SVGGraphicsElement>(`.marker[data-i="${i}"]`);
            if (!m) return null;
            const bb = m.getBBox();
            return { x: bb.x + bb.width / 2, y: bb.y + bb.height / 2 };
          };
          return { kind: path.dataset.kind, a: { x: a.x, y: a.y }, b: { x: b.x, y: b.y }, from: centre(path.dataset.from!), to: centre(path.dataset.to!) };
        }),
      );
      expect(arrows.length, name).toBeGreaterThan(0);
      for (const f of arrows) {
        expect(f.from, `${name} ${f.kind}: start marker`).not.toBeNull();
        expect(f.to, `${name} ${f.kind}: end marker`).not.toBeNull();
        expect(Math.hypot(f.a.x - f.from!.x, f.a.y - f.from!.y), `${name} ${f.kind} start`).toBeLessThan(1);
        expect(Math.hypot(f.b.x - f.to!.x, f.b.y - f.to!.y), `${name} ${f.kind} end`).toBeLessThan(1);
      }
      // The handoff of the address is drawn: a send on CPU 0 to the recv (or the work item) on CPU 1.
      const kinds = new Set(arrows.map((f) => f.kind));
      if (name !== 'shared_kmap_two_cpus') expect(kinds.has('message') || kinds.has('work'), name).toBe(true);
      else expect(kinds.has('ipi'), name).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('markers that overlap within a tick stay visible: stacked, with a count badge past three', async () => {
    const { file } = realReport('stray_irq_during_kmap', ['scoped:relaxed'], 'stacking');
    const { page } = await openReport(browser, file, 700);
    const piles = await page.$$eval('.marker', (ms) => {
      const at = new Map<string, number>();
      for (const m of ms) {
        const k = `${(m as SVGElement).dataset.cx}@${(m as SVGElement).dataset.cy}`;
        at.set(k, (at.get(k) ?? 0) + 1);
      }
      return {
        positions: at.size,
        markers: ms.length,
        buried: document.querySelectorAll('.marker.buried').length,
        badges: Array.from(document.querySelectorAll('.badge')).map((b) => Number((b as SVGElement).dataset.n)),
      };
    });
    // Two markers share a position only when buried under a badge.
    expect(piles.markers - piles.positions).toBeLessThanOrEqual(piles.buried);
    for (const n of piles.badges) expect(n).toBeGreaterThan(3);
    if (piles.badges.length) {
      await page.click('.badge');
      await page.waitForFunction(
        () => Number(document.querySelector<SVGElement>('#timeline svg')?.dataset.t1) - Number(document.querySelector<SVGElement>('#timeline svg')?.dataset.t0) < 5,
      );
    }
    await page.close();
  });

  it('the event list filters by text and type, follows the view, and selects markers', async () => {
    const { file, results } = realReport('stray_irq_during_kmap', ['scoped:relaxed'], 'event_list');
    const r = results[0]!;
    const { page } = await openReport(browser, file);
    const rows = () => page.$$eval('#event-list .ev', (e) => e.map((x) => ({ type: (x as HTMLElement).dataset.type, text: x.textContent ?? '' })));
    const all = await rows();
    const model = await page.evaluate(() => (JSON.parse(document.getElementById('pksim-data')!.textContent) as { runs: { markers: unknown[] }[] }).runs[0]!.markers.length);
    expect(all.length).toBe(model);
    await page.selectOption('#event-type', 'fault');
    const faults = await rows();
    expect(faults.length).toBe(r.events.filter((e) => e.type === 'fault').length);
    expect(faults.every((x) => x.type === 'fault')).toBe(true);
    await page.selectOption('#event-type', '');
    const ctx = r.config.contexts.find((c) => c.kind === 'hardirq')!.name;
    await page.fill('#event-filter', ctx);
    const mine = await rows();
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(all.length);
    expect(mine.every((x) => x.text.includes(ctx))).toBe(true);
    await page.fill('#event-filter', 'no such event anywhere');
    expect(await rows()).toEqual([]);
    await page.fill('#event-filter', '');
    // A row click selects its marker and brings it into view; zooming dims the rows outside.
    await page.click('#event-list .ev[data-type="fault"]');
    await page.waitForSelector('.marker.sel[data-type="fault"]');
    expect(await page.textContent('#panel-title')).toContain('fault');
    const seen = await page.$eval('#event-list', (l) => {
      const r = l.querySelector('.ev.sel')!.getBoundingClientRect();
      const b = l.getBoundingClientRect();
      return r.top >= b.top && r.bottom <= b.bottom;
    });
    expect(seen).toBe(true); // the selected row stays in sight after the jump
    const span = () => page.$eval('#timeline svg', (s) => Number((s as SVGElement).dataset.t1) - Number((s as SVGElement).dataset.t0));
    const before = await span();
    await page.click('#zoom-in');
    await page.waitForFunction((b) => {
      const s = document.querySelector<SVGElement>('#timeline svg');
      return !!s && Number(s.dataset.t1) - Number(s.dataset.t0) < b * 0.6;
    }, before);
    expect(await page.$$eval('#event-list .ev.out', (e) => e.length)).toBeGreaterThan(0);
    const [t0, t1] = await page.$eval('#timeline svg', (s) => [Number((s as SVGElement).dataset.t0), Number((s as SVGElement).dataset.t1)]);
    const dims = await page.$$eval('#event-list .ev', (e) => e.map((x) => ({ t: Number((x as HTMLElement).dataset.t), out: x.classList.contains('out') })));
    for (const d of dims) expect(d.out, String(d.t)).toBe(d.t < t0 || d.t > t1);
    await page.close();
  });

  it('the run log: a log line moves the timeline there, a marker shows its log lines', async () => {
    const { file, results } = realReport('async_handoff_softirq', ['scoped:relaxed'], 'log_link');
    const r = results[0]!;
    const fault = r.events.find((e) => e.type === 'fault')!;
    const { page } = await openReport(browser, file);
    await page.waitForSelector('body[data-log-ready="0"]');
    const first = await page.textContent('#log-lines .ln');
    expect(first).toContain(`pksim: ${r.scenario}`);
    // Marker -> log.
    await page.click('.marker[data-type="fault"]');
    const hl = await page.$$eval('#log-lines .ln.hl', (l) => l.map((x) => ({ tick: Number((x as HTMLElement).dataset.tick), text: x.textContent ?? '' })));
    expect(hl.length).toBeGreaterThan(0);
    expect(hl.every((l) => l.tick === fault.tick)).toBe(true);
    expect(hl.some((l) => l.text.includes('WARNING'))).toBe(true); // the pardon's WARNING block
    // Log -> timeline: the WARNING line centres the view on its tick and highlights its markers.
    await page.click('#zoom-reset');
    await page.click('#zoom-in');
    const warn = r.events.find((e) => e.type === 'warning')!;
    await page.click(`#log-lines .ln[data-tick="${warn.tick}"]:has-text("WARNING")`);
    await page.waitForFunction((t) => {
      const s = document.querySelector<SVGElement>('#timeline svg');
      return !!s && Number(s.dataset.t0) <= t && Number(s.dataset.t1) >= t + 1 && Number(s.dataset.t1) - Number(s.dataset.t0) <= 40;
    }, warn.tick);
    await page.waitForSelector('.marker.hl');
    const lit = await page.$$eval('.marker.hl', (m) => m.map((x) => `${(x as SVGElement).dataset.tick}:${(x as SVGElement).dataset.type}`));
    expect(lit).toContain(`${warn.tick}:warning`);
    expect(lit.every((t) => t.startsWith(`${warn.tick}:`))).toBe(true);
    await page.close();
  });

  it('two cursors measure a window; the exposure plot peaks at the run maximum', async () => {
    const { file, results } = realReport('async_handoff_softirq', ['global'], 'cursors');
    const { page } = await openReport(browser, file);
    const strip = (await page.locator('.axis-strip').boundingBox())!;
    await page.mouse.click(strip.x + strip.width * 0.25, strip.y + 5);
    await page.keyboard.down('Shift');
    await page.mouse.click(strip.x + strip.width * 0.75, strip.y + 5);
    await page.keyboard.up('Shift');
    await page.waitForSelector('.cursor[data-which="B"]');
    const [a, b] = await page.$$eval('.cursor', (c) => c.map((x) => Number((x as SVGElement).dataset.t)));
    const delta = Number(await page.getAttribute('#cursor-info', 'data-delta'));
    expect(delta).toBeCloseTo(Math.abs(b! - a!), 6);
    const end = Number(await page.$eval('#timeline svg', (s) => (s as SVGElement).dataset.t1));
    expect(delta).toBeCloseTo(end / 2, 0);
    expect(await page.textContent('#cursor-info')).toContain(`Δ ${Math.round(delta * 1000) / 1000} ticks`);
    const s = results[0]!.events.flatMap((e) => (e.type === 'exposure' ? [e] : []));
    let max = 0;
    const rate = new Map<number, number>();
    for (let i = 0; i < s.length; i++) {
      rate.set(s[i]!.cpu, s[i]!.pages);
      if (s[i + 1]?.tick !== s[i]!.tick)
        max = Math.max(
          max,
          [...rate.values()].reduce((x, y) => x + y, 0),
        );
    }
    expect(Number(await page.getAttribute('.exposure', 'data-max'))).toBe(max);
    expect(await page.$('.exposure .plot-area')).not.toBeNull();
    await page.click('#cursor-clear');
    expect(await page.$('.cursor')).toBeNull();
    await page.close();
  });

  it('a compare of many scenarios and designs: a scenario picker, design tabs that wrap, a grouped summary', async () => {
    const names = ['async_handoff_softirq', 'stray_irq_during_kmap', 'async_handoff_workqueue'];
    const policies = defaultCompare();
    const results = names.flatMap((n) => {
      const ir = loadScenario(n);
      return policies.map((p) => ({ ...runScenario(ir, { policy: p }), source: ir.source }));
    });
    const file = join(ARTIFACTS, 'many_compare.html');
    writeFileSync(file, renderHtml(results));
    const { page, errors } = await openReport(browser, file, 900);
    expect(await page.isVisible('#scenario')).toBe(true);
    expect(await page.$$eval('#scenario option', (o) => o.map((x) => x.textContent))).toEqual(names);
    // Tabs: one per design of the scenario shown, none past the page's right edge.
    const tabs = await page.$$eval('#policies button', (b) => b.map((x) => ({ text: x.textContent, right: x.getBoundingClientRect().right })));
    expect(tabs.map((t) => t.text)).toEqual(policies);
    for (const t of tabs) expect(t.right).toBeLessThanOrEqual(900);
    await choose(page, 'global');
    await page.selectOption('#scenario', '1');
    await page.waitForFunction((n) => document.getElementById('title')?.textContent === n, names[1]);
    expect(await page.textContent('#policies button.on')).toBe('global'); // the design is kept
    // The summary: three groups, one column per design of this scenario, every metric somewhere.
    const groups = await page.$$eval('#summary-table table', (t) => t.map((x) => x.querySelector('th')?.textContent));
    expect(groups).toEqual(['Legitimate accesses', 'Strays', 'Cost and trouble']);
    const metrics = (await page.$$eval('#summary-table tr[data-metric]', (r) => r.map((x) => (x as HTMLElement).dataset.metric!.split(',')))).flat();
    expect(new Set(metrics)).toEqual(new Set(Object.keys(results[0]!.summary)));
    expect(await page.$$eval('#summary-table table:first-child th', (t) => t.length)).toBe(policies.length + 1);
    await page.screenshot({ path: join(ARTIFACTS, 'many_compare.png'), fullPage: true });
    if (process.env.PKSIM_UPDATE_DOCS) {
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.click('.marker[data-type="stray"]');
      await page.mouse.move(0, 0);
      const bottom = await page.$eval('#summary', (m) => m.getBoundingClientRect().bottom);
      await page.screenshot({ path: join(DOCS_IMG, 'compare_many.png'), fullPage: true, clip: { x: 0, y: 0, width: 1400, height: bottom } });
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
