// The stateful search: every state once, invariants on every transition, a replayable path to
// each violation, and a verdict that says whether the search was complete.

import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { searchParallel } from '../../src/analysis/parallel.js';
import { runScenario } from '../../src/sim/runner.js';
import { main } from '../../src/cli/main.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The seeded handoff bug, as bench/explore/ generates it for the must-show runs.
import { handoff } from '../../bench/explore/gen-handoff.js';
import { libraryNames, readScenario } from '../../src/scenario/library.js';

const g4 = () => compileScenario(readFileSync('bench/explore/handoff-g4.pks', 'utf8'), 'handoff-g4.pks');

const ROUNDS = `    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }`;
const tasks = (n: number) =>
  compileScenario(
    `cpus ${n}\nkey pmem = 1 default noaccess\npage pg key pmem\n` + Array.from({ length: n }, (_, i) => `task t${i} cpu ${i} {\n${ROUNDS}\n}\n`).join(''),
    `tasks${n}.pks`,
  );

describe('stateful search', () => {
  it('DFS keeps a snapshot only where it will come back: replaying the path from an ancestor instead gives the same search', () => {
    const lib = libraryNames().map((name) => {
      const r = readScenario(name);
      return compileScenario(r.text, r.file);
    });
    for (const ir of [...lib, tasks(2), g4()])
      for (const policy of ['scoped:relaxed', 'global', 'exception'])
        for (const por of [true, false]) {
          const key = (r: ReturnType<typeof search>) => JSON.stringify([r.states, r.transitions, r.depth, r.endStates, r.reduced, r.violations]);
          expect(key(search(ir, { policy, por, replayAll: true })), `${ir.name} ${policy}`).toBe(key(search(ir, { policy, por })));
        }
  }, 60_000);

  it('counts each state once: one task has 15, n tasks on their own CPUs 15^n (the order of their live kmap() records is not state)', () => {
    // One task: before its CPU switches to it, switched in, 3 rounds of 4 statements, done.
    const one = search(tasks(1), { policy: 'scoped:relaxed', por: false });
    expect([one.states, one.transitions, one.complete, one.violations.length]).toEqual([15, 14, true, 0]);
    // Each context kunmap()s only its own kmap(), so which one mapped first decides nothing:
    // the product of the tasks' states (it was 15 x 15 + 6 x 6 = 261 while the order was state).
    // Each task takes each of its 14 steps whatever the others' positions: n x 14 x 15^(n-1) transitions.
    const two = search(tasks(2), { policy: 'scoped:relaxed', por: false });
    expect([two.states, two.transitions, two.complete]).toEqual([15 * 15, 2 * 14 * 15, true]);
    const three = search(tasks(3), { policy: 'scoped:relaxed', por: false });
    expect([three.states, three.transitions, three.complete]).toEqual([15 ** 3, 3 * 14 * 15 ** 2, true]);
  });

  it('the order of live kmap() records stays state when a context kunmap()s one it did not make (it ends the oldest)', () => {
    // t2 kunmap()s pg without a kmap() of its own once both have mapped it: the oldest record
    // ends. Only when t1 mapped first is that t1's, whose write then goes through a dead mapping.
    const ir = compileScenario(readFileSync('test/fixtures/explore/foreign_kunmap.pks', 'utf8'), 'foreign_kunmap.pks');
    for (const bfs of [false, true]) {
      const r = search(ir, { policy: 'none', bfs, por: false });
      expect(r.violations.map((v) => v.invariant)).toEqual(['no-missed-stray']);
      // Forgetting the order here merges "t0 mapped first" with "t1 mapped first" and loses it.
      const merged = search(ir, { policy: 'none', bfs, por: false, onRun: (run) => (run.m.kmapOrderFree = Uint8Array.of(1)) });
      expect(merged.states).toBeLessThan(r.states);
      expect(merged.violations).toEqual([]);
    }
  });

  it('depth-first and breadth-first visit the same states and find the same violations', () => {
    const ir = compileScenario(handoff(3), 'h.pks');
    const dfs = search(ir, { policy: 'none' });
    const bfs = search(ir, { policy: 'none', bfs: true });
    expect(bfs.states).toBe(dfs.states);
    expect(bfs.violations.map((v) => v.invariant).sort()).toEqual(dfs.violations.map((v) => v.invariant).sort());
    // BFS finds a shortest path.
    for (const v of bfs.violations) expect(v.depth).toBeLessThanOrEqual(dfs.violations.find((d) => d.invariant === v.invariant)!.depth);
  });

  it.each([2, 3, 4, 20, 40])('the seeded handoff bug with G = %i is found, and its schedule replays it', (g) => {
    const ir = compileScenario(handoff(g), 'h.pks');
    const r = search(ir, { policy: 'none', bfs: true });
    expect(r.complete).toBe(true);
    const v = r.violations.find((x) => x.invariant === 'no-missed-stray');
    expect(v).toBeDefined();
    const replay = runScenario(ir, { policy: 'none', schedule: v!.schedule });
    expect(replay.summary.straysMissed).toBeGreaterThan(0);
    // Under the proposal the late write through a dead mapping oopses in the softirq.
    const scoped = search(ir, { policy: 'scoped:relaxed' });
    expect(scoped.violations.map((x) => x.invariant)).toContain('no-panic');
  });

  it('the fixed handoff (the task waits for the softirq) is proved: complete, no violation', () => {
    const ir = compileScenario(handoff('fixed'), 'h.pks');
    for (const policy of ['none', 'scoped:relaxed', 'scoped:silent']) {
      const r = search(ir, { policy });
      expect([r.complete, r.violations]).toEqual([true, []]);
    }
  });

  it('a deadlock is found at an end state', () => {
    const r = search(
      compileScenario(
        'cpus 2\ncompletion a, b\ntask t cpu 0 {\n wait_for_completion(a)\n complete(b)\n}\ntask u cpu 1 {\n wait_for_completion(b)\n complete(a)\n}\n',
        'd.pks',
      ),
      {},
    );
    expect(r.violations.map((v) => v.invariant)).toEqual(['no-deadlock']);
  });

  it('a run that never ends (a softirq that raises itself) is a finite graph of states: the search completes', () => {
    const r = search(compileScenario('softirq s cpu 0 { raise_softirq(s); raise_softirq(s) }\ntask t cpu 0 { raise_softirq(s) }\n', 'self.pks'), {});
    expect(r.complete).toBe(true);
    expect(r.endStates).toBe(0);
    expect(r.states).toBeLessThan(50);
  });

  it('the pkmap flush counter is history, not state: a softirq that kmap()s three pages through two slots forever completes', () => {
    // Every third kmap() wraps the cursor and flush_all_zero_pkmaps() runs: the count of flushes
    // grows without end, the pool, the cursor and the addresses repeat.
    const src = `arch x86_32\ncpus 1\nlast_pkmap 2\nkey pmem = 1 default noaccess
page a key pmem highmem\npage b key pmem highmem\npage c key pmem highmem
softirq s cpu 0 {\n pa = kmap(a)\n kunmap(a)\n pb = kmap(b)\n kunmap(b)\n pc = kmap(c)\n kunmap(c)\n raise_softirq(s)\n}
task t cpu 0 {\n raise_softirq(s)\n}\n`;
    const r = search(compileScenario(src, 'flush.pks'), { policy: 'scoped:relaxed', maxStates: 10_000 });
    expect([r.complete, r.limit]).toEqual([true, null]);
    expect(r.states).toBeLessThan(100);
  });

  it('a limit stops the search with the partial result: incomplete, which limit', () => {
    const r = search(tasks(2), { policy: 'scoped:relaxed', maxStates: 50 });
    expect([r.complete, r.limit, r.states]).toEqual([false, 'max-states', 50]);
    const d = search(tasks(2), { policy: 'scoped:relaxed', maxDepth: 5 });
    expect([d.complete, d.limit]).toEqual([false, 'max-depth']);
    const m = search(tasks(3), { policy: 'scoped:relaxed', maxMemory: 1 });
    expect([m.complete, m.limit]).toEqual([false, 'max-memory']);
    const t = search(tasks(3), { policy: 'scoped:relaxed', timeLimit: 0 });
    expect([t.complete, t.limit]).toEqual([false, 'time-limit']);
  });

  it("with --workers the limits stop the search the same way (the workers' memory counted in --max-memory)", async () => {
    const seq = search(tasks(2), { policy: 'scoped:relaxed', maxStates: 50, bfs: true });
    const par = await searchParallel(tasks(2), { policy: 'scoped:relaxed', maxStates: 50, workers: 2 });
    expect([par.complete, par.limit, par.states, par.transitions]).toEqual([false, 'max-states', 50, seq.transitions]);
    const d = await searchParallel(tasks(2), { policy: 'scoped:relaxed', maxDepth: 5, workers: 2 });
    expect([d.complete, d.limit]).toEqual([false, 'max-depth']);
    const m = await searchParallel(tasks(3), { policy: 'scoped:relaxed', maxMemory: 1, workers: 2 });
    expect([m.complete, m.limit]).toEqual([false, 'max-memory']);
  }, 60_000);

  it('pksim explore: exit 0 when proved, 1 with a replay and its log for a violation, 3 at a limit naming it, --json', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false });
      return { code, out: out.join(''), err: err.join('') };
    };
    const ok = await run('explore', 'local_copy', '--policy', 'scoped:strict');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      /distinct states, .* complete\nstates are kept as 64-bit hashes: the chance that a collision hid one is at most [\d.e+-]+\nno schedule violates: no-broken-legit/,
    );
    const bad = await run('explore', 'stray_irq_during_kmap', '--policy', 'global', '--bfs');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(
      /VIOLATED no-missed-stray: .*\n {2}replay: pksim run stray_irq_during_kmap --policy global --schedule [\d,]+\n {2}kernel log:\n {2}\| \[ +0\.000000\] pksim: stray_irq_during_kmap under global\n(?: {2}\| \[.*\n)+ {2}path \(ftrace\):\n {2}\| +<idle>-0 +\[000\] \.{5} +0\.000000: sched_switch: /,
    );
    // The no-panic path's kernel log has the panic splat, as `pksim run` prints it.
    expect(bad.out).toMatch(/VIOLATED no-panic: [^]*?kernel log:\n(?: {2}\| .*\n)*? {2}\| \[ +[\d.]+\] Kernel panic - not syncing: Fatal exception in interrupt\n/);
    const lim = await run('explore', 'local_preempt_migrate', '--max-states', '10');
    expect(lim.code).toBe(3);
    expect(lim.err).toMatch(/stopped at --max-states after 10 states.*raise --max-states/);
    const html = join(mkdtempSync(join(tmpdir(), 'pksim-search-')), 'cex.html');
    expect((await run('explore', 'stray_irq_during_kmap', '--policy', 'global', '--html', html)).code).toBe(1);
    expect(readFileSync(html, 'utf8')).toMatch(/<html/i);
    expect((await run('explore', 'local_copy', '--bound', '1', '--bfs')).code).toBe(2);
    const j = JSON.parse((await run('explore', 'stray_irq_during_kmap', '--policy', 'global', '--json')).out);
    expect(j).toMatchObject({ complete: true, states: expect.any(Number), transitions: expect.any(Number) });
    expect(j.violations[0]).toMatchObject({ invariant: expect.any(String), schedule: expect.any(Array), replay: expect.stringMatching(/^pksim run /) });
  });

  it('progress on a TTY (states, states/s, transitions, depth, frontier, memory), nothing with --json or when piped', async () => {
    const run = async (tty: boolean, ...args: string[]) => {
      const err: string[] = [];
      const code = await main(args, { out: () => {}, err: (s: string) => err.push(s), isTTY: tty });
      return { code, err: err.join('') };
    };
    const base = ['explore', 'bench/explore/four.pks', '--max-states', '10001'];
    const tty = await run(true, ...base);
    expect(tty.code).toBe(3);
    expect(tty.err).toMatch(/\r10000 states \(\d+\/s\), \d+ transitions, depth \d+, frontier \d+, \d+ MB/);
    for (const quiet of [await run(true, ...base, '--json'), await run(false, ...base)]) {
      expect(quiet.code).toBe(3);
      expect(quiet.err).not.toMatch(/10000 states/);
    }
  }, 60_000);
});

