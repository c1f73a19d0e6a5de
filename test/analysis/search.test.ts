// The stateful search: every state once, invariants on every transition, a replayable path to
// each violation, and a verdict that says whether the search was complete.

import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { runScenario } from '../../src/sim/runner.js';
import { main } from '../../src/cli/main.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** The seeded bug: the task kunmap()s G statements after handing the address over, without waiting. */
function handoff(g: number, fixed: boolean): string {
  return `cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel c
completion done
task t cpu 0 {
    p = kmap(buf)
    send(c, p)
${fixed ? '    wait_for_completion(done)\n' : Array.from({ length: g }, () => '    nop()\n').join('')}    kunmap(buf)
}
softirq s cpu 1 on c {
    q = recv(c)
    write(q, 0)
    complete(done)
}
`;
}

describe('stateful search', () => {
  it('counts each state once: one task has 15, two tasks 15 x 15 plus the order of their live kmap() records', () => {
    const one = search(tasks(1), { policy: 'scoped:relaxed' });
    expect([one.states, one.complete, one.violations.length]).toEqual([15, true, 0]);
    const two = search(tasks(2), { policy: 'scoped:relaxed' });
    // While both hold a kmap() of pg (6 x 6 positions), which one mapped first is state too:
    // a kunmap() from a third context would end the oldest.
    expect(two.states).toBe(15 * 15 + 6 * 6);
    expect(two.complete).toBe(true);
  });

  it('depth-first and breadth-first visit the same states and find the same violations', () => {
    const ir = compileScenario(handoff(3, false), 'h.pks');
    const dfs = search(ir, { policy: 'none' });
    const bfs = search(ir, { policy: 'none', bfs: true });
    expect(bfs.states).toBe(dfs.states);
    expect(bfs.violations.map((v) => v.invariant).sort()).toEqual(dfs.violations.map((v) => v.invariant).sort());
    // BFS finds a shortest path.
    for (const v of bfs.violations) expect(v.depth).toBeLessThanOrEqual(dfs.violations.find((d) => d.invariant === v.invariant)!.depth);
  });

  it.each([2, 3, 4, 20, 40])('the seeded handoff bug with G = %i is found, and its schedule replays it', (g) => {
    const ir = compileScenario(handoff(g, false), 'h.pks');
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
    const ir = compileScenario(handoff(0, true), 'h.pks');
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
      /VIOLATED no-missed-stray: .*\n {2}replay: pksim run stray_irq_during_kmap --policy global --schedule [\d,]+\n {2}\| +<idle>-0 +\[000\] \.{5} +0\.000000: sched_switch: /,
    );
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
});
