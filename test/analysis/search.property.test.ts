// Property: on random scenarios (two tasks, a softirq, kmap/kmap_local/grants/handoffs/strays),
// the search never throws, says whether it was complete, and every violation it reports is
// reproduced by replaying its schedule with `pksim run`.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import { runScenario } from '../../src/sim/runner.js';
import type { RunSummary } from '../../src/sim/result.js';

const PAGES = ['p', 'q'];
const stmt = fc.oneof(
  fc.constantFrom(...PAGES).map((p) => `b = kmap(${p})`),
  fc.constantFrom(...PAGES).map((p) => `kunmap(${p})`),
  fc.constantFrom(...PAGES).map((p) => `a = kmap_local_page(${p})`),
  fc.constant('kunmap_local(a)'),
  fc.constantFrom('read(a, 8)', 'write(b, 8)', 'write(h, 0)', 'send(c, b)', 'send(c, a)', 'h = recv(c)', 'complete(d)', 'wait_for_completion(d)'),
  fc.constantFrom(
    'grant_access(k, READ)',
    'revoke_access(k)',
    'stray_write(q, 16)',
    'stray_read(p)',
    'preempt_disable()',
    'preempt_enable()',
    'schedule()',
    'raise_softirq(s)',
  ),
);
const program = fc.array(stmt, { minLength: 1, maxLength: 6 });

function scenario(t1: string[], t2: string[], irq: string[]): string {
  const body = (xs: string[]) => ['a = kmap_local_page(p)', 'b = kmap(q)', 'h = page_address(p)', ...xs].map((x) => `  ${x}`).join('\n');
  return `cpus 2
key k = 1 default noaccess
page p key k
page q key k
channel c
completion d
task t1 cpu 0 {
${body(t1)}
}
kthread t2 cpu 1 {
${body(t2)}
}
softirq s cpu 1 on c {
${body(irq.filter((x) => !/recv|wait_for|schedule|kmap\(/.test(x)))}
}
`;
}

const COUNTER: Record<string, (s: RunSummary, stop: string) => boolean> = {
  'no-broken-legit': (s) => s.legitBroken > 0,
  'no-missed-stray': (s) => s.straysMissed > 0,
  'no-panic': (s) => s.panics > 0,
  'no-leak': (s) => s.leaks > 0,
  'no-deadlock': (_s, stop) => stop === 'deadlock',
};

describe('the search on random scenarios', () => {
  it.each(['none', 'global', 'scoped:relaxed', 'scoped:strict', 'exception'])('%s: never throws, and every violation replays', (policy) => {
    let searched = 0;
    let replayed = 0;
    fc.assert(
      fc.property(program, program, program, (t1, t2, irq) => {
        let ir;
        try {
          ir = compileScenario(scenario(t1, t2, irq), 'rand.pks');
        } catch (e) {
          if (e instanceof ScenarioError) return;
          throw e;
        }
        searched++;
        const r = search(ir, { policy, maxStates: 3000, bfs: true, check: Object.keys(COUNTER) });
        expect(r.states).toBeGreaterThan(0);
        expect(r.complete).toBe(r.limit === null);
        for (const v of r.violations) {
          // The run that replays the path, stopped just after the violating step (no-deadlock: at the end).
          const replay = runScenario(ir, { policy, schedule: v.schedule, events: false, ...(v.invariant === 'no-deadlock' ? {} : { maxSteps: v.depth }) });
          expect(COUNTER[v.invariant]!(replay.summary, replay.stop), `${v.invariant} at depth ${v.depth}, schedule ${v.schedule.join(',')}`).toBe(true);
          replayed++;
        }
      }),
      { numRuns: 40, seed: 77 },
    );
    expect(searched).toBeGreaterThan(15);
    expect(replayed).toBeGreaterThan(10);
  });
});