const capture = () => {
  const out: string[] = [];
  return { out: (s: string) => out.push(s), err: () => {}, isTTY: false, text: () => out.join('') };
};

describe('--workers, --hash-compact, --bitstate', () => {
  const key = (r: { states: number; transitions: number; complete: boolean; violations: unknown[]; reduced: number }) =>
    JSON.stringify([r.states, r.transitions, r.complete, r.reduced, r.violations]);

  it('the verdict, the state count and every counterexample are the same with 1 and 2 workers as with none (BFS)', async () => {
    // Without reduction, tasks(3) reaches most of its 3,375 states many times over, from nodes
    // expanded by either worker: successors a worker has sent before come back without a
    // snapshot (expand.ts), which must never be one the main thread still needs.
    for (const [ir, policy, por] of [
      [g4(), 'none', true],
      [tasks(2), 'scoped:relaxed', true],
      [tasks(3), 'scoped:relaxed', false],
      [tasks(3), 'global', true],
      [compileScenario(readFileSync('test/fixtures/explore/assert_kmap.pks', 'utf8'), 'assert_kmap.pks'), 'scoped:relaxed', true],
    ] as const) {
      const one = search(ir, { policy, bfs: true, por });
      const w1 = await searchParallel(ir, { policy, workers: 1, por });
      const w2 = await searchParallel(ir, { policy, workers: 2, por });
      expect(key(w1)).toBe(key(one));
      expect(key(w2)).toBe(key(one));
    }
  }, 60_000);

  it('--hash-compact and --bitstate find the same on a small model, and say that coverage is probabilistic', () => {
    const ir = g4();
    const exact = search(ir, { policy: 'none' });
    for (const r of [search(ir, { policy: 'none', hashCompact: true }), search(ir, { policy: 'none', bitstate: 1 << 20 })]) {
      expect(r.exact).toBe(false);
      expect(r.states).toBe(exact.states);
      expect(r.violations.map((v) => v.invariant)).toEqual(exact.violations.map((v) => v.invariant));
      expect(r.omissionProbability).toBeGreaterThan(0);
      expect(r.omissionProbability).toBeLessThan(1e-6);
    }
    expect(search(ir, { policy: 'none', hashCompact: true }).visitedBytes * 2).toBe(exact.visitedBytes);
  });

  it('a bit array too small for the model skips states, and the omission estimate says so', () => {
    const ir = tasks(2);
    const exact = search(ir, { policy: 'scoped:relaxed', por: false });
    const tiny = search(ir, { policy: 'scoped:relaxed', por: false, bitstate: 64 });
    expect(tiny.states).toBeLessThan(exact.states);
    expect(tiny.omissionProbability).toBeGreaterThan(0.1);
  });

  it('pksim explore prints PROBABILISTIC with --bitstate and --hash-compact, and --json has exact: false', async () => {
    const io = capture();
    expect(await main(['explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--bitstate', '--bitstate-size', '1'], io)).toBe(1);
    expect(io.text()).toContain('COVERAGE IS PROBABILISTIC (--bitstate)');
    const j = capture();
    await main(['explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--hash-compact', '--json'], j);
    expect(JSON.parse(j.text())).toMatchObject({ exact: false, coverage: 'probabilistic', storage: 'hash-compact' });
  });
});

