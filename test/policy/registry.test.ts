// The design registry: one entry per design, and everything that lists designs derives from
// it. A toy design defined in this file alone is accepted by the language and runs the library.

import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  defaultCompare,
  designNames,
  designs,
  parsePolicy,
  policyLabel,
  registerDesign,
  unregisterDesign,
  ContextLocalPks,
  NoPks,
  PolicyError,
} from '../../src/policy/index.js';
import type { Frame, PolicyContext } from '../../src/kernel/policy_api.js';
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

/** The toy designs this file registers (not built in: no README row). */
const TOYS = ['leaky', 'noframe'];

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
    for (const d of designs().filter((x) => !TOYS.includes(x.name))) {
      // A cell of its own, however Prettier pads the table.
      expect(readme).toMatch(new RegExp(`^\\| \`${d.name}(\\[:mode\\])?\` +\\|`, 'm'));
    }
  });

  it('refuses a second design with a taken name', () => {
    expect(() => registerDesign({ ...designs()[0]! })).toThrow(/already registered/);
  });
});

/**
 * Toy design: interrupts and exceptions neither save nor restore PKRS (a kernel without the
 * series' entry code): entry gives the interrupt the PKRS of what it interrupted, exit hands
 * the interrupt's PKRS back. Built from the entry/exit hooks alone.
 */
class NoFrame extends ContextLocalPks {
  constructor() {
    super('noframe');
  }
  contextEntry(m: PolicyContext, cpu: number, frame: Frame): void {
    m.writePkrs(cpu, frame.savedPkrs);
  }
  contextExit(m: PolicyContext, cpu: number, frame: Frame): void {
    frame.savedPkrs = m.pkrs(cpu);
  }
}

describe('a policy is data plus a small set of hooks, context entry/exit included', () => {
  registerDesign({
    name: 'noframe',
    modes: [],
    compareModes: [],
    labelWithMode: false,
    summary: 'a toy: interrupts neither save nor restore PKRS',
    create: () => new NoFrame(),
  });
  afterAll(() => unregisterDesign('noframe'));
  const head = 'cpus 1\nkey pmem = 1 default noaccess\npage loc key pmem\npage other key pmem\n';

  it('contextEntry: a design whose interrupts inherit the interrupted PKRS misses the stray in a kmap_local window', () => {
    const text = head + 'task t cpu 0 {\n l = kmap_local_page(loc)\n raise_irq(h)\n write(l, 8)\n kunmap_local(l)\n}\nhardirq h cpu 0 {\n stray_write(other, 0x40)\n}\n';
    const toy = runScenario(compileScenario(text, 'toy.pks'), { policy: 'noframe' });
    expect([toy.summary.straysMissed, toy.summary.straysCaught, toy.summary.legitBroken]).toEqual([1, 0, 0]);
    const builtin = runScenario(compileScenario(text, 'toy.pks'), { policy: 'scoped:strict' });
    expect([builtin.summary.straysMissed, builtin.summary.straysCaught]).toEqual([0, 1]);
  });

  it("contextExit: a design may edit the frame before the machine restores it (the interrupt's rights flow back)", () => {
    const text = head + 'task t cpu 0 {\n raise_irq(h)\n stray_write(other, 8)\n}\nhardirq h cpu 0 {\n grant_access(pmem, READ|WRITE)\n}\n';
    const toy = runScenario(compileScenario(text, 'toy.pks'), { policy: 'noframe' });
    expect([toy.summary.leaks, toy.summary.straysMissed, toy.summary.straysCaught]).toEqual([1, 1, 0]);
    const builtin = runScenario(compileScenario(text, 'toy.pks'), { policy: 'scoped:strict' });
    expect([builtin.summary.leaks, builtin.summary.straysMissed, builtin.summary.straysCaught]).toEqual([1, 0, 1]);
  });
});
