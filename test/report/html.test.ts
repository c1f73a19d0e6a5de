import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportExistsError, buildViewModel, escapeHtml, jsonForScript, renderHtml, writeHtmlReport, writePerfetto } from '../../src/report/index.js';
import { BAND_FIELDS, SPAN_FIELDS, type ViewModel } from '../../src/report/model.js';
import { handoffGlobal, handoffScopedRelaxed } from '../fixtures/report/handoff.js';
import { repeatRun } from '../fixtures/report/big.js';
import type { RunResult } from '../../src/sim/result.js';

const XSS = '<img src=x onerror=alert(1)>';

function embedded(html: string): ViewModel {
  const m = /<script type="application\/json" id="pksim-data">([^]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no data script');
  return JSON.parse(m[1]!) as ViewModel;
}

function hostile(): RunResult {
  const r = handoffScopedRelaxed();
  const rename = (s: string): string => (s === 'block_done' ? '</script><script>alert(2)</script>' : s);
  r.scenario = XSS;
  r.file = 'a"b\'<c>.pks';
  r.config.contexts = r.config.contexts.map((c) => ({ ...c, name: rename(c.name) }));
  r.config.keys = [{ name: '<b>&amp;"key"</b>', id: 1, default: 'noaccess' }];
  r.events = r.events.map((e) => ({ ...e, ctxName: rename(e.ctxName), ...(e.type === 'entry' || e.type === 'exit' ? { name: rename(e.name) } : {}) }));
  (r as { source?: string }).source = `<!-- x --> <script>alert(3)</script>\n`.repeat(30);
  return r;
}

describe('renderHtml', () => {
  it('is one self-contained file: no external resource, a CSP that forbids the network', () => {
    const html = renderHtml([handoffScopedRelaxed()]);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//); // the SVG namespace is a name, not a fetch
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    // The only script allowed is the inlined viewer, by hash.
    const script = /<script>([^]*)<\/script>\s*<\/body>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toContain(`'sha256-${hash}'`);
  });

  it('is deterministic', () => {
    expect(renderHtml([handoffScopedRelaxed(), handoffGlobal()])).toBe(renderHtml([handoffScopedRelaxed(), handoffGlobal()]));
  });

  it('escapes user text: a hostile scenario, context, key, file and source stay data', () => {
    const html = renderHtml([hostile()]);
    // Exactly the two script elements of the skeleton: the data and the viewer.
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<!-- x');
    expect(html).toContain(`<title>pksim: &#60;img src=x onerror=alert(1)&#62;</title>`);
    // The data round-trips exactly.
    const model = embedded(html);
    expect(model.title).toBe(XSS);
    expect(model.runs[0]!.contexts).toContain('</script><script>alert(2)</script>');
    expect(model.runs[0]!.keys[0]!.name).toBe('<b>&amp;"key"</b>');
    expect(model.sources[0]!.lines[0]).toBe('<!-- x --> <script>alert(3)</script>');
  });

  it('escape helpers', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const s = jsonForScript({ a: '</script>\u2028<!--&' });
    expect(s).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(s)).toEqual({ a: '</script>\u2028<!--&' });
  });

  it('embeds a compact model: spans, bands and markers derived from the events', () => {
    const r = handoffScopedRelaxed();
    const run = buildViewModel([r]).runs[0]!;
    const entries = r.events.filter((e) => e.type === 'entry').length;
    const switchedIn = r.events.filter((e) => e.type === 'switch' && e.toCtx >= 0).length;
    expect(run.spans.length / SPAN_FIELDS).toBe(entries + switchedIn);
    // Bands: per CPU, one more than the changes of key 1's rights over the PKRS writes.
    for (const cpu of [0, 1]) {
      let last = 'closed';
      let changes = 0;
      for (const e of r.events) {
        if (e.type !== 'pkrs_write' || e.cpu !== cpu) continue;
        const st = e.value & 4 ? 'closed' : e.value & 8 ? 'readonly' : 'rw';
        if (st !== last) changes++;
        last = st;
      }
      let bands = 0;
      for (let i = 0; i < run.bands.length; i += BAND_FIELDS) if (run.bands[i] === cpu) bands++;
      expect(bands).toBe(changes + 1);
    }
    const types = (t: string): number => run.markers.filter((m) => m.type === t).length;
    expect(types('fault')).toBe(r.events.filter((e) => e.type === 'fault').length);
    expect(types('pardon')).toBe(2);
    expect(types('warning')).toBe(2);
    expect(run.markers.filter((m) => m.type === 'warning').map((m) => m.sub)).toEqual(['printed', 'suppressed']);
    expect(run.markers.filter((m) => m.type === 'stray').map((m) => m.sub)).toEqual(['missed']);
    // The fault marker decodes the PKRS checked by the access (key 1 AD).
    expect(run.markers.find((m) => m.type === 'fault')!.pkrs).toBe(4);
    expect(run.markers.find((m) => m.type === 'pardon')!.pkrs).toBe(0);
  });

  it('handles a result without source text', () => {
    const model = buildViewModel([handoffScopedRelaxed(false)]);
    expect(model.sources).toEqual([]);
    expect(model.runs[0]!.source).toBe(-1);
  });

  it('shares one copy of the source between the policies of a compare report', () => {
    const model = buildViewModel([handoffScopedRelaxed(), handoffGlobal()]);
    expect(model.sources).toHaveLength(1);
    expect(model.runs.map((r) => r.label)).toEqual(['scoped:relaxed', 'global']);
  });

  it('compare header mixed scenario and policy ("policy async_handoff_softirq · none"): label is the policy, choice adds the scenario', () => {
    const other = { ...handoffGlobal(), scenario: 'other' };
    const model = buildViewModel([handoffScopedRelaxed(), other]);
    expect(model.runs.map((r) => r.label)).toEqual(['scoped:relaxed', 'global']);
    expect(model.runs.map((r) => r.choice)).toEqual(['async_handoff_fixture · scoped:relaxed', 'other · global']);
    const one = buildViewModel([handoffScopedRelaxed(), handoffGlobal()]);
    expect(one.runs.map((r) => r.choice)).toEqual(['scoped:relaxed', 'global']);
  });

  it('labels a design as the CLI does: abandon, not abandon:relaxed', () => {
    for (const [policy, mode, want] of [
      ['abandon', 'relaxed', 'abandon'],
      ['exception', 'relaxed', 'exception'],
      ['abandon:strict', 'strict', 'abandon:strict'],
      ['scoped', 'relaxed', 'scoped:relaxed'],
      ['none', null, 'none'],
    ] as const) {
      const r = { ...handoffGlobal(), policy, mode };
      expect(buildViewModel([r]).runs[0]!.label, policy).toBe(want);
    }
  });

  it('stays under 2 MB for a long run (20k+ events)', () => {
    const big = repeatRun(handoffScopedRelaxed(), 600);
    expect(big.events.length).toBeGreaterThan(20000);
    const html = renderHtml([big]);
    const size = Buffer.byteLength(html);
    console.log(`report of ${big.events.length} events: ${(size / 1024).toFixed(0)} KiB`);
    expect(size).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('writers', () => {
  it('refuse to overwrite unless forced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-report-'));
    const html = join(dir, 'r.html');
    const json = join(dir, 't.json');
    writeHtmlReport(html, [handoffScopedRelaxed()]);
    writePerfetto(json, handoffGlobal());
    expect(() => writeHtmlReport(html, [handoffGlobal()])).toThrow(ReportExistsError);
    expect(() => writePerfetto(json, handoffGlobal())).toThrow(/already exists \(use --force/);
    writeFileSync(json, 'x');
    writePerfetto(json, handoffGlobal(), { force: true });
    expect(JSON.parse(readFileSync(json, 'utf8')).traceEvents.length).toBeGreaterThan(0);
    writeHtmlReport(html, [handoffGlobal()], { force: true });
    expect(embedded(readFileSync(html, 'utf8')).runs[0]!.policy).toBe('global');
  });
});
