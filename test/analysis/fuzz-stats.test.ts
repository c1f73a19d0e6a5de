// The statistics of pksim fuzz against values known by construction or published.

import { describe, expect, it } from 'vitest';
import { meanT, ratioKatz, ratioMeans, tCdf, tQuantile, wilson } from '../../src/analysis/fuzz/stats.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { parseInjectSpec } from '../../src/sim/inject.js';
import { emptyStats } from '../../src/analysis/fuzz/acc.js';
import { fuzzRuns, horizonOf } from '../../src/analysis/fuzz/engine.js';
import { designNumbers } from '../../src/analysis/fuzz/report.js';

const HALF = new URL('../fixtures/fuzz/half_window.pks', import.meta.url).pathname;

describe('Wilson interval', () => {
  it('wilson matches the published 95% intervals', () => {
    const a = wilson(5, 10);
    expect(a.value).toBe(0.5);
    expect(a.lo).toBeCloseTo(0.236593, 6);
    expect(a.hi).toBeCloseTo(0.763407, 6);
    const zero = wilson(0, 10);
    expect(zero.lo).toBe(0);
    expect(zero.hi).toBeCloseTo(0.277533, 6);
    const one = wilson(1, 20);
    expect(one.lo).toBeCloseTo(0.008881, 6);
    expect(one.hi).toBeCloseTo(0.236131, 6);
    expect(wilson(3, 0)).toEqual({ value: null, lo: null, hi: null });
  });

  it('wilson is symmetric: x of n and n - x of n mirror each other', () => {
    const a = wilson(3, 17);
    const b = wilson(14, 17);
    expect(a.lo!).toBeCloseTo(1 - b.hi!, 12);
    expect(a.hi!).toBeCloseTo(1 - b.lo!, 12);
  });
});

describe('t interval', () => {
  it('t quantiles match the tables', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.706205, 5);
    expect(tQuantile(0.975, 9)).toBeCloseTo(2.262157, 6);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042272, 6);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 5);
    expect(tCdf(0, 5)).toBeCloseTo(0.5, 12);
  });

  it('meanT of 1..5 is 3 +- t(4) * sqrt(2.5 / 5)', () => {
    const m = meanT(5, 15, 55);
    expect(m.value).toBe(3);
    const h = 2.776445105 * Math.sqrt(2.5 / 5);
    expect(m.lo!).toBeCloseTo(3 - h, 6);
    expect(m.hi!).toBeCloseTo(3 + h, 6);
    // One run: a mean, no interval; a constant sample: a zero-width interval.
    expect(meanT(1, 7, 49)).toEqual({ value: 7, lo: null, hi: null });
    expect(meanT(4, 8, 16)).toEqual({ value: 2, lo: 2, hi: 2 });
  });
});

describe('ratio intervals', () => {
  it('ratioKatz of 10/100 over 20/100 is 0.5 with exp(+-z sqrt(0.13))', () => {
    const r = ratioKatz(10, 100, 20, 100);
    expect(r.value).toBeCloseTo(0.5, 12);
    expect(r.lo!).toBeCloseTo(0.246641, 6);
    expect(r.hi!).toBeCloseTo(1.01362, 5);
    expect(r.corrected).toBe(false);
  });

  it('ratioKatz with a zero count adds 0.5 to every count', () => {
    const r = ratioKatz(0, 10, 5, 10);
    expect(r.corrected).toBe(true);
    expect(r.value).toBeCloseTo(0.5 / 10.5 / (5.5 / 10.5), 12);
    expect(r.lo!).toBeLessThan(r.value!);
    expect(r.hi!).toBeGreaterThan(r.value!);
  });

  it('ratioMeans of (2,4,6,8) over (1,2,3,4) is 2 with the delta-method interval', () => {
    const r = ratioMeans(4, 20, 120, 4, 10, 30);
    expect(r.value).toBe(2);
    expect(r.lo!).toBeCloseTo(0.977721, 6);
    expect(r.hi!).toBeCloseTo(4.091145, 6);
    expect(ratioMeans(4, 20, 120, 4, 0, 0).value).toBeNull();
    expect(ratioMeans(4, 0, 0, 4, 10, 30)).toEqual({ value: 0, lo: null, hi: null });
  });
});

describe('known by construction: half the injection ticks in an open window', () => {
  const ir = loadScenario(HALF);
  const opts = { seed: 5, runs: 400, warn: 'once' as const, resetPoints: [], maxSteps: 1000, examples: 2, kinds: [0] };

  it('half window: exactly half of the ticks of the run find the key open', () => {
    const horizon = horizonOf(ir, opts);
    expect(horizon).toBe(16);
    let missed = 0;
    for (let t = 0; t < horizon; t++) {
      const r = runScenario(ir, { policy: 'scoped:strict', inject: parseInjectSpec(`tick=${t},kind=forged,op=write`, ir) });
      if (r.injection!.fate === 'missed') missed++;
      else expect(r.injection!.fate).toBe('caught');
    }
    expect(missed).toBe(horizon / 2);
  });

  it('half window: the fuzzed missed rate is near 1/2 and its interval is the Wilson interval of its counts', () => {
    const st = fuzzRuns(ir, 'scoped:strict', horizonOf(ir, opts), opts, 0, opts.runs, emptyStats());
    expect(st.runs).toBe(400);
    expect(st.fired).toBe(400);
    expect(st.caught + st.missed).toBe(400);
    const d = designNumbers('scoped:strict', st);
    expect(d.missed.lo!).toBeLessThan(0.5);
    expect(d.missed.hi!).toBeGreaterThan(0.5);
    const w = wilson(st.missed, 400);
    expect(d.missed.lo).toBeCloseTo(w.lo!, 5);
    expect(d.missed.hi).toBeCloseTo(w.hi!, 5);
    // Without PKS every one is missed: the interval is [0.990..., 1].
    const none = designNumbers('none', fuzzRuns(ir, 'none', 16, opts, 0, opts.runs, emptyStats()));
    expect(none.missed.value).toBe(1);
    expect(none.missed.hi).toBe(1);
    expect(none.missed.lo).toBeCloseTo(wilson(400, 400).lo!, 5);
  });
});
