// The HTML report in a real browser (Debian's headless chromium): lanes, bands and markers
// against counts derived from the events of real runs of library scenarios, the details panel,
// zoom, filters, the policy switch, escaping of hostile names, screenshots, size and load time.

import { defaultCompare } from '../../src/policy/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { hex32 } from '../../src/arch/x86/pkrs.js';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { renderHtml } from '../../src/report/index.js';
import type { RunResult } from '../../src/sim/result.js';
import { ARTIFACTS, browserTestsEnabled, launch, openReport } from './browser.js';
import { expected, realReport } from './expected.js';
import { repeatRun } from '../fixtures/report/big.js';

const ALL_POLICIES = defaultCompare();
const DOCS_IMG = fileURLToPath(new URL('../../docs/img/', import.meta.url));

async function domCounts(page: Page, r: RunResult) {
  return page.evaluate(
    ({ keys, cpus }) => {
      const q = (s: string): number => document.querySelectorAll(s).length;
      const bands: Record<string, number> = {};
      // Bands are cut where whose key it is changes too: count the runs of one state.
      for (let cpu = 0; cpu < cpus; cpu++) {
        for (const k of keys) {
          const states = Array.from(document.querySelectorAll<SVGElement>(`.band[data-cpu="${cpu}"][data-key="${k}"]`))
            .sort((a, b) => Number(a.dataset.t0) - Number(b.dataset.t0))
            .map((b) => b.dataset.state);
          bands[`${cpu}:${k}`] = states.filter((s, i) => i === 0 || s !== states[i - 1]).length;
        }
      }
      const markers: Record<string, number> = {};
      for (const t of ['map', 'unmap', 'fault', 'warning', 'pardon', 'oops', 'stray', 'ipi']) markers[t] = q(`.marker[data-type="${t}"]`);
      return { lanes: q('.lane'), spans: q('.span'), bands, markers };
    },
    { keys: r.config.keys.map((k) => k.id), cpus: r.config.cpus },
  );
}

async function choosePolicy(page: Page, label: string): Promise<void> {
  await page.click(`#policies button:text-is("${label}")`);
  await page.waitForFunction((l) => document.querySelector('#policies button.on')?.textContent === l, label);
  await page.waitForFunction(() => !!document.querySelector('#timeline svg'));
}

const enabled = browserTestsEnabled();

