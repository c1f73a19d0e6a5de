// The exports on real runs: every built-in scenario under every policy gives a valid trace and
// a report model whose markers match its events.

import { describe, expect, it } from 'vitest';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { buildViewModel, toPerfetto } from '../../src/report/index.js';
import { findSources } from '../../src/report/write.js';
import { traceProblems } from './trace-format.js';

const POLICIES = ['none', 'global', 'abandon', 'exception', 'scoped:strict', 'scoped:relaxed', 'scoped:silent', 'scoped:off'];

describe('reports of the built-in library', () => {
  for (const name of libraryNames()) {
    it(`${name}: valid Perfetto trace and consistent markers under every policy`, () => {
      const ir = loadScenario(name);
      for (const policy of POLICIES) {
        const r = runScenario(ir, { policy });
        expect(traceProblems(JSON.parse(JSON.stringify(toPerfetto(r)))), `${name} ${policy}`).toEqual([]);
        const run = buildViewModel([r]).runs[0]!;
        const faults = r.events.filter((e) => e.type === 'fault').length;
        const oopses = r.events.filter((e) => e.type === 'oops').length;
        expect(run.markers.filter((m) => m.type === 'fault')).toHaveLength(faults);
        expect(run.markers.filter((m) => m.type === 'oops')).toHaveLength(oopses);
        expect(run.end).toBeGreaterThanOrEqual(r.summary.ticks);
      }
    });
  }

  it('findSources reads a built-in scenario for the report, and skips unknown files', () => {
    const r = runScenario(loadScenario('local_copy'), { policy: 'global' });
    const found = findSources([r, { ...r, scenario: 'nope', file: '/nonexistent/x.pks' }]);
    expect(Object.keys(found)).toEqual([r.file]);
    expect(found[r.file]).toBe(loadScenario('local_copy').source);
  });
});
