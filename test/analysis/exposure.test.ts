// explore --exposure: the largest exposure over every path, computed over the recorded state
// graph (exposure is history, not state). Checked against the delay-bounded explorer run with
// a bound no run can exceed (so it runs every schedule), against replays of the schedule it
// gives, and on small graphs whose answer is known.

import { describe, expect, it } from 'vitest';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { SearchError } from '../../src/analysis/search-result.js';
import { searchParallel } from '../../src/analysis/parallel.js';
import { explore } from '../../src/analysis/explore.js';
import { ExposureGraph } from '../../src/analysis/exposure.js';
import { runScenario } from '../../src/sim/runner.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../../src/cli/io.js';

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const DESIGNS = ['scoped:relaxed', 'global', 'exception', 'abandon'];

describe('largest exposure over every path', () => {
  it('equals the largest over every schedule (the bounded explorer with a bound above every run length), and its schedule replays to it', () => {
    let compared = 0;
    for (const name of libraryNames()) {
      const ir = loadScenario(name);
      for (const policy of DESIGNS) {
        const r = search(ir, { policy, exposure: true });
        expect(r.complete).toBe(true);
        const x = r.maxExposure!;
        if (x.unbounded) continue;
        // A schedule that reaches the largest total: replayed, the run exposes exactly that.
        expect(runScenario(ir, { policy, schedule: x.schedule }).summary.exposure).toBe(x.exposure);
        const bound = r.depth + 1;
        const b = explore(ir, { policy, bound, maxRuns: 5000 });
        if (b.stoppedBy !== null) continue;
        expect(x.exposure, `${name} under ${policy}`).toBe(b.maxExposure.exposure);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('is UNBOUNDED when a cycle of states adds exposure each time round; going round the lap again exposes more', () => {
    const ir = loadScenario('local_preempt_migrate');
    const r = search(ir, { policy: 'scoped:relaxed', exposure: true });
    const x = r.maxExposure!;
    expect(x).toMatchObject({ exposure: null, unbounded: true });
    const prefix = x.schedule.slice(0, x.lap);
    const lap = x.schedule.slice(x.lap);
    expect(lap.length).toBeGreaterThan(0);
    const after = (laps: number) =>
      runScenario(ir, { policy: 'scoped:relaxed', schedule: [...prefix, ...Array.from({ length: laps }, () => lap).flat()], maxSteps: 10_000 }).summary.exposure;
    expect(after(2)).toBeGreaterThan(after(1));
    expect(after(5)).toBeGreaterThan(after(2));
  });

  it('the unbounded lap is the cycle nearest the initial state, whatever the search order (DFS and BFS alike)', () => {
    const ir = loadScenario('local_preempt_migrate');
    const dfs = search(ir, { policy: 'scoped:relaxed', exposure: true }).maxExposure!;
    const bfs = search(ir, { policy: 'scoped:relaxed', exposure: true, bfs: true }).maxExposure!;
    expect(dfs).toEqual(bfs);
    expect(dfs.lap).toBeLessThanOrEqual(2);
  });

  it('a run that never ends (a softirq raising itself) after a window: the window, on an endless path; unbounded where the cycle exposes', () => {
    const ir = compileScenario(
      'cpus 1\nkey pmem = 1 default noaccess\npage pg key pmem\nsoftirq s cpu 0 {\n raise_softirq(s)\n}\ntask t cpu 0 {\n p = kmap_local_page(pg)\n write(p, 0)\n kunmap_local(p)\n raise_softirq(s)\n}\n',
      'endless.pks',
    );
    const x = search(ir, { policy: 'scoped:relaxed', exposure: true }).maxExposure!;
    expect(x).toMatchObject({ unbounded: false, endless: true });
    expect(x.exposure).toBeGreaterThan(0);
    // The run never ends: replayed to a step limit, it has exposed exactly that.
    expect(runScenario(ir, { policy: 'scoped:relaxed', schedule: x.schedule, maxSteps: 200 }).summary.exposure).toBe(x.exposure);
    // With no protection the softirq's every tick exposes the page: no bound.
    expect(search(ir, { policy: 'none', exposure: true }).maxExposure).toMatchObject({ exposure: null, unbounded: true });
  });

  it('turns partial-order reduction off (a reduced graph leaves out interleavings that expose more)', () => {
    const r = search(loadScenario('shared_kmap_two_cpus'), { policy: 'scoped:relaxed', exposure: true });
    expect(r.por).toBe(false);
    expect(r.states).toBe(search(loadScenario('shared_kmap_two_cpus'), { policy: 'scoped:relaxed', por: false }).states);
  });

  it('is not given for an incomplete search (an unvisited path may expose more)', () => {
    const r = search(loadScenario('dax_grant_revoke'), { policy: 'scoped:relaxed', exposure: true, maxStates: 10 });
    expect(r.complete).toBe(false);
    expect(r.maxExposure).toBeUndefined();
  });

  it('is refused with workers (the graph is recorded in one thread)', async () => {
    await expect(searchParallel(loadScenario('leak_at_return'), { policy: 'scoped', exposure: true, workers: 2 })).rejects.toThrow(SearchError);
  });
});

describe('ExposureGraph on graphs with a known answer', () => {
  // States are named by their hash (0, n); edges by choice index at the source.
  const graph = (edges: [number, number, number, number][], ends: [number, number][]) => {
    const g = new ExposureGraph();
    const id = (s: number) => g.id(0, s + 1);
    id(0);
    for (const [a, b, c, w] of edges) g.edge(id(a), id(b), c, 2, w);
    for (const [a, w] of ends) g.end(id(a), w);
    return g.longest(0);
  };

  it('takes the branch that exposes more, ending weights included', () => {
    // 0 -c0,1-> 1 -> end(+5); 0 -c1,4-> 2 -> end(+1): 6 by choice 0 against 5 by choice 1.
    expect(
      graph(
        [
          [0, 1, 0, 1],
          [0, 2, 1, 4],
        ],
        [
          [1, 5],
          [2, 1],
        ],
      ),
    ).toEqual({ exposure: 6, unbounded: false, schedule: [0] });
  });

  it('walks a cycle that adds nothing for free, to the exit that exposes most', () => {
    // 0 -> 1 <-> 2 (0 each way); 1 -> end(+1); 2 -c1,3-> 3 -> end(+0): 0 -> 1 -> 2 -> 3 = 1 + 0 + 3.
    expect(
      graph(
        [
          [0, 1, 0, 1],
          [1, 2, 0, 0],
          [2, 1, 0, 0],
          [2, 3, 1, 3],
        ],
        [
          [1, 1],
          [3, 0],
        ],
      ),
    ).toEqual({ exposure: 4, unbounded: false, schedule: [0, 0, 1] });
  });

  it('is unbounded when a reachable cycle adds exposure, with the lap marked', () => {
    const x = graph(
      [
        [0, 1, 1, 0],
        [1, 2, 0, 1],
        [2, 1, 1, 0],
        [2, 3, 0, 0],
      ],
      [[3, 0]],
    );
    expect(x).toEqual({ exposure: null, unbounded: true, schedule: [1, 0, 1], lap: 1 });
  });

  it('counts a path that goes round a cycle adding nothing for ever: what it exposed on the way in (endless)', () => {
    // 0 -c0,5-> 1 <-> 2 (0 each way), no end state: a run that never ends, after exposing 5.
    expect(
      graph(
        [
          [0, 1, 0, 5],
          [1, 2, 0, 0],
          [2, 1, 0, 0],
        ],
        [],
      ),
    ).toEqual({ exposure: 5, unbounded: false, schedule: [0], endless: true });
  });

  it('is 0 with an empty schedule when no path reaches an end state', () => {
    expect(graph([[0, 1, 0, 3]], [])).toEqual({ exposure: 0, unbounded: false, schedule: [] });
  });
});

describe('pksim explore --exposure', () => {
  it('prints the largest exposure with the command that replays it', async () => {
    const r = await runCli(['explore', 'stray_irq_during_kmap', '--policy', 'global', '--exposure']);
    expect(r.out).toMatch(/largest exposure over every path: \d+ page x tick\n {2}replay: pksim run stray_irq_during_kmap --policy global --schedule [\d,]+/);
  });

  it('refuses --workers, --hash-compact and --bound with it (exit 2)', async () => {
    for (const extra of [['--workers', '2'], ['--hash-compact'], ['--bound', '2']]) {
      const r = await runCli(['explore', 'leak_at_return', '--exposure', ...extra]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--exposure|--workers|--hash-compact/);
    }
  });

  it('--json carries maxExposure with its replay command', async () => {
    const r = await runCli(['explore', 'local_preempt_migrate', '--exposure', '--json']);
    const j = JSON.parse(r.out) as { maxExposure: { unbounded: boolean; replay: string; lap: number } };
    expect(j.maxExposure.unbounded).toBe(true);
    expect(j.maxExposure.replay).toMatch(/^pksim run local_preempt_migrate --policy scoped:relaxed --schedule /);
  });
});
