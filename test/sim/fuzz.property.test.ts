// Property: any scenario the compiler accepts runs to a stop reason under every design, never
// throws, never counts below zero, and runs the same way twice.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { ALL_POLICIES } from '../helpers.js';

const PAGES = ['hi', 'lo', 'plain'];
const VARS = ['a', 'b'];

const stmt = fc.oneof(
  fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = kmap(${p})`),
  fc.constantFrom(...PAGES).map((p) => `kunmap(${p})`),
  fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = kmap_local_page(${p})`),
  fc.constantFrom(...VARS).map((v) => `kunmap_local(${v})`),
  fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = page_address(${p})`),
  fc.tuple(fc.constantFrom('read', 'write'), fc.constantFrom(...VARS), fc.integer({ min: 0, max: 4095 })).map(([op, v, o]) => `${op}(${v}, ${o})`),
  fc.constantFrom('grant_access(k, READ)', 'grant_access(k, READ|WRITE)', 'revoke_access(k, READ)', 'revoke_access(k)'),
  fc.constantFrom(...VARS).map((v) => `send(c, ${v})`),
  fc.constantFrom(...VARS).map((v) => `${v} = recv(c)`),
  fc.constantFrom('complete(d)', 'wait_for_completion(d)', 'schedule()', 'cond_resched()', 'preempt_disable()', 'preempt_enable()',
    'local_irq_disable()', 'local_irq_enable()', 'raise_irq(h)', 'raise_softirq(s)', 'queue_work(w)', 'migrate(1)', 'migrate(0)'),
  fc.constantFrom(...PAGES).map((p) => `stray_write(${p}, 8)`),
);

const program = fc.array(stmt, { minLength: 1, maxLength: 10 });

function scenario(t1: string[], t2: string[], irq: string[], work: string[]): string {
  // Each program starts with both pointers assigned, so most generated programs compile.
  const body = (xs: string[]) => ['a = kmap_local_page(hi)', 'b = kmap_local_page(lo)', ...xs].map((x) => `  ${x}`).join('\n');
  return `cpus 2
last_pkmap 2
key k = 1 default noaccess
page hi key k highmem
page lo key k lowmem
page plain highmem
channel c
completion d
task t1 cpu 0 {
${body(t1)}
}
kthread t2 cpu 1 {
${body(t2)}
}
hardirq h cpu 0 {
${body(irq.filter((x) => !/recv|wait_for|schedule|kmap\(|migrate/.test(x)))}
  nop()
}
softirq s cpu 1 at any {
  nop()
}
worker kw cpu 1
work w on kw {
${body(work)}
}
arch x86_32
`;
}

describe('any accepted scenario runs cleanly', () => {
  it('under every design: a stop reason, no throw, no negative count, deterministic', () => {
    let compiled = 0;
    fc.assert(
      fc.property(program, program, program, program, fc.integer({ min: 0, max: 1000 }), (t1, t2, irq, work, seed) => {
        let ir;
        try {
          ir = compileScenario(scenario(t1, t2, irq, work), 'fuzz.pks');
        } catch (e) {
          if (e instanceof ScenarioError) return; // e.g. kunmap_local() of a page_address() pointer
          throw e;
        }
        compiled++;
        for (const policy of ALL_POLICIES) {
          const r = runScenario(ir, { policy, seed, maxSteps: 2000 });
          expect(['done', 'killed', 'panic', 'deadlock', 'limit:steps']).toContain(r.stop);
          for (const v of Object.values(r.summary)) expect(v).toBeGreaterThanOrEqual(0);
          expect(r.summary.legitAccesses + r.summary.strayAccesses).toBe(r.events.filter((e) => e.type === 'access').length);
          const again = runScenario(ir, { policy, schedule: r.schedule, maxSteps: 2000 });
          expect(again.summary).toEqual(r.summary);
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
    expect(compiled).toBeGreaterThan(50); // the generator mostly produces valid scenarios
  });
});
