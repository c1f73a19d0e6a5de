// The Perfetto export of real runs: flow arrows from flows.ts, an exposure counter per CPU,
// args in the scenario's names, no instant the scenario did not cause.

import { describe, expect, it } from 'vitest';
import { toPerfetto, type TraceEvent } from '../../src/report/index.js';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { defaultCompare } from '../../src/policy/index.js';
import { traceProblems } from './trace-format.js';

interface Slice {
  name: string;
  tid: number;
  start: number;
  end: number;
}

/** The slices of a parsed trace (B/E pairs per thread), as a trace viewer rebuilds them. */
function slices(evs: TraceEvent[]): Slice[] {
  const out: Slice[] = [];
  const open = new Map<number, { name: string; start: number }[]>();
  for (const e of evs) {
    if (e.ph === 'B') open.set(e.tid, [...(open.get(e.tid) ?? []), { name: e.name, start: e.ts }]);
    if (e.ph === 'E') {
      const st = open.get(e.tid)!;
      const b = st.pop()!;
      out.push({ name: b.name, tid: e.tid, start: b.start, end: e.ts });
    }
  }
  return out;
}

/** The innermost slice on a thread around a time (what a flow event with bp 'e' binds to). */
function enclosing(ss: Slice[], tid: number, ts: number): Slice | undefined {
  return ss.filter((s) => s.tid === tid && s.start <= ts && ts <= s.end).sort((a, b) => b.start - a.start || a.end - b.end)[0];
}

const parsed = (name: string, policy: string) => JSON.parse(JSON.stringify(toPerfetto(runScenario(loadScenario(name), { policy })))) as { traceEvents: TraceEvent[] };

