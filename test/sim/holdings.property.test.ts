// Property: on random scenarios under every design and on both architectures, what the machine
// says each context holds agrees, after every step, across the places it is kept: the
// context's counters (grants, kmap() and kmap_local mappings per key), the mapping records,
// the task's kmap_local stack, and the oracle's own view of the grants. Under the designs with
// thread-local rights, the running context's PKRS is at least as open as what it holds.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { MAP_KMAP } from '../../src/kernel/mappings.js';
import { PKS_NUM_KEYS, pksCheck } from '../../src/arch/x86/pkrs.js';
import type { Machine } from '../../src/kernel/machine.js';
import type { Ctx } from '../../src/kernel/context.js';
import { ALL_POLICIES } from '../helpers.js';
import { execOf } from '../../src/sim/exec.js';

const VARS = ['a', 'b', 'h'];
const PAGES = ['p', 'q', 'r'];

// `a` only ever holds kmap_local pointers (the compiler checks kunmap_local()'s argument).
const stmt = fc.oneof(
  fc.constantFrom(...PAGES).map((p) => `b = kmap(${p})`),
  fc.constantFrom(...PAGES).map((p) => `kunmap(${p})`),
  fc.constantFrom(...PAGES).map((p) => `a = kmap_local_page(${p})`),
  fc.constant('kunmap_local(a)'),
  fc.tuple(fc.constantFrom('read', 'write'), fc.constantFrom(...VARS)).map(([op, v]) => `${op}(${v}, 8)`),
  fc.constantFrom('grant_access(k, READ)', 'grant_access(k, WRITE)', 'grant_access(k, READ|WRITE)', 'revoke_access(k, READ)', 'revoke_access(k, WRITE)', 'revoke_access(k)'),
  fc.constantFrom('a', 'b').map((v) => `send(c, ${v})`),
  fc.constantFrom('h = recv(c)', 'complete(d)', 'schedule()', 'raise_softirq(s)', 'stray_read(q)', 'stray_write(r, 16)'),
);
const program = fc.array(stmt, { minLength: 1, maxLength: 12 });

function scenario(arch: string, t1: string[], t2: string[], irq: string[]): string {
  const body = (xs: string[]) => ['a = kmap_local_page(p)', 'b = kmap(q)', 'h = page_address(r)', ...xs].map((x) => `  ${x}`).join('\n');
  const hi = arch === 'x86_32' ? ' highmem' : '';
  return `arch ${arch}
cpus 2
key k = 1 default noaccess
key ro = 2 default readonly
page p key k${hi}
page q key k
page r key ro${hi}
channel c
completion d
task t1 cpu 0 {
${body(t1)}
}
kthread t2 cpu 1 {
${body(t2)}
}
softirq s cpu 0 on c {
${body(irq.filter((x) => !/recv|schedule|kmap\(/.test(x)))}
}
`;
}

/** Every context that can hold something now: task contexts and the interrupt frames on the CPUs. */
function contexts(m: Machine): Ctx[] {
  const out = m.tasks.map((t) => t.ctx);
  for (const c of m.cpus) for (let i = 1; i < c.frames.length; i++) out.push(c.frames[i]!);
  return out;
}

function checkHoldings(m: Machine, policy: string): void {
  const recs = m.maps.liveRecords();
  // Per context, live records counted by key: kmap() at [key], kmap_local at [16 + key].
  const byCtx = new Map<Ctx, Int32Array>();
  for (const r of recs) {
    let n = byCtx.get(r.ctx);
    if (!n) byCtx.set(r.ctx, (n = new Int32Array(2 * PKS_NUM_KEYS)));
    n[(r.kind === MAP_KMAP ? 0 : PKS_NUM_KEYS) + m.pageKey[r.page]!]!++;
  }
  for (const ctx of contexts(m)) {
    const n = byCtx.get(ctx) ?? new Int32Array(2 * PKS_NUM_KEYS);
    for (let k = 0; k < 3; k++) {
      // counters == records
      if (ctx.kmapped[k] !== n[k] || ctx.localMapped[k] !== n[PKS_NUM_KEYS + k]) {
        expect([ctx.name, k, ctx.kmapped[k], ctx.localMapped[k]]).toEqual([ctx.name, k, n[k], n[PKS_NUM_KEYS + k]]);
      }
      // the machine's grant counts == the oracle's
      const asked = execOf(ctx).asked;
      if (ctx.grantR[k] !== asked[k] || ctx.grantW[k] !== asked[PKS_NUM_KEYS + k]) {
        expect([ctx.name, k, ctx.grantR[k], ctx.grantW[k]]).toEqual([ctx.name, k, asked[k], asked[PKS_NUM_KEYS + k]]);
      }
    }
  }
  for (const t of m.tasks) {
    // Every kmap_local stack entry is a live record of that page, made on this task.
    for (let i = 0; i < t.local.depth; i++) {
      const r = recs.find((x) => x.id === t.local.mapping[i]);
      expect(r?.page).toBe(t.local.page[i]);
      expect(r!.ctx.task).toBe(t);
    }
    // On x86_64 every kmap_local mapping is on the stack; on x86_32 the highmem ones are.
    const stacked = recs.filter((r) => r.kind !== MAP_KMAP && r.ctx.task === t && (m.arch === 'x86_64' || m.pageHighmem[r.page] === 1));
    if (t.state !== 'dead') expect(stacked.length).toBe(t.local.depth);
  }
  // Thread-local designs: what the running context holds is open for it.
  if (['global', 'scoped:strict', 'scoped:relaxed', 'scoped:silent', 'abandon'].includes(policy)) {
    for (const c of m.cpus) {
      const ctx = c.frames[c.frames.length - 1]!;
      if (ctx.kind === 'exception') continue;
      for (let k = 1; k <= 2; k++) {
        if (ctx.localMapped[k]! > 0 || ctx.grantW[k]! > 0) expect(pksCheck(c.msr, k, true, true)).toBe(0);
        else if (ctx.grantR[k]! > 0) expect(pksCheck(c.msr, k, false, true)).toBe(0);
      }
    }
  }
}

describe('the machine and the oracle agree on what each context holds, after every step', () => {
  for (const arch of ['x86_64', 'x86_32']) {
    it.each(ALL_POLICIES)(`${arch}: %s`, (policy) => {
      let compiled = 0;
      fc.assert(
        fc.property(program, program, program, fc.integer({ min: 0, max: 1 << 20 }), (t1, t2, irq, seed) => {
          let ir;
          try {
            ir = compileScenario(scenario(arch, t1, t2, irq), 'holdings.pks');
          } catch (e) {
            if (e instanceof ScenarioError) return;
            throw e;
          }
          compiled++;
          let steps = 0;
          runScenario(ir, { policy, seed, maxSteps: 300, events: false, onStep: (m) => (steps++, checkHoldings(m, policy)) });
          expect(steps).toBeGreaterThan(0);
        }),
        { numRuns: 30, seed: 8 },
      );
      expect(compiled).toBeGreaterThan(20);
    });
  }
});
