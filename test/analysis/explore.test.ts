import { describe, expect, it } from 'vitest';
import { compileScenario, loadScenario } from '../../src/scenario/index.js';
import { explore } from '../../src/analysis/explore.js';
import { search } from '../../src/analysis/search.js';
import { runScenario, runTraced } from '../../src/sim/runner.js';
import { cli } from '../helpers.js';
import { fileURLToPath } from 'node:url';

// A buggy interrupt may fire at any time on cpu1 while cpu0 has a page kmap()ped.
const ANY_IRQ = `cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem
task writer cpu 0 {
    p = kmap(buf)
    write(p, 0)
    read(p, 0)
    kunmap(buf)
}
hardirq buggy cpu 1 at any {
    stray_write(buf, 0x80)
}
arch x86_32
`;

describe('explore', () => {
  const ir = compileScenario(ANY_IRQ, 'any.pks');

  it('bound 0 is the default schedule alone', () => {
    const r = explore(ir, { policy: 'global', bound: 0 });
    expect(r.runs).toBe(1);
    expect(r.complete).toBe(true);
    expect(r.outcomes).toHaveLength(1);
  });

  it('finds the interleaving where global misses the stray, and its schedule replays it', () => {
    const r = explore(ir, { policy: 'global', bound: 2, check: ['no-missed-stray'] });
    const v = r.violations.find((x) => x.invariant === 'no-missed-stray')!;
    expect(v).toBeDefined();
    expect(v.departures).toBeGreaterThanOrEqual(1); // the default fires the irq before kmap()
    const replay = runScenario(ir, { policy: 'global', schedule: v.schedule });
    expect(replay.summary.straysMissed).toBe(1);
    expect(replay.summary).toEqual(v.summary);
  });

  it('under scoped:relaxed the same interleavings warn instead of missing', () => {
    const r = explore(ir, { policy: 'scoped:relaxed', bound: 3, check: ['no-missed-stray'] });
    expect(r.complete).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.outcomes.some((o) => o.summary.straysWarned === 1)).toBe(true);
  });

  it('every explored schedule is a distinct run, and a larger bound covers the smaller one', () => {
    const b1 = explore(ir, { policy: 'none', bound: 1 });
    const b2 = explore(ir, { policy: 'none', bound: 2 });
    expect(b2.runs).toBeGreaterThan(b1.runs);
    for (const o of b1.outcomes) {
      expect(b2.outcomes.some((p) => p.stop === o.stop && JSON.stringify(p.summary) === JSON.stringify(o.summary))).toBe(true);
    }
    // Runs at bound 1 = 1 (default) + one per alternative at each choice point of the default run.
    const { result, counts } = runTraced(ir, { policy: 'none', events: false });
    expect(b1.runs).toBe(1 + counts.reduce((a, n) => a + n - 1, 0));
    expect(result.schedule.length).toBe(counts.length);
  });

  it('a thread-local scenario has no violation in any interleaving', () => {
    const r = explore(loadScenario('local_preempt_migrate'), { policy: 'scoped:strict', bound: 2, check: ['no-broken-legit', 'no-missed-stray', 'no-leak', 'no-deadlock'] });
    expect(r.complete).toBe(true);
    expect(r.runs).toBeGreaterThan(10);
    expect(r.violations).toEqual([]);
  });

  it('--max-runs stops an exploration and says it is incomplete', () => {
    const r = explore(ir, { policy: 'none', bound: 3, maxRuns: 3 });
    expect(r.runs).toBe(3);
    expect(r.complete).toBe(false);
    expect(r.stoppedBy).toBe('max-runs');
  });

  it('long runs under the default --max-runs took minutes (20,000 runs x 400k steps); --max-total-steps bounds the time', () => {
    const long = compileScenario('cpus 2\ntask a cpu 0 {\n  repeat 5000 { nop() }\n}\ntask b cpu 1 {\n  repeat 5000 { nop() }\n}\n', 'long.pks');
    const t0 = performance.now();
    const r = explore(long, { policy: 'none', maxTotalSteps: 200_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.stoppedBy).toBe('max-total-steps');
    expect(r.complete).toBe(false);
    expect(r.totalSteps).toBeGreaterThanOrEqual(200_000);
    expect(r.totalSteps).toBeLessThan(200_000 + 20_001); // stops after the run that crossed it
  });

  it("queued runs share their parent run's choices: the same runs as copying each prefix", () => {
    const long = compileScenario('cpus 2\ntask a cpu 0 {\n  repeat 30 { nop() }\n}\ntask b cpu 1 {\n  repeat 30 { nop() }\n}\n', 'long.pks');
    const r = explore(long, { policy: 'none', bound: 2 });
    expect(r.complete).toBe(true);
    // 1 default run, one run per other choice at each of its choice points, and so on.
    expect(r.runs).toBe(7566); // as many as when every queued prefix was a copy
    expect(r.outcomes).toHaveLength(1);
  });
});

