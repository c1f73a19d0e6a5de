// The public entry exposes the pipeline end to end: compile, run, report.
import { describe, expect, it } from 'vitest';
import * as pksim from '../src/index.js';

describe('public API', () => {
  it('compiles a scenario, runs it under two designs and formats the log', () => {
    const ir = pksim.compileScenario('cpus 1\nkey k = 1\npage p key k\ntask t cpu 0 {\n a = kmap(p)\n write(a, 0)\n kunmap(p)\n}\n', 'api.pks');
    const scoped = pksim.runScenario(ir, { policy: 'scoped:strict' });
    const exc = pksim.runScenario(ir, { policy: 'exception:strict' });
    expect(scoped.summary.legitBroken).toBe(0);
    expect(exc.summary.legitBroken).toBe(1); // exception: kmap() opens nothing
    expect(pksim.formatDmesg(scoped, ir.source)).toMatch(/kmap\(p\) -> 0xffff888000001000/);
    expect(pksim.METRIC_NAMES).toContain('exposure');
  });
});
