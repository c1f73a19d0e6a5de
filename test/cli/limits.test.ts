// Issue 14: resource limits. Runaway runs stop in seconds with a message naming the limit
// (exit 3); output is streamed and bounded by --max-output instead of built as one string
// (`RangeError: Invalid string length`); compare --html bounds the events of all its runs.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO } from '../../src/cli/io.js';
import { BoundedOut, logPrefix, writeJson } from '../../src/cli/emit.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { formatDmesg } from '../../src/report/dmesg.js';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pksim-limits-'));
const SELF_RAISE = join(dir, 'selfraise.pks');
writeFileSync(SELF_RAISE, 'softirq s cpu 0 { raise_softirq(s); raise_softirq(s) }\ntask t cpu 0 { raise_softirq(s) }\n');
const LONG = join(dir, 'longname.pks');
const NAME = 'v'.repeat(1200);
writeFileSync(LONG, `page pg\ntask t cpu 0 {\n  repeat 1000 {\n    repeat 1000 {\n      ${NAME} = page_address(pg)\n    }\n  }\n}\n`);

describe('default limits stop runaway runs', () => {
  it('a self-raising softirq stops at the event limit in seconds, exit 3 naming --max-events', async () => {
    const t0 = performance.now();
    const r = await cli('run', SELF_RAISE, '--quiet');
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    expect(r.err).toBe('pksim run: stopped at the event limit (recorded events: the memory bound); raise it with --max-events\n');
  });

  it('compare --html kept every event of every run (8 x --max-events); now --max-events bounds their sum', async () => {
    const html = join(dir, 'c.html');
    const r = await cli('compare', SELF_RAISE, '--html', html, '--max-events', '1000');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/stopped at the event limit .*--max-events \(1000 events over all runs, kept for --html\)/);
    const model = JSON.parse(/<script type="application\/json" id="pksim-data">([^]*?)<\/script>/.exec(readFileSync(html, 'utf8'))![1]!);
    expect(model.runs).toHaveLength(8);
    // Without --html no event is kept, and each run has the whole budget.
    const plain = await cli('compare', SELF_RAISE, '--max-events', '1000', '--max-steps', '5000', '--json');
    expect(JSON.parse(plain.out).files[0].runs.every((x: { stop: string }) => x.stop === 'limit:steps')).toBe(true);
  });
});

describe('output bigger than a JavaScript string', () => {
  it('a 1,200-char name printed a million times: the log stops at --max-output, exit 3', async () => {
    const r = await cli('run', LONG, '--max-output', '100000');
    expect(r.code).toBe(3);
    const cut = /\[log cut after (\d+) of (\d+) events: the output limit\]\n/.exec(r.out);
    expect(cut).not.toBeNull();
    expect(r.out.indexOf(cut![0])).toBeLessThanOrEqual(100_000);
    expect(r.out).toMatch(/--- longname under scoped:relaxed: limit:events/); // the summary still comes
    expect(r.err).toContain('--max-output');
  });

  it('the log of a cut run is exactly the start of the whole log', () => {
    const ir = loadScenario(LONG);
    const res = runScenario(ir, { maxEvents: 3000 });
    const whole = formatDmesg(res, ir.source);
    const n = logPrefix(res, ir.source, 500_000);
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(res.events.length);
    const part = formatDmesg({ ...res, events: res.events.slice(0, n) }, ir.source);
    expect(part.length).toBeLessThanOrEqual(500_000);
    expect(whole.startsWith(part)).toBe(true);
  });

  it('--json stops at --max-output too, exit 3', async () => {
    const r = await cli('run', LONG, '--json', '--max-output', '50000');
    expect(r.code).toBe(3);
    expect(r.out.length).toBeLessThanOrEqual(50_000);
    expect(r.err).toMatch(/--max-output/);
  });
});

describe('streamed JSON', () => {
  it('is the text JSON.stringify gives, for runs and for any JSON value', async () => {
    const res = runScenario(loadScenario('async_handoff_softirq'), {});
    const io = captureIO();
    writeJson(new BoundedOut(io), res);
    expect(io.stdout).toBe(JSON.stringify(res) + '\n');
    const r = await cli('run', 'async_handoff_softirq', '--json');
    expect(r.out).toBe(JSON.stringify(JSON.parse(r.out)) + '\n');
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.option(fc.string()), { minLength: 64, maxLength: 100 }), (v, big) => {
        for (const x of [v, big, { a: v, big, u: undefined }]) {
          const o = captureIO();
          writeJson(new BoundedOut(o), x);
          expect(o.stdout).toBe(JSON.stringify(x) + '\n');
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('scenario size', () => {
  it('a 13 MB scenario took 1 GB to compile; now refused by --max-source before it is read, exit 3', async () => {
    const big = join(dir, 'big.pks');
    writeFileSync(big, `page pg\ntask t cpu 0 {\n${'  nop()\n'.repeat(1000)}}\n`);
    const r = await cli('run', big, '--max-source', '1000');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^pksim run: .*big\.pks: \d+ bytes, over the scenario size limit of 1000 bytes; raise it with --max-source\n$/);
    expect((await cli('compare', big, '--max-source', '1000')).code).toBe(3);
    expect((await cli('explore', big, '--max-source', '1000')).code).toBe(3);
    expect((await cli('run', big, '--quiet')).code).toBe(0);
  });
});
