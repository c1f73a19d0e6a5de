// The built-in library: every scenario compiles, says which kernel path it models, and can be
// loaded by name; `pksim list` names them all.

import { describe, expect, it } from 'vitest';
import { captureIO } from '../../src/cli/io.js';
import { command } from '../../src/cli/list.js';
import { main } from '../../src/cli/main.js';
import { compileScenario, libraryNames, listScenarios, loadScenario, readScenario } from '../../src/scenario/index.js';

const names = libraryNames();

describe('built-in scenario library', () => {
  it('has at least twelve scenarios', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of names) {
    it(`${name} compiles and describes itself`, () => {
      const ir = loadScenario(name);
      expect(ir.name).toBe(name);
      expect(ir.file).toBe(`scenarios/${name}.pks`);
      expect(ir.description.length).toBeGreaterThan(40);
      // Every scenario says which real code path it mirrors.
      expect(ir.description).toMatch(/like|case in|proposed way/);
      expect(ir.contexts.length).toBeGreaterThan(0);
    });
  }

  it('loads a scenario by path as well as by name', () => {
    const { text } = readScenario('local_copy');
    const byName = loadScenario('local_copy');
    expect(compileScenario(text, 'scenarios/local_copy.pks')).toEqual(byName);
  });

  it('covers the code paths issue 3 asks for', () => {
    for (const n of [
      'local_copy',
      'local_preempt_migrate',
      'nested_irq_local',
      'async_handoff_softirq',
      'async_handoff_workqueue',
      'handoff_page_local',
      'dax_grant_revoke',
      'kmap_local_interleave',
      'shared_kmap_two_cpus',
      'pkmap_exhaustion',
      'kthread_pardon_outlives',
      'stray_irq_during_kmap',
      'lifo_violation',
    ])
      expect(names).toContain(n);
  });
});

describe('pksim list', () => {
  it('prints one line per scenario', async () => {
    const io = captureIO();
    expect(await command([], io)).toBe(0);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(names.length);
    expect(lines[0]!.startsWith(names[0]!)).toBe(true);
  });

  it('is a pksim command', async () => {
    const io = captureIO();
    expect(await main(['list'], io)).toBe(0);
    expect(io.stdout.split('\n')[0]!.startsWith(names[0]!)).toBe(true);
    expect(await main(['list', 'extra'], captureIO())).toBe(2);
  });

  it('prints JSON with --json', async () => {
    const io = captureIO();
    expect(await command(['--json'], io)).toBe(0);
    const list = JSON.parse(io.stdout) as { name: string; description: string }[];
    expect(list).toEqual(listScenarios());
    expect(Object.keys(list[0]!)).toEqual(['name', 'description']);
  });
});
