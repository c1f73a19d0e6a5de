// Property: any scenario the compiler accepts runs to a stop reason under every design, never
// throws, never counts below zero, and runs the same way twice.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { ALL_POLICIES } from '../helpers.js';

// The names a scenario declares, by role. Besides plain names, the fuzzer tries names that are
// properties of Object.prototype (issue 8: user text used as an object key) and huge ones.
type Names = {
  hi: string;
  lo: string;
  plain: string;
  a: string;
  b: string;
  k: string;
  c: string;
  d: string;
  t1: string;
  t2: string;
  h: string;
  s: string;
  kw: string;
  w: string;
};
const ROLES = ['hi', 'lo', 'plain', 'a', 'b', 'k', 'c', 'd', 't1', 't2', 'h', 's', 'kw', 'w'] as const;
const PLAIN: Names = { hi: 'hi', lo: 'lo', plain: 'plain', a: 'a', b: 'b', k: 'k', c: 'c', d: 'd', t1: 't1', t2: 't2', h: 'h', s: 's', kw: 'kw', w: 'w' };
const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'prototype',
  'length',
];
const NAMINGS: Names[] = [
  PLAIN,
  Object.fromEntries(ROLES.map((r, i) => [r, PROTO_NAMES[i]!])) as Names,
  // Huge identifiers that differ only at the end: name lookups and "did you mean" must stay fast.
  Object.fromEntries(ROLES.map((r, i) => [r, `${'n'.repeat(4000)}${i}`])) as Names,
];

const stmt = (N: Names) => {
  const PAGES = [N.hi, N.lo, N.plain];
  const VARS = [N.a, N.b];
  return fc.oneof(
    fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = kmap(${p})`),
    fc.constantFrom(...PAGES).map((p) => `kunmap(${p})`),
    fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = kmap_local_page(${p})`),
    fc.constantFrom(...VARS).map((v) => `kunmap_local(${v})`),
    fc.tuple(fc.constantFrom(...VARS), fc.constantFrom(...PAGES)).map(([v, p]) => `${v} = page_address(${p})`),
    fc.tuple(fc.constantFrom('read', 'write'), fc.constantFrom(...VARS), fc.integer({ min: 0, max: 4095 })).map(([op, v, o]) => `${op}(${v}, ${o})`),
    fc.constantFrom(`grant_access(${N.k}, READ)`, `grant_access(${N.k}, READ|WRITE)`, `revoke_access(${N.k}, READ)`, `revoke_access(${N.k})`),
    fc.constantFrom(...VARS).map((v) => `send(${N.c}, ${v})`),
    fc.constantFrom(...VARS).map((v) => `${v} = recv(${N.c})`),
    fc.constantFrom(
      `complete(${N.d})`,
      `wait_for_completion(${N.d})`,
      'schedule()',
      'cond_resched()',
      'preempt_disable()',
      'preempt_enable()',
      'local_irq_disable()',
      'local_irq_enable()',
      `raise_irq(${N.h})`,
      `raise_softirq(${N.s})`,
      `queue_work(${N.w})`,
      'migrate(1)',
      'migrate(0)',
    ),
    fc.constantFrom(...PAGES).map((p) => `stray_write(${p}, 8)`),
  );
};

const program = (N: Names) => fc.array(stmt(N), { minLength: 1, maxLength: 10 });

function scenario(N: Names, t1: string[], t2: string[], irq: string[], work: string[]): string {
  // Each program starts with both pointers assigned, so most generated programs compile.
  const body = (xs: string[]) => [`${N.a} = kmap_local_page(${N.hi})`, `${N.b} = kmap_local_page(${N.lo})`, ...xs].map((x) => `  ${x}`).join('\n');
  return `cpus 2
last_pkmap 2
key ${N.k} = 1 default noaccess
page ${N.hi} key ${N.k} highmem
page ${N.lo} key ${N.k} lowmem
page ${N.plain} highmem
channel ${N.c}
completion ${N.d}
task ${N.t1} cpu 0 {
${body(t1)}
}
kthread ${N.t2} cpu 1 {
${body(t2)}
}
hardirq ${N.h} cpu 0 {
${body(irq.filter((x) => !/recv|wait_for|schedule|kmap\(|migrate/.test(x)))}
  nop()
}
softirq ${N.s} cpu 1 at any {
  nop()
}
worker ${N.kw} cpu 1
work ${N.w} on ${N.kw} {
${body(work)}
}
arch x86_32
`;
}

const input = fc.nat(NAMINGS.length - 1).chain((n) => {
  const N = NAMINGS[n]!;
  return fc.tuple(fc.constant(N), program(N), program(N), program(N), program(N), fc.integer({ min: 0, max: 1000 }));
});

describe('any accepted scenario runs cleanly', () => {
  it('under every design: a stop reason, no throw, no negative count, deterministic', () => {
    let compiled = 0;
    fc.assert(
      fc.property(input, ([N, t1, t2, irq, work, seed]) => {
        let ir;
        try {
          ir = compileScenario(scenario(N, t1, t2, irq, work), 'fuzz.pks');
        } catch (e) {
          if (e instanceof ScenarioError) return; // e.g. kunmap_local() of a page_address() pointer
          throw e;
        }
        compiled++;
        expect(ir.pages.map((p) => p.name)).toEqual([N.hi, N.lo, N.plain]);
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
