import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toPerfetto, type TraceEvent } from '../../src/report/index.js';
import { handoffGlobal, handoffScopedRelaxed, handoffConfig } from '../fixtures/report/handoff.js';
import { IDLE, Trace, result, type Ctx } from '../fixtures/report/builder.js';
import { traceProblems } from './trace-format.js';
import type { PksimEvent } from '../../src/kernel/events.js';

const byPh = (evs: TraceEvent[], ph: string): TraceEvent[] => evs.filter((e) => e.ph === ph);

describe('toPerfetto on the hand-made handoff runs', () => {
  for (const make of [handoffScopedRelaxed, handoffGlobal]) {
    const r = make();
    const trace = toPerfetto(r);
    const evs = trace.traceEvents;

    it(`${r.policy}: is a valid trace-event file`, () => {
      expect(traceProblems(JSON.parse(JSON.stringify(trace)))).toEqual([]);
      expect(trace.displayTimeUnit).toBe('ns');
    });

    it(`${r.policy}: names the machine process and one thread per CPU`, () => {
      const meta = byPh(evs, 'M');
      expect(meta.filter((e) => e.name === 'process_name')).toHaveLength(1);
      const threads = meta.filter((e) => e.name === 'thread_name').map((e) => e.args?.name);
      expect(threads).toEqual(['CPU 0', 'CPU 1']);
    });

    it(`${r.policy}: a slice per context frame, one per entry plus one per task switched in`, () => {
      const entries = r.events.filter((e) => e.type === 'entry').length;
      const switchedIn = r.events.filter((e) => e.type === 'switch' && e.toCtx >= 0).length;
      expect(byPh(evs, 'B')).toHaveLength(entries + switchedIn);
      expect(byPh(evs, 'E')).toHaveLength(entries + switchedIn);
      // Every slice sits on the thread of the CPU it ran on.
      const softirq = byPh(evs, 'B').find((e) => e.name === 'block_done');
      expect(softirq?.tid).toBe(2);
    });

    it(`${r.policy}: an instant per fault, warning, pardon, oops, stray, map, unmap, ipi`, () => {
      const count = (pred: (e: PksimEvent) => boolean): number => r.events.filter(pred).length;
      const inst = byPh(evs, 'i');
      expect(inst.filter((e) => e.cat === 'fault')).toHaveLength(count((e) => e.type === 'fault'));
      expect(inst.filter((e) => e.cat === 'warning')).toHaveLength(count((e) => e.type === 'warning'));
      expect(inst.filter((e) => e.cat === 'pardon')).toHaveLength(count((e) => e.type === 'pardon'));
      expect(inst.filter((e) => e.cat === 'map')).toHaveLength(count((e) => e.type === 'map'));
      expect(inst.filter((e) => e.cat === 'ipi')).toHaveLength(count((e) => e.type === 'ipi'));
      expect(inst.filter((e) => e.cat === 'stray')).toHaveLength(count((e) => e.type === 'access' && (e as { class?: string }).class === 'stray'));
      for (const e of inst) expect(e.s).toBe('t');
    });

    it(`${r.policy}: ticks become microseconds; instants carry the decoded context`, () => {
      const inst = byPh(evs, 'i').filter((e) => e.cat === 'fault' || e.cat === 'stray');
      const src = r.events.filter((e) => e.type === 'fault' || (e.type === 'access' && (e as { class?: string }).class === 'stray'));
      expect(inst.map((e) => Math.floor(e.ts)).sort((a, b) => a - b)).toEqual(src.map((e) => e.tick));
      const fault = inst[0];
      expect(fault!.args?.pkrs).toMatch(/^0x[0-9a-f]{8}$/);
      expect(fault!.args?.source).toMatch(/handoff_fixture\.pks:\d+:\d+$/);
    });
  }

  it('counter tracks show the key open on CPU 1 only while the pardoned softirq runs (scoped)', () => {
    const c = byPh(toPerfetto(handoffScopedRelaxed()).traceEvents, 'C').filter((e) => e.name === 'CPU 1 open keys');
    expect(c.map((e) => e.args?.rw)).toEqual([0, 1, 0]);
    // Softirq entered at tick 4, pardoned at tick 5, left at tick 10.
    expect(c[1]!.ts).toBe(5);
    expect(c[2]!.ts).toBe(10);
  });

  it('timestamps are whole microseconds, one per tick: no float noise such as 7.7780000000000005', () => {
    for (const make of [handoffScopedRelaxed, handoffGlobal]) {
      const r = make();
      const evs = toPerfetto(r).traceEvents;
      for (const e of evs) expect(Number.isInteger(e.ts), `${e.name} ts ${e.ts}`).toBe(true);
      expect(JSON.stringify(evs)).not.toMatch(/"ts":\d+\.\d/);
      // Instants sit at their event's tick.
      const faults = byPh(evs, 'i')
        .filter((e) => e.cat === 'fault')
        .map((e) => e.ts)
        .sort((a, b) => a - b);
      expect(faults).toEqual(r.events.filter((e) => e.type === 'fault').map((e) => e.tick));
    }
  });

  it('counter tracks show the global enable on both CPUs from kmap to kunmap (global)', () => {
    const c = byPh(toPerfetto(handoffGlobal()).traceEvents, 'C');
    for (const cpu of [0, 1]) {
      const mine = c.filter((e) => e.name === `CPU ${cpu} open keys`);
      expect(mine.map((e) => e.args?.rw)).toEqual([0, 1, 0]);
      expect(Math.floor(mine[1]!.ts)).toBe(1);
      expect(Math.floor(mine[2]!.ts)).toBe(12);
    }
  });

  it('with CR4.PKS clear every key counts as open', () => {
    const r = handoffScopedRelaxed();
    r.config = handoffConfig(false);
    const c = byPh(toPerfetto(r).traceEvents, 'C').filter((e) => e.name.endsWith('open keys'));
    expect(new Set(c.map((e) => e.args?.rw))).toEqual(new Set([1]));
  });
});