describe.runIf(enabled)('HTML report in headless chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const cases: { name: string; policies: string[] }[] = [
    { name: 'async_handoff_softirq', policies: ['global', 'scoped:relaxed', 'scoped:strict'] },
    { name: 'stray_irq_during_kmap', policies: ['global', 'scoped:relaxed'] },
    { name: 'nested_irq_nmi', policies: ['scoped:relaxed'] },
    { name: 'async_handoff_workqueue', policies: ['exception', 'scoped:silent'] },
  ];

  for (const c of cases) {
    it(`${c.name}: lanes, frames, key bands and markers match the events of every policy`, async () => {
      const { file, results } = realReport(c.name, c.policies);
      const { page, errors, requests } = await openReport(browser, file);
      for (const r of results) {
        const label = await page.evaluate((i) => document.querySelectorAll('#policies button')[i]?.textContent ?? '', results.indexOf(r));
        await choosePolicy(page, label);
        const want = expected(r);
        expect(await domCounts(page, r), `${c.name} ${label}`).toEqual(want);
        expect(await page.textContent('#title')).toBe(r.scenario);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([`file://${file}`]); // nothing fetched but the file itself
      await page.close();
    });
  }

  it('clicking a fault marker shows the event, the scenario line and the PKRS decoded per key', async () => {
    const { file, results } = realReport('async_handoff_softirq', ['scoped:relaxed'], 'handoff_relaxed_panel');
    const r = results[0]!;
    const fault = r.events.find((e) => e.type === 'fault');
    if (fault?.type !== 'fault') throw new Error('the scenario should fault under scoped:relaxed');
    const { page } = await openReport(browser, file);
    await page.hover('.marker[data-type="fault"]');
    expect(await page.textContent('#tooltip')).toContain(`tick ${fault.tick}`);
    await page.click('.marker[data-type="fault"]');
    expect(await page.textContent('#panel-title')).toContain('fault');
    expect(await page.textContent('#pkrs-value')).toBe(hex32(fault.pkrs));
    const key = r.config.keys[0]!;
    const row = await page.$$eval(`#pkrs-table tr[data-key="${key.id}"] td`, (tds) => tds.map((td) => td.textContent));
    const ad = (fault.pkrs >>> (2 * key.id)) & 1;
    expect(row.slice(0, 3)).toEqual([String(key.id), key.name, String(ad)]);
    expect(row[4]).toMatch(ad ? /no access/ : /read/);
    const line = loadScenario('async_handoff_softirq').source.split('\n')[fault.loc!.line - 1]!;
    expect(await page.textContent('#source-line')).toContain(line.trim());
    await page.screenshot({ path: join(ARTIFACTS, 'handoff_relaxed_panel.png') });
    await page.close();
  });

  it('switching policy in a compare report changes the key bands in place, same axes', async () => {
    const { file, results } = realReport('async_handoff_softirq', ['global', 'scoped:relaxed'], 'handoff_compare');
    const { page } = await openReport(browser, file);
    const bands = () => page.$$eval('.band[data-cpu="1"]', (els) => els.map((e) => `${(e as SVGElement).dataset.state}@${(e as SVGElement).dataset.t0}`));
    const axes = () => page.$eval('#timeline svg', (s) => [(s as SVGElement).dataset.t0, (s as SVGElement).dataset.t1]);
    await choosePolicy(page, 'global');
    const global = await bands();
    const globalAxes = await axes();
    await page.screenshot({ path: join(ARTIFACTS, 'async_handoff_global.png') });
    await page.click('.marker[data-type="ipi"]');
    await choosePolicy(page, 'scoped:relaxed');
    expect(await page.$('#panel-title')).toBeNull(); // no stale details from the other run
    const scoped = await bands();
    expect(await axes()).toEqual(globalAxes);
    expect(scoped).not.toEqual(global);
    // Under global, CPU 1's key opens with kmap() on CPU 0 (an IPI), before the softirq runs;
    // under scoped:relaxed, only when the softirq's fault is pardoned.
    const openTick = (r: RunResult): number => r.events.find((e) => e.type === 'pkrs_write' && e.cpu === 1 && ((e.value >>> 2) & 1) === 0)!.tick;
    const firstOpen = (b: string[]): number => Math.floor(Number(b.find((x) => x.startsWith('rw@'))!.split('@')[1]));
    expect(firstOpen(global)).toBe(openTick(results[0]!));
    expect(firstOpen(scoped)).toBe(openTick(results[1]!));
    expect(firstOpen(scoped)).toBeGreaterThan(firstOpen(global));
    await page.click('.marker[data-type="fault"]');
    await page.screenshot({ path: join(ARTIFACTS, 'async_handoff_scoped_relaxed.png') });
    if (process.env.PKSIM_UPDATE_DOCS) {
      mkdirSync(DOCS_IMG, { recursive: true });
      const clip = await page.$eval('#lower', (m) => m.getBoundingClientRect().bottom);
      await choosePolicy(page, 'global');
      await page.click('.marker[data-type="ipi"]');
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(DOCS_IMG, 'async_handoff_global.png'), fullPage: true, clip: { x: 0, y: 0, width: 1400, height: clip } });
      await choosePolicy(page, 'scoped:relaxed');
      await page.click('.marker[data-type="fault"]');
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(DOCS_IMG, 'async_handoff_scoped_relaxed.png'), fullPage: true, clip: { x: 0, y: 0, width: 1400, height: clip } });
    }
    await page.close();
  });

  it('zooms, pans and filters by context and key', async () => {
    const { file, results } = realReport('stray_irq_during_kmap', ['scoped:relaxed'], 'stray_filters');
    const r = results[0]!;
    const { page } = await openReport(browser, file);
    const range = () => page.$eval('#timeline svg', (s) => Number((s as SVGElement).dataset.t1) - Number((s as SVGElement).dataset.t0));
    const full = await range();
    await page.click('#zoom-in');
    await page.waitForFunction((f) => {
      const s = document.querySelector<SVGElement>('#timeline svg');
      return !!s && Number(s.dataset.t1) - Number(s.dataset.t0) < f;
    }, full);
    expect(await range()).toBeCloseTo(full / 2, 5);
    await page.keyboard.press('ArrowRight');
    // Ctrl+wheel zooms in further at the pointer.
    // (#timeline is stable; its svg is replaced on every redraw, e.g. the one ArrowRight scheduled.)
    const bb = (await page.locator('#timeline').boundingBox())!;
    await page.mouse.move(bb.x + bb.width / 2, bb.y + 40);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForFunction((f) => {
      const s = document.querySelector<SVGElement>('#timeline svg');
      return !!s && Number(s.dataset.t1) - Number(s.dataset.t0) < f / 2 - 1e-9;
    }, full);
    await page.click('#zoom-reset');
    await page.waitForFunction((f) => {
      const s = document.querySelector<SVGElement>('#timeline svg');
      return !!s && Number(s.dataset.t1) - Number(s.dataset.t0) === f;
    }, full);
    // Context filter: only the chosen context's markers remain, other frames are dimmed.
    const ctx = r.config.contexts.find((c) => c.kind === 'hardirq')!.name;
    await page.selectOption('#ctx-filter', ctx);
    const shown = await page.$$eval('.marker', (ms) => ms.length);
    const all = await page.evaluate(() => (JSON.parse(document.getElementById('pksim-data')!.textContent) as { runs: { markers: unknown[] }[] }).runs[0]!.markers.length);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(all);
    expect(await page.$$eval('.span:not(.dim)', (s) => s.every((e) => (e as SVGElement).dataset.ctx !== 'writer'))).toBe(true);
    // The #PF handler's frame and its fault, warning and pardon are charged to the interrupt.
    const undimmed = await page.$$eval('.span:not(.dim)', (s) => s.map((e) => `${(e as SVGElement).dataset.kind}:${(e as SVGElement).dataset.owner}`));
    expect(undimmed).toContain(`exception:${ctx}`);
    const shownTypes = await page.$$eval('.marker', (ms) => ms.map((m) => (m as SVGElement).dataset.type));
    for (const t of ['fault', 'warning', 'pardon', 'stray']) {
      expect(shownTypes.filter((x) => x === t).length, t).toBe(expected(r).markers[t]);
    }
    await page.selectOption('#ctx-filter', '');
    // Key filter: unticking the key removes its bands.
    const key = r.config.keys[0]!.id;
    await page.uncheck(`#key-filter input[data-key="${key}"]`);
    expect(await page.$$eval(`.band[data-key="${key}"]`, (b) => b.length)).toBe(0);
    await page.check(`#key-filter input[data-key="${key}"]`);
    expect(await page.$$eval(`.band[data-key="${key}"]`, (b) => b.length)).toBeGreaterThan(0);
    await page.close();
  });

  it('renders hostile names as text', async () => {
    const XSS = '<img src=x onerror=alert(1)>';
    const ir = loadScenario('async_handoff_softirq');
    const r = runScenario(ir, { policy: 'scoped:relaxed' });
    const evil = '<script>alert(2)</script>';
    const rename = (s: string): string => (s === 'block_done' ? evil : s);
    const hostile: RunResult = {
      ...r,
      scenario: XSS,
      config: { ...r.config, contexts: r.config.contexts.map((c) => ({ ...c, name: rename(c.name) })) },
      events: r.events.map((e) => ({ ...e, ctxName: rename(e.ctxName), ...('name' in e ? { name: rename(e.name) } : {}) })),
    };
    const file = join(ARTIFACTS, 'xss.html');
    writeFileSync(file, renderHtml([hostile], { sources: { [ir.file]: ir.source.replace('write(p, 0x10)', `write(p, 0x10) // ${XSS}`) } }));
    const { page, dialogs, errors } = await openReport(browser, file);
    expect(await page.textContent('#title')).toBe(XSS);
    expect(await page.title()).toBe(`pksim: ${XSS}`);
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.$$eval('script', (s) => s.length)).toBe(2);
    expect(await page.$$eval('.span', (s) => s.some((e) => (e as SVGElement).dataset.ctx === '<script>alert(2)</script>'))).toBe(true);
    await page.click('.marker[data-type="fault"]');
    expect(await page.textContent('#source-line')).toContain(XSS);
    expect(await page.textContent('#panel')).toContain(evil);
    // The run log and the event list show the names as text too.
    await page.waitForSelector('body[data-log-ready="0"]');
    expect(await page.textContent('#log-lines')).toContain(XSS);
    expect(await page.textContent('#event-list')).toContain(evil);
    expect(await page.$$('#log-lines script, #event-list script, #log-lines img')).toHaveLength(0);
    await page.waitForTimeout(100);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the largest library scenario: report size and load time (printed)', async () => {
    let largest = '';
    let most = -1;
    for (const name of libraryNames()) {
      const n = runScenario(loadScenario(name), { policy: 'scoped:relaxed' }).events.length;
      if (n > most) [largest, most] = [name, n];
    }
    const { file, size, results } = realReport(largest, ALL_POLICIES, 'largest_compare');
    const { page, loadMs, errors } = await openReport(browser, file);
    const renderMs = await page.getAttribute('body', 'data-render-ms');
    const events = results.reduce((a, r) => a + r.events.length, 0);
    console.log(
      `largest library scenario ${largest}: compare report of ${results.length} policies, ${events} events, ` +
        `${(size / 1024).toFixed(1)} KiB, loaded in ${loadMs} ms (first render ${renderMs} ms)`,
    );
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'largest_compare.png'), fullPage: true });
    await page.close();
  });

  it('a long run (the library scenario repeated to 20k+ events): size, load and zoom time (printed)', async () => {
    const ir = loadScenario('stray_irq_during_kmap');
    const runs = ['global', 'scoped:relaxed'].map((p) => repeatRun(runScenario(ir, { policy: p }), 400));
    const html = renderHtml(runs, { sources: { [ir.file]: ir.source } });
    const file = join(ARTIFACTS, 'long_run.html');
    writeFileSync(file, html);
    const { page, loadMs, errors } = await openReport(browser, file);
    const t0 = Date.now();
    await page.click('#zoom-in');
    await page.waitForFunction(() => document.querySelectorAll('.span').length > 0);
    await choosePolicy(page, 'scoped:relaxed');
    const switchMs = Date.now() - t0;
    const events = runs.reduce((a, r) => a + r.events.length, 0);
    console.log(
      `long run: ${events} events in 2 policies, ${(Buffer.byteLength(html) / 1024).toFixed(1)} KiB, loaded in ${loadMs} ms, ` +
        `zoom + policy switch ${switchMs} ms, ${await page.$$eval('#timeline svg *', (e) => e.length)} SVG elements drawn`,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