describe('pksim explore', () => {
  it('exit 1 with a replay command for a violation; 0 when clean; 3 at --max-runs; 2 for a bad invariant', async () => {
    const bad = await cli('explore', '--bound', '2', 'stray_irq_during_kmap', '--policy', 'global', '--check', 'no-missed-stray');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/VIOLATED no-missed-stray/);
    expect(bad.out).toMatch(/replay: pksim run stray_irq_during_kmap --policy global --schedule [\d,]+/);
    const ok = await cli('explore', '--bound', '2', 'stray_irq_during_kmap', '--policy', 'scoped:relaxed', '--check', 'no-missed-stray');
    expect(ok.code).toBe(0);
    const lim = await cli('explore', '--bound', '2', 'local_preempt_migrate', '--max-runs', '2');
    expect(lim.code).toBe(3);
    expect(lim.err).toMatch(/--max-runs/);
    const inv = await cli('explore', '--bound', '2', 'local_copy', '--check', 'nonsense');
    expect(inv.code).toBe(2);
    expect(inv.err).toMatch(/unknown invariant 'nonsense'/);
  });
  it('--json is one document with runs, violations and outcomes', async () => {
    const r = await cli('explore', '--bound', '2', 'local_copy', '--json');
    const j = JSON.parse(r.out);
    expect(j.runs).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(j.violations)).toBe(true);
    expect(Array.isArray(j.outcomes)).toBe(true);
  });
});

describe('explore --bound checks assert and invariant lines', () => {
  // test/fixtures/explore/checks.pks: under none both lines fail; under scoped:relaxed both hold.
  const ir = loadScenario(fileURLToPath(new URL('../fixtures/explore/checks.pks', import.meta.url)));

  it('a failing assert and invariant are violations named assert and invariant', () => {
    const r = explore(ir, { policy: 'none', bound: 1 });
    expect(r.violations.map((v) => v.invariant).sort()).toEqual(['assert', 'invariant']);
    expect(r.checked).toEqual(expect.arrayContaining(['assert', 'invariant', 'expectations']));
  });

  it('they hold under scoped:relaxed; expectations counts only the expect lines', () => {
    expect(explore(ir, { policy: 'scoped:relaxed', bound: 1 }).violations).toEqual([]);
    expect(explore(ir, { policy: 'none', bound: 1, check: ['expectations'] }).violations).toEqual([]);
  });
});

describe('--check assert or invariant on a scenario that has none', () => {
  // ANY_IRQ has neither an assert statement nor an invariant line: checking them proves nothing.
  const ir = compileScenario(ANY_IRQ, 'any.pks');
  for (const name of ['assert', 'invariant']) {
    it(`${name}: refused by the search and by --bound, not reported as holding`, () => {
      expect(() => search(ir, { policy: 'global', check: [name] })).toThrow(new RegExp(`${name}.*has no`));
      expect(() => explore(ir, { policy: 'global', bound: 0, check: [name] })).toThrow(new RegExp(`${name}.*has no`));
    });
  }

  it('--bound lists assert and invariant as checked only when the scenario has them', () => {
    expect(explore(ir, { policy: 'global', bound: 0 }).checked).not.toEqual(expect.arrayContaining(['assert']));
    expect(explore(ir, { policy: 'global', bound: 0 }).checked).not.toEqual(expect.arrayContaining(['invariant']));
  });
});

describe('the search names assert as checked only when asked', () => {
  it('a work item with an assert does not add assert to a --check list without it', () => {
    const wir = compileScenario(
      `cpus 1
key pmem = 1 default noaccess
page buf key pmem
task t cpu 0 {
    queue_work(w)
}
worker kw cpu 0
work w on kw {
    assert in_task()
}
`,
      'w.pks',
    );
    expect(search(wir, { policy: 'global', check: ['no-panic'] }).checked).toEqual(['no-panic']);
  });
});
