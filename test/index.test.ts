// The public entry exposes the pipeline end to end: compile, run, report.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as pksim from '../src/index.js';

describe('public API', () => {
  it('compiles a scenario, runs it under two designs and formats the log', () => {
    const ir = pksim.compileScenario('cpus 1\nkey k = 1\npage p key k\ntask t cpu 0 {\n a = kmap(p)\n write(a, 0)\n kunmap(p)\n}\n', 'api.pks');
    const scoped = pksim.runScenario(ir, { policy: 'scoped:strict' });
    const exc = pksim.runScenario(ir, { policy: 'exception:strict' });
    expect(scoped.summary.legitBroken).toBe(0);
    expect(exc.summary.legitBroken).toBe(1); // exception: kmap() opens nothing
    expect(pksim.formatFtrace(scoped)).toMatch(/tracing_mark_write: kmap p -> 0xffff888000001000/);
    expect(pksim.formatDmesg(exc, ir.source)).toMatch(/Oops: 0023 \[#1\] PREEMPT SMP NOPTI/);
    expect(pksim.METRIC_NAMES).toContain('exposure');
  });

  it('exports the explorer: explore() finds the stray the global design misses', () => {
    const ir = pksim.loadScenario('stray_irq_during_kmap');
    const res: pksim.ExploreResult = pksim.explore(ir, { policy: 'global', bound: 1, check: ['no-missed-stray'] });
    expect(res.complete).toBe(true);
    expect(res.violations.map((v) => v.invariant)).toEqual(['no-missed-stray']);
    expect(pksim.INVARIANTS.map((i) => i.name)).toContain('no-leak');
  });

  it('importing the library installed an EPIPE handler on the host stdout: importing has no side effect', () => {
    const code = `const before = process.stdout.listenerCount('error');
      await import('./src/index.ts'); await import('./src/cli/main.ts'); await import('./src/cli/io.ts');
      console.log(JSON.stringify({ before, after: process.stdout.listenerCount('error'), exit: process.listenerCount('exit') }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { before: number; after: number };
    expect(j.after).toBe(j.before);
  });
});
