// The design registry: one entry per design, and everything that lists designs derives from
// it. A toy design defined in this file alone is accepted by the language and runs the library.

import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { defaultCompare, designNames, designs, parsePolicy, policyLabel, registerDesign, unregisterDesign, NoPks, PolicyError } from '../../src/policy/index.js';
import type { PolicyContext } from '../../src/kernel/policy_api.js';
import { compileScenario, libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { main } from '../../src/cli/main.js';

/** Toy design: PKS on, and kmap() opens the page's key for good on the CPU that called it. */
class Leaky extends NoPks {
  override readonly pks = true;
  override kmap(m: PolicyContext, cpu: number, page: number): void {
    m.writePkrs(cpu, m.pkrs(cpu) & ~(3 << (m.pageKey[page]! * 2)));
  }
}

describe('the design registry', () => {
  registerDesign({
    name: 'leaky',
    modes: [],
    compareModes: [],
    labelWithMode: false,
    summary: 'a toy: kmap() opens the key on its CPU for good',
    create: () => new Leaky('leaky'),
  });
  afterAll(() => unregisterDesign('leaky'));

  it('lists the built-in designs, each with a summary, and one label per design and mode', () => {
    expect(designNames().slice(0, 5)).toEqual(['none', 'global', 'abandon', 'exception', 'scoped']);
    for (const d of designs()) expect(d.summary.length).toBeGreaterThan(10);
    expect(policyLabel(parsePolicy('abandon'))).toBe('abandon');
    expect(policyLabel(parsePolicy('abandon:strict'))).toBe('abandon:strict');
    expect(policyLabel(parsePolicy('scoped'))).toBe('scoped:relaxed');
    expect(() => parsePolicy('global:strict')).toThrow(PolicyError);
    expect(() => parsePolicy('exception:off')).toThrow(/unknown mode 'off' for exception/);
  });

  it('a toy design added in a test file alone is accepted by the language, the CLI and compare, and runs the library', async () => {
    expect(defaultCompare()).toContain('leaky');
    const ir = compileScenario('key k = 1\npage p key k\ntask t cpu 0 {\n a = kmap(p)\n kunmap(p)\n stray_write(p)\n}\nexpect leaky straysMissed == 1\n', 'toy.pks');
    const r = runScenario(ir, { policy: 'leaky' });
    expect(r.policy).toBe('leaky');
    expect(r.expectations.map((x) => x.ok)).toEqual([true]);
    for (const name of libraryNames()) {
      const lib = runScenario(loadScenario(name), { policy: 'leaky' });
      expect(['done', 'killed', 'panic', 'deadlock']).toContain(lib.stop);
    }
    const out: string[] = [];
    const code = await main(['compare', 'stray_irq_during_kmap', '--policies', 'none,leaky'], { out: (s: string) => out.push(s), err: () => {} } as never);
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/^leaky\s/m);
  });

  it("the README's design table has a row for every registered built-in design", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const d of designs().filter((x) => x.name !== 'leaky')) {
      // A cell of its own, however Prettier pads the table.
      expect(readme).toMatch(new RegExp(`^\\| \`${d.name}(\\[:mode\\])?\` +\\|`, 'm'));
    }
  });

  it('refuses a second design with a taken name', () => {
    expect(() => registerDesign({ ...designs()[0]! })).toThrow(/already registered/);
  });
});
