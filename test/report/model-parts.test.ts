import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { libraryNames, loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { buildViewModel } from '../../src/report/model.js';
import { buildTimeline } from '../../src/report/timeline.js';
import { flows } from '../../src/report/flows.js';
import { logLines, logTicks, packLog, stampTick } from '../../src/report/runlog.js';

describe('view model: flows between markers', () => {
  it('every flow of every library run joins two markers at its events; a flow-only marker is the end of a flow', () => {
    let n = 0;
    for (const name of libraryNames()) {
      for (const policy of ['global', 'scoped:relaxed']) {
        const ir = loadScenario(name);
        const r = runScenario(ir, { policy });
        const run = buildViewModel([r]).runs[0]!;
        const tl = buildTimeline(r);
        const want = flows(tl.events);
        expect(run.flows.length, `${name} ${policy}`).toBe(want.length);
        run.flows.forEach((f, k) => {
          const a = run.markers[f.from];
          const b = run.markers[f.to];
          expect(a?.tick, `${name} ${policy} flow ${k}`).toBe(tl.events[want[k]!.from]!.tick);
          expect(b?.tick).toBe(tl.events[want[k]!.to]!.tick);
          expect(a?.cpu).toBe(tl.events[want[k]!.from]!.cpu);
          expect(b?.cpu).toBe(tl.events[want[k]!.to]!.cpu);
          expect(f.kind).toBe(want[k]!.kind);
          n++;
        });
        const ends = new Set(run.flows.flatMap((f) => [f.from, f.to]));
        run.markers.forEach((m, i) => {
          if (m.type === 'flow') expect(ends.has(i), `${name} ${policy} marker ${i}`).toBe(true);
        });
      }
    }
    expect(n).toBeGreaterThan(20);
  });
});

describe('run log in the report', () => {
  it('stampTick reads both timestamp layouts: [  tick] and dmesg seconds (one tick one microsecond)', () => {
    expect(stampTick('[    7] cpu1 softirq block_done: write(p, 0x10)')).toBe(7);
    expect(stampTick('[    0.000007] WARNING: CPU: 1 PID: 0 at x.pks:24')).toBe(7);
    expect(stampTick('[   12.000345] x')).toBe(12000345);
    expect(stampTick('------------[ cut here ]------------')).toBeNull();
    expect(stampTick('   24 |     write(p, 0x10)')).toBeNull();
  });

  it('logTicks: a line without a stamp belongs to the line above; the summary after the log to none', () => {
    expect(logTicks(['pksim: x', '[    3] a', '------------[ cut here ]------------', 'WARNING: CPU: 1', '[    5] b', '--- x under y: done', '    legitAccesses=1'])).toEqual([
      -1, 3, 3, 3, 5, -1, -1,
    ]);
  });

  it('packLog: the log as pksim run prints it, gzipped, round-trips', () => {
    const ir = loadScenario('async_handoff_softirq');
    const r = runScenario(ir, { policy: 'scoped:relaxed' });
    const lines = logLines(r, ir.source);
    const run = buildViewModel([{ ...r, source: ir.source } as typeof r]).runs[0]!;
    expect(gunzipSync(Buffer.from(run.log, 'base64')).toString('utf8')).toBe(lines.join('\n'));
    expect(packLog(lines)).toBe(run.log); // deterministic
    expect(lines.some((l) => stampTick(l) !== null)).toBe(true);
  });
});
