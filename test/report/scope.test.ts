import { describe, expect, it } from 'vitest';
import { defaultCompare } from '../../src/policy/index.js';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import type { RunResult } from '../../src/sim/result.js';
import { buildTimeline, keyBands } from '../../src/report/timeline.js';
import { exposureSeries, scopeBands, type ScopedBand } from '../../src/report/scope.js';

function bandsOf(r: RunResult): ScopedBand[] {
  const tl = buildTimeline(r);
  const keys = r.config.keys.map((k) => k.id);
  return scopeBands(r, tl, keyBands(tl, keys, r.config.cr4pks), keys);
}

/** Per tick and CPU, the `exposure` event in force (the events are change points). */
function* ticks(r: RunResult): Generator<{ tick: number; cpu: number; idle: boolean; open: number[]; unscoped: number[]; rate: number }> {
  const s = r.events.flatMap((e) => (e.type === 'exposure' ? [e] : []));
  const cur = new Map<number, (typeof s)[number]>();
  let i = 0;
  for (let tick = 0; tick < r.summary.ticks; tick++) {
    for (; i < s.length && s[i]!.tick === tick; i++) cur.set(s[i]!.cpu, s[i]!);
    for (const [cpu, e] of cur) yield { tick, cpu, idle: e.ctxKind === 'idle', open: e.open, unscoped: e.unscoped, rate: e.pages };
  }
  expect(i, 'exposure events past the last tick').toBe(s.length);
}

const runs = (): { name: string; policy: string; r: RunResult }[] =>
  libraryNames().flatMap((name) => defaultCompare().map((policy) => ({ name, policy, r: runScenario(loadScenario(name), { policy }) })));

describe('key band scope (whose open key it is)', () => {
  const all = runs();

  it('exposure events: their open and unscoped keys add up to keyOpenTicks and unscopedTicks, their pages to exposure', () => {
    for (const { name, policy, r } of all) {
      let open = 0;
      let unscoped = 0;
      let exposure = 0;
      for (const x of ticks(r)) {
        if (x.idle) expect([x.open, x.unscoped, x.rate], `${name} ${policy} idle cpu ${x.cpu} tick ${x.tick}`).toEqual([[], [], 0]);
        for (const k of x.unscoped) expect(x.open, `${name} ${policy} unscoped key ${k} is open`).toContain(k);
        open += x.open.length;
        unscoped += x.unscoped.length;
        exposure += x.rate;
      }
      expect([open, unscoped, exposure], `${name} ${policy}`).toEqual([r.summary.keyOpenTicks, r.summary.unscopedTicks, r.summary.exposure]);
    }
  });

  it('exposure events: one per change, never two equal in a row for a CPU', () => {
    for (const { name, policy, r } of all) {
      const last = new Map<number, string>();
      for (const e of r.events) {
        if (e.type !== 'exposure') continue;
        const sig = JSON.stringify([e.ctxKind === 'idle', e.pages, e.read, e.write, e.open, e.unscoped]);
        expect(last.get(e.cpu), `${name} ${policy} tick ${e.tick} cpu ${e.cpu}`).not.toBe(sig);
        last.set(e.cpu, sig);
      }
    }
  });

  it('events off: the lean end-of-tick sampling gives the same summary and windows as with events kept', () => {
    for (const { name, policy, r } of all) {
      const off = runScenario(loadScenario(name), { policy, events: false });
      expect(off.events, `${name} ${policy}`).toEqual([]);
      expect([off.summary, off.windows], `${name} ${policy}`).toEqual([r.summary, r.windows]);
    }
  });

  it('exposure series: its sum over the ticks is the run exposure', () => {
    for (const { name, policy, r } of all) {
      const s = exposureSeries(r, r.config.cpus);
      let sum = 0;
      for (let i = 0; i < s.length; i += 2) sum += s[i + 1]! * ((s[i + 2] ?? r.summary.ticks) - s[i]!);
      expect(sum, `${name} ${policy}`).toBe(r.summary.exposure);
    }
  });

  it('band scope agrees with the metric at the end of every tick: own when the context explains the open key, else unscoped', () => {
    let checked = 0;
    for (const { name, policy, r } of all) {
      const bands = bandsOf(r);
      for (const x of ticks(r)) {
        for (const k of x.open) {
          const t = x.tick + 0.9995;
          const b = bands.find((b) => b.cpu === x.cpu && b.key === k && b.start <= t && t < b.end);
          const where = `${name} ${policy} tick ${x.tick} cpu ${x.cpu} key ${k}`;
          expect(b?.state, where).not.toBe('closed');
          expect(b?.scope === 'own', where).toBe(!x.unscoped.includes(k));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('names the reason: a pardon in the softirq under scoped:relaxed, a global enable under global; the writer own', () => {
    const ir = loadScenario('async_handoff_softirq');
    const scopes = (policy: string, cpu: number) => [
      ...new Set(
        bandsOf(runScenario(ir, { policy }))
          .filter((b) => b.cpu === cpu && b.state !== 'closed')
          .map((b) => b.scope),
      ),
    ];
    expect(scopes('scoped:relaxed', 1)).toEqual(['pardon']);
    expect(scopes('scoped:relaxed', 0)).toEqual(['own']);
    expect(scopes('global', 1)).toContain('global');
    expect(scopes('global', 1)).not.toContain('pardon');
  });

  it('names abandoned keys (the library under abandon)', () => {
    const found = new Set(all.filter((x) => x.policy.startsWith('abandon')).flatMap(({ r }) => bandsOf(r).map((b) => b.scope)));
    expect(found).toContain('abandoned');
  });

  it('names a leaked grant: a work item left with its grant, the next item runs with the key open', () => {
    const src = [
      'key pmem = 1 default noaccess',
      'page buf key pmem',
      'task t cpu 0 { queue_work(a); queue_work(b) }',
      'worker w cpu 0',
      'work a on w { grant_access(pmem, READ|WRITE); x = page_address(buf); write(x) }',
      'work b on w { schedule(); schedule() }',
    ].join('\n');
    const r = runScenario(compileScenario(src, 'leak.pks'), { policy: 'scoped:relaxed' });
    expect(r.summary.leaks).toBeGreaterThan(0);
    expect(r.summary.unscopedTicks).toBeGreaterThan(0);
    const scopes = bandsOf(r)
      .filter((b) => b.state !== 'closed')
      .map((b) => b.scope);
    expect(scopes).toEqual(['own', 'leaked-grant']);
  });
});
