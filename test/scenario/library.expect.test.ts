// The built-in library is the regression suite: every scenario carries `expect` lines per
// design, each with a comment in the .pks file saying why the number is what it is.

import { describe, expect, it } from 'vitest';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { defaultCompare, findDesign, policyLabel } from '../../src/policy/index.js';
import type { ScenarioIR } from '../../src/scenario/ir.js';

/** The designs a scenario's `expect` lines name: NAME:MODE as written, a bare NAME in its compare modes. */
function namedPolicies(ir: ScenarioIR): string[] {
  const out = new Set<string>();
  for (const e of ir.expects) {
    if (e.policy === null) continue;
    const [name, mode] = e.policy.split(':') as [string, string | undefined];
    const d = findDesign(name)!;
    if (mode !== undefined || d.modes.length === 0) out.add(e.policy);
    else for (const m of d.compareModes) out.add(policyLabel({ name, mode: m }));
  }
  // Expectations that name no design apply to every one: check those under the compare default.
  return out.size > 0 ? [...out] : defaultCompare();
}

describe.each(libraryNames())('library scenario %s', (name) => {
  const ir = loadScenario(name);
  it.each(namedPolicies(ir))('meets its expectations under %s', (policy) => {
    const r = runScenario(ir, { policy });
    const failed = r.expectations.filter((x) => !x.ok).map((x) => `line ${x.line}: ${x.text} (actual ${x.actual})`);
    expect(failed).toEqual([]);
    // Every design is pinned by at least three numbers in every scenario.
    expect(r.expectations.length).toBeGreaterThanOrEqual(3);
  });
});

describe('the headline the proposal claims, measured', () => {
  it('stray write during a kmap() window: global misses it, scoped:relaxed warns about it', () => {
    const ir = loadScenario('stray_irq_during_kmap');
    expect(runScenario(ir, { policy: 'global' }).summary.straysMissed).toBe(1);
    const relaxed = runScenario(ir, { policy: 'scoped:relaxed' }).summary;
    expect(relaxed.straysWarned + relaxed.straysCaught).toBe(1);
    expect(relaxed.straysMissed).toBe(0);
  });

  it('async handoff: strict breaks it with an oops, relaxed warns once and completes, silent completes quietly', () => {
    const ir = loadScenario('async_handoff_softirq');
    const strict = runScenario(ir, { policy: 'scoped:strict' }).summary;
    expect(strict.legitBroken).toBe(1);
    expect(strict.oopses).toBe(1);
    const relaxed = runScenario(ir, { policy: 'scoped:relaxed' }).summary;
    expect([relaxed.warnings, relaxed.legitWarned, relaxed.finished, relaxed.legitBroken]).toEqual([1, 1, 1, 0]);
    const silent = runScenario(ir, { policy: 'scoped:silent' }).summary;
    expect([silent.warnings, silent.legitSilent, silent.finished, silent.legitBroken]).toEqual([0, 1, 1, 0]);
  });
});
