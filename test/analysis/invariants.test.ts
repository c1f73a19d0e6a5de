// Each built-in invariant of the search, on a scenario that violates it and on one that does not;
// the scenario's own `assert` and `invariant` lines; --check; the promises of the designs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileScenario, loadScenario } from '../../src/scenario/index.js';
import { search } from '../../src/analysis/search.js';
import type { SearchOptions } from '../../src/analysis/search-result.js';
import { BUILTIN_INVARIANTS, InvariantError, planChecks } from '../../src/analysis/invariants.js';
import { registerDesign, unregisterDesign } from '../../src/policy/registry.js';
import { ScopedPks, PageStore } from '../../src/policy/index.js';
import { registerRacyScoped } from '../../src/policy/scoped_racy.js';
import type { PolicyContext } from '../../src/kernel/policy_api.js';
import type { ScenarioIR } from '../../src/scenario/ir.js';

const fixture = (name: string): ScenarioIR => {
  const file = `test/fixtures/explore/${name}.pks`;
  return compileScenario(readFileSync(file, 'utf8'), file);
};
const violated = (ir: ScenarioIR, opts: SearchOptions): string[] => {
  const r = search(ir, opts);
  expect(r.complete).toBe(true);
  return r.violations.map((v) => v.invariant).sort();
};

/** A broken design for the test: a grant taken in an interrupt also opens the key in the frame it returns to. */
class LeakyGrant extends ScopedPks {
  override grant(m: PolicyContext, cpu: number, key: number): void {
    super.grant(m, cpu, key);
    const top = m.top(cpu);
    if (top.kind === 'hardirq') m.pardon(cpu, top, 0, key, false);
  }
}

/** A broken design for the test: kmap() also opens the key in the other CPU's PKRS (of two). */
class OtherCpuKmap extends ScopedPks {
  override kmap(m: PolicyContext, cpu: number, page: number): void {
    super.kmap(m, cpu, page);
    const other = cpu === 0 ? 1 : 0;
    m.writePkrs(other, m.pkrs(other) & ~(3 << (m.pageKey[page]! * 2)));
  }
}

let unregisterRacy: () => void = () => {};
beforeAll(() => {
  unregisterRacy = registerRacyScoped();
  registerDesign({
    name: 'leaky-grant',
    modes: ['relaxed'],
    compareModes: ['relaxed'],
    labelWithMode: false,
    summary: 'test: a grant in a hardirq edits its entry frame',
    create: (_m, o) => new LeakyGrant('relaxed', new PageStore(o.pages)),
  });
  registerDesign({
    name: 'other-cpu-kmap',
    modes: ['relaxed'],
    compareModes: ['relaxed'],
    labelWithMode: false,
    summary: "test: kmap() opens the key in another CPU's PKRS",
    promises: () => ['pkrs-own-cpu'],
    create: (_m, o) => new OtherCpuKmap('relaxed', new PageStore(o.pages)),
  });
});
afterAll(() => {
  unregisterRacy();
  unregisterDesign('leaky-grant');
  unregisterDesign('other-cpu-kmap');
});