describe('pksim explore options of the stateful search', () => {
  const cli = async (...args: string[]) => {
    const io = capture();
    const code = await main(args, io);
    return { code, out: io.text() };
  };

  it('--workers 2 prints what --bfs prints; --no-por says so and stores more states', async () => {
    const bfs = await cli('explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--bfs');
    const two = await cli('explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--workers', '2');
    expect(two).toEqual(bfs);
    expect(bfs.code).toBe(1);
    const off = JSON.parse((await cli('explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--no-por', '--json')).out);
    const on = JSON.parse((await cli('explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--json')).out);
    expect([on.por, off.por]).toEqual([true, false]);
    expect(on.states).toBeLessThan(off.states);
    expect((await cli('explore', 'bench/explore/handoff-g4.pks', '--policy', 'none', '--no-por')).out).toContain(', no reduction: complete');
  }, 60_000);

  it('a failed assert is printed with its replay and the replayed run showing it; --check names it', async () => {
    const r = await cli('explore', 'test/fixtures/explore/assert_kmap.pks', '--check', 'assert');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /VIOLATED assert@assert_kmap\.pks:8: .*\n {2}replay: pksim run test\/fixtures\/explore\/assert_kmap\.pks --policy scoped:relaxed --schedule [\d,]+\n/,
    );
    expect(r.out).toMatch(/\| .*assert: assertion failed: assert unprotect\(pg\) == 1/);
    const bad = await cli('explore', 'test/fixtures/explore/assert_kmap.pks', '--check', 'asert');
    expect(bad.code).toBe(2);
  });
});