describe('Perfetto flows, exposure and names', () => {
  it('perfetto flow: async_handoff_softirq has arrows from the writer to the block_done softirq (send -> recv, raise -> entry) and back (wake-up)', () => {
    const { traceEvents: evs } = parsed('async_handoff_softirq', 'scoped:relaxed');
    expect(traceProblems({ traceEvents: evs })).toEqual([]);
    const ss = slices(evs);
    const starts = evs.filter((e) => e.ph === 's');
    const pairs = starts.map((s) => ({ s, f: evs.find((e) => e.ph === 'f' && e.id === s.id)! }));
    const bound = pairs.map(({ s, f }) => ({ name: s.name, from: enclosing(ss, s.tid, s.ts)?.name, to: enclosing(ss, f.tid, f.ts)?.name, f }));
    expect(bound).toContainEqual(expect.objectContaining({ name: 'send -> recv: bio', from: 'writer', to: 'block_done' }));
    expect(bound).toContainEqual(expect.objectContaining({ name: 'raise -> entry: block_done', from: 'writer', to: 'block_done' }));
    expect(bound).toContainEqual(expect.objectContaining({ name: 'wake-up: completion done', from: 'block_done', to: 'writer' }));
    for (const { f } of pairs) expect(f.bp).toBe('e');
  });

  it('perfetto flow: queue_work to the work item and IPIs are arrows too', () => {
    const { traceEvents: evs } = parsed('async_handoff_workqueue', 'global');
    const names = evs.filter((e) => e.ph === 's').map((e) => e.name);
    expect(names).toContain('queue_work -> run: decrypt');
    expect(names.filter((n) => n.startsWith('IPI: '))).toEqual(['IPI: kmap: global enable of key 1', 'IPI: kunmap: global disable of key 1']);
  });

  it('perfetto: every library run under every design is a valid trace whose flows pair', () => {
    for (const name of libraryNames()) {
      for (const policy of ['global', 'abandon', 'exception', 'scoped:strict', 'scoped:relaxed']) {
        const { traceEvents: evs } = parsed(name, policy);
        expect(traceProblems({ traceEvents: evs }), `${name} ${policy}`).toEqual([]);
      }
    }
  });

  it('perfetto exposure: a counter per CPU with the pages a stray access could reach unnoticed, summing to the run exposure', () => {
    const r = runScenario(loadScenario('async_handoff_softirq'), { policy: 'global' });
    const evs = toPerfetto(r).traceEvents.filter((e) => e.ph === 'C' && e.name.endsWith('exposure'));
    expect(new Set(evs.map((e) => e.name))).toEqual(new Set(['CPU 0 exposure', 'CPU 1 exposure']));
    // The counter's value holds from its timestamp to the next change: integrate over the ticks.
    let total = 0;
    for (const cpu of [0, 1]) {
      const mine = evs.filter((e) => e.name === `CPU ${cpu} exposure`);
      for (let i = 0; i < mine.length; i++) {
        const until = i + 1 < mine.length ? mine[i + 1]!.ts : r.summary.ticks;
        total += (mine[i]!.args!.pages as number) * (until - mine[i]!.ts);
      }
    }
    expect(total).toBe(r.summary.exposure);
    expect(r.summary.exposure).toBeGreaterThan(0);
  });

  it('perfetto exposure counter: a new value only when the pages, read or write change, not when only the keys open do', () => {
    let counters = 0;
    for (const name of libraryNames())
      for (const policy of defaultCompare()) {
        const r = runScenario(loadScenario(name), { policy });
        const evs = toPerfetto(r).traceEvents.filter((e) => e.ph === 'C' && e.name.endsWith('exposure'));
        let total = 0;
        for (let cpu = 0; cpu < r.config.cpus; cpu++) {
          const mine = evs.filter((e) => e.name === `CPU ${cpu} exposure`);
          expect(mine.length, `${name} ${policy} cpu ${cpu}`).toBeGreaterThan(0);
          for (let i = 0; i < mine.length; i++) {
            if (i > 0) expect(mine[i]!.args, `${name} ${policy} cpu ${cpu} ts ${mine[i]!.ts}`).not.toEqual(mine[i - 1]!.args);
            total += (mine[i]!.args!.pages as number) * ((mine[i + 1]?.ts ?? r.summary.ticks) - mine[i]!.ts);
          }
          counters += mine.length;
        }
        expect(total, `${name} ${policy}`).toBe(r.summary.exposure);
      }
    expect(counters).toBeGreaterThan(50);
  });

  it('perfetto names: args say page and key names and addresses, never an internal mapping or context id', () => {
    const { traceEvents: evs } = parsed('async_handoff_softirq', 'scoped:relaxed');
    const text = JSON.stringify(evs);
    expect(text).not.toMatch(/"mapping"/);
    expect(text).not.toMatch(/"ctx":/);
    const map = evs.find((e) => e.ph === 'i' && e.cat === 'map')!;
    expect(map.args).toMatchObject({ page: 'buf', addr: '0xffff888000001000', how: 'kmap', context: 'writer' });
    const fault = evs.find((e) => e.ph === 'i' && e.cat === 'fault')!;
    expect(fault.args).toMatchObject({ page: 'buf', key: '1 (pmem)', error_code: '0x0023', addr: '0xffff888000001010' });
  });

  it('perfetto: no invented events: each grant/revoke instant is a grant_access()/revoke_access() of the scenario', () => {
    for (const name of libraryNames()) {
      const ir = loadScenario(name);
      const src = ir.source.split('\n');
      for (const policy of ['global', 'scoped:relaxed', 'exception']) {
        const evs = toPerfetto(runScenario(ir, { policy })).traceEvents.filter((e) => e.ph === 'i' && (e.cat === 'grant' || e.cat === 'revoke'));
        for (const e of evs) {
          const line = Number(/:(\d+):\d+$/.exec(String(e.args?.source))?.[1]);
          expect(src[line - 1], `${name} ${policy} ${e.name}`).toMatch(e.cat === 'grant' ? /grant_access\(/ : /revoke_access\(/);
        }
      }
    }
  });

  it('trace-format: a flow start without its finish, or a finish before its start, is a problem', () => {
    const base = { pid: 1, tid: 1, cat: 'flow' };
    const meta = { name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'p' } };
    expect(traceProblems({ traceEvents: [meta, { ...base, name: 'a', ph: 's', id: 1, ts: 1 }] })).toEqual(['flow flow:1: 1 start(s) and 0 finish(es), not one of each']);
    expect(traceProblems({ traceEvents: [meta, { ...base, name: 'a', ph: 'f', id: 2, ts: 1, bp: 'e' }, { ...base, tid: 2, name: 'a', ph: 's', id: 2, ts: 3 }] })).toEqual([
      'flow flow:2: finishes at 1 before it starts at 3',
    ]);
    expect(traceProblems({ traceEvents: [meta, { ...base, name: 'a', ph: 's', ts: 1 }] })[0]).toMatch(/flow event without id/);
  });
});