// Random event streams, including unbalanced exits, switches with interrupts on top and
// same-tick bursts: the export must stay a valid, properly nested trace.
const ctxs: Ctx[] = [
  { id: 0, name: 't0', kind: 'user' },
  { id: 1, name: 't1', kind: 'kthread' },
  { id: 2, name: 's', kind: 'softirq' },
  { id: 3, name: 'h', kind: 'hardirq' },
  { id: 4, name: 'n', kind: 'nmi' },
  { id: 5, name: '#PF', kind: 'exception' },
];
const op = fc.record({
  cpu: fc.integer({ min: 0, max: 2 }),
  dt: fc.integer({ min: 0, max: 2 }),
  what: fc.constantFrom('entry', 'exit', 'switch', 'idle', 'pkrs', 'fault', 'stray'),
  c: fc.integer({ min: 0, max: ctxs.length - 1 }),
  v: fc.integer({ min: 0, max: 0x3f }),
});

describe('toPerfetto on random event streams', () => {
  it('always gives a valid trace', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = new Trace('rand.pks');
        for (const o of ops) {
          t.next(o.dt);
          const c = ctxs[o.c]!;
          if (o.what === 'entry') t.at(o.cpu, c, { type: 'entry', kind: c.kind as 'softirq', name: c.name, savedPkrs: 0, depth: 0 });
          else if (o.what === 'exit') t.at(o.cpu, c, { type: 'exit', kind: c.kind as 'softirq', name: c.name, restoredPkrs: 0, depth: 0 });
          else if (o.what === 'switch') t.at(o.cpu, c, { type: 'switch', from: '?', to: c.name, fromCtx: -1, toCtx: c.id });
          else if (o.what === 'idle') t.at(o.cpu, IDLE, { type: 'switch', from: '?', to: 'idle', fromCtx: c.id, toCtx: -1 });
          else if (o.what === 'pkrs') t.at(o.cpu, c, { type: 'pkrs_write', value: o.v, old: 0, skipped: false });
          else if (o.what === 'fault') t.at(o.cpu, c, { type: 'fault', addr: '0xffff888000001000', errorCode: 0x23, key: 1, page: 0, pkrs: o.v }, 3);
          else t.at(o.cpu, c, { type: 'access', write: true, addr: '0xffff888000001000', page: 0, key: 1, mapping: -1, outcome: 'ok', pkrs: o.v, class: 'stray' }, 4);
        }
        const r = result('rand', 'rand.pks', 'scoped', 'relaxed', { ...handoffConfig(), cpus: 2 }, t, {});
        const trace = JSON.parse(JSON.stringify(toPerfetto(r)));
        expect(traceProblems(trace)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