describe('built-in invariants', () => {
  it('no-broken-legit and no-panic: the handoff under scoped:strict, not under scoped:relaxed', () => {
    const ir = loadScenario('async_handoff_softirq');
    expect(violated(ir, { policy: 'scoped:strict' })).toEqual(['no-broken-legit', 'no-panic']);
    expect(violated(ir, { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it('no-missed-stray: a READ grant written through under none, caught under scoped', () => {
    const ir = loadScenario('dax_read_grant_write');
    expect(violated(ir, { policy: 'none' })).toContain('no-missed-stray');
    expect(violated(ir, { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it('no-leak: kmap_local held at the return to user space; local_copy releases it', () => {
    expect(violated(loadScenario('leak_at_return'), { policy: 'scoped:relaxed' })).toEqual(['no-leak']);
    expect(violated(loadScenario('local_copy'), { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it("pkrs-restored: a design that edits a hardirq's entry frame; scoped restores it", () => {
    const ir = fixture('irq_grant_only');
    expect(violated(ir, { policy: 'leaky-grant' })).toEqual(['pkrs-restored']);
    expect(violated(ir, { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it('counts-agree and no-stale-unprotect: the non-atomic unprotect count loses an update; scoped does not', () => {
    const ir = fixture('two_kmap');
    expect(violated(ir, { policy: 'scoped-racy:relaxed' })).toEqual(['counts-agree', 'no-stale-unprotect']);
    expect(violated(ir, { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it('irq-own-rights: checked by default where the design promises it; a pardoned softirq holds a right it did not take', () => {
    const ir = loadScenario('async_handoff_softirq');
    expect(planChecks(ir, 'scoped:strict').names).toContain('irq-own-rights');
    expect(planChecks(ir, 'scoped:relaxed').names).not.toContain('irq-own-rights');
    expect(planChecks(ir, 'global').names).toContain('irq-own-rights');
    expect(violated(ir, { policy: 'scoped:relaxed', check: ['irq-own-rights'] })).toEqual(['irq-own-rights']);
    expect(violated(ir, { policy: 'global', check: ['irq-own-rights'] })).toEqual([]);
  });

  it("pkrs-own-cpu: checked where the design promises it (partial-order reduction relies on it); a kmap() that opens another CPU's PKRS, abandon's mask", () => {
    const ir = loadScenario('shared_kmap_two_cpus');
    expect(planChecks(ir, 'scoped:relaxed').names).toContain('pkrs-own-cpu');
    expect(planChecks(ir, 'global').names).toContain('pkrs-own-cpu');
    expect(planChecks(ir, 'abandon').names).not.toContain('pkrs-own-cpu');
    expect(violated(ir, { policy: 'other-cpu-kmap' })).toContain('pkrs-own-cpu');
    expect(violated(ir, { policy: 'other-cpu-kmap', por: false })).toContain('pkrs-own-cpu');
    expect(violated(ir, { policy: 'scoped:relaxed', check: ['pkrs-own-cpu'] })).toEqual([]);
    expect(violated(ir, { policy: 'global', check: ['pkrs-own-cpu'] })).toEqual([]);
    // abandon's kmap() abandons the key for every CPU: each picks it up at its next switch or entry.
    expect(violated(ir, { policy: 'abandon', check: ['pkrs-own-cpu'] })).toEqual(['pkrs-own-cpu']);
  });

  it("local-survives-preemption: under exception a softirq's kmap_local counts in the task's nesting, so the task's own stays closed", () => {
    const ir = fixture('local_nest');
    expect(violated(ir, { policy: 'exception', check: ['local-survives-preemption'] })).toEqual(['local-survives-preemption']);
    expect(violated(ir, { policy: 'scoped:relaxed', check: ['local-survives-preemption'] })).toEqual([]);
  });

  it('local-survives-preemption: a machine that forgets the fixmap slots of a task it switches back in', () => {
    const ir = fixture('local_preempt_highmem');
    const broken = (run: { m: { fixmap: { restoreTask: unknown } } }) => {
      run.m.fixmap.restoreTask = () => {};
    };
    expect(violated(ir, { policy: 'none', check: ['local-survives-preemption'], onRun: broken })).toEqual(['local-survives-preemption']);
    expect(violated(ir, { policy: 'none', check: ['local-survives-preemption'] })).toEqual([]);
  });

  it('no-deadlock: a wait no one completes, unless an expect line says finished == 0', () => {
    expect(violated(fixture('deadlock'), {})).toEqual(['no-deadlock']);
    expect(violated(fixture('deadlock_expected'), {})).toEqual([]);
  });

  it("expectations: the scenario's expect lines at every end state", () => {
    const ir = fixture('expect_no_oops');
    expect(violated(ir, { policy: 'scoped:strict' })).toContain('expectations');
    expect(violated(ir, { policy: 'scoped:relaxed' })).toEqual([]);
  });

  it('every built-in invariant is named once, and an unknown --check name is an error', () => {
    expect(new Set(BUILTIN_INVARIANTS.map((i) => i.name)).size).toBe(BUILTIN_INVARIANTS.length);
    expect(() => search(fixture('deadlock'), { check: ['no-such'] })).toThrow(InvariantError);
  });
});

describe('assert and invariant lines', () => {
  it('a failing assert is a violation named assert@FILE:LINE, with a schedule that replays it', () => {
    const r = search(fixture('assert_kmap'), { policy: 'scoped:relaxed', bfs: true });
    const v = r.violations.find((x) => x.invariant === 'assert@assert_kmap.pks:8');
    expect(v).toBeDefined();
    expect(v!.schedule.length).toBeGreaterThan(0);
  });

  it('an invariant line is checked in every state: the false one is reported, the true one and a true assert are not', () => {
    const r = search(fixture('invariant_count'), { policy: 'scoped:relaxed' });
    expect(r.violations.map((v) => v.invariant)).toEqual(['invariant@invariant_count.pks:6']);
    expect(r.checked).toEqual(expect.arrayContaining(['assert', 'invariant']));
  });

  it('--check assert leaves the invariant lines out, and the reverse', () => {
    const ir = fixture('invariant_count');
    expect(violated(ir, { check: ['assert'] })).toEqual([]);
    expect(violated(ir, { check: ['invariant'] })).toEqual(['invariant@invariant_count.pks:6']);
  });
});
