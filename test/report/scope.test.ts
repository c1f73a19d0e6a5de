import { describe, expect, it } from 'vitest';
import { defaultCompare } from '../../src/policy/index.js';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { TRACE_FIELDS } from '../../src/sim/metrics.js';
import type { RunResult } from '../../src/sim/result.js';
import { buildTimeline, keyBands } from '../../src/report/timeline.js';
import { exposureSeries, scopeBands, type ScopedBand } from '../../src/report/scope.js';

function bandsOf(r: RunResult): ScopedBand[] {
  const tl = buildTimeline(r);
  const keys = r.config.keys.map((k) => k.id);
  return scopeBands(r, tl, keyBands(tl, keys, r.config.cr4pks), keys);
}

/** Per tick and CPU, the sample in force (samples are change points). */
function* ticks(r: RunResult): Generator<{ tick: number; cpu: number; open: number; unscoped: number; rate: number }> {
  const s = r.samples!;
  const cur = new Map<number, number[]>();
  let i = 0;
  for (let tick = 0; tick < r.summary.ticks; tick++) {
    for (; i < s.length && s[i] === tick; i += TRACE_FIELDS) cur.set(s[i + 1]!, s.slice(i + 2, i + TRACE_FIELDS));
    for (const [cpu, [open, unscoped, rate]] of cur) yield { tick, cpu, open: open!, unscoped: unscoped!, rate: rate! };
  }
}

const runs = (): { name: string; policy: string; r: RunResult }[] =>
  libraryNames().flatMap((name) => defaultCompare().map((policy) => ({ name, policy, r: runScenario(loadScenario(name), { policy }) })));

describe('key band scope (whose open key it is)', () => {
  const all = runs();

  it('samples: their open and unscoped keys add up to keyOpenTicks and unscopedTicks, their pages to exposure', () => {
    for (const { name, policy, r } of all) {
      let open = 0;
      let unscoped = 0;
      let exposure = 0;
      for (const x of ticks(r)) {
        if (x.open < 0) continue;
        for (let k = 0; k < 16; k++) {
          open += (x.open >>> k) & 1;
          unscoped += (x.unscoped >>> k) & 1;
        }
        exposure += x.rate;
      }
      expect([open, unscoped, exposure], `${name} ${policy}`).toEqual([r.summary.keyOpenTicks, r.summary.unscopedTicks, r.summary.exposure]);
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
        if (x.open < 0) continue;
        for (const k of r.config.keys) {
          if (((x.open >>> k.id) & 1) === 0) continue;
          const t = x.tick + 0.9995;
          const b = bands.find((b) => b.cpu === x.cpu && b.key === k.id && b.start <= t && t < b.end);
          const where = `${name} ${policy} tick ${x.tick} cpu ${x.cpu} key ${k.id}`;
          expect(b?.state, where).not.toBe('closed');
          expect(b?.scope === 'own', where).toBe(((x.unscoped >>> k.id) & 1) === 0);
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
