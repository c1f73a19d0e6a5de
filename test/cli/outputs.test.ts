// Issue 14: output files and arguments the CLI used to accept, ignore or crash on.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli } from '../helpers.js';

/** One line on stderr, no stack trace. */
function oneLine(err: string): string {
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
  return err.trim();
}

const dir = mkdtempSync(join(tmpdir(), 'pksim-out-'));
const S = 'async_handoff_softirq';

describe('compare --policies with no policy', () => {
  it.each([[['--policies', '']], [['--policies', ',']], [['--policies', ' , ,']], [['--policies', ',', '--html', join(dir, 'none.html')]]])(
    'was renderHtml: no results to render; now exit 2: %j',
    async (args) => {
      const r = await cli('compare', S, ...args);
      expect(r.code).toBe(2);
      expect(oneLine(r.err)).toMatch(/^pksim compare: --policies: no policy in/);
      expect(existsSync(join(dir, 'none.html'))).toBe(false);
    },
  );
});

describe('output files', () => {
  it.each([
    ['run', '--html'],
    ['run', '--perfetto'],
    ['compare', '--html'],
  ])('%s %s "" was ignored; now exit 2', async (cmd, opt) => {
    const r = await cli(cmd, S, opt, '');
    expect(r.code).toBe(2);
    expect(oneLine(r.err)).toBe(`pksim ${cmd}: ${opt}: the file name is empty`);
  });

  it('--html X --perfetto X (the same file twice) is refused before the run', async () => {
    const p = join(dir, 'same');
    // A missing scenario: the refusal comes first, so nothing was loaded or run.
    const r = await cli('run', join(dir, 'missing.pks'), '--html', p, '--perfetto', join(dir, '.', 'same'));
    expect(r.code).toBe(2);
    expect(oneLine(r.err)).toMatch(/--html and --perfetto name the same file/);
    expect(existsSync(p)).toBe(false);
  });

  it('an existing target without --force is refused before the run, not after it', async () => {
    const p = join(dir, 'exists.html');
    writeFileSync(p, 'keep me');
    // A run that would stop at the step limit (exit 3) if it ran: exit 2 says it did not.
    for (const cmd of ['run', 'compare']) {
      const r = await cli(cmd, S, '--html', p, '--max-steps', '1');
      expect(r.code).toBe(2);
      expect(oneLine(r.err)).toBe(`pksim ${cmd}: --html: ${p} already exists (use --force to overwrite it)`);
      expect(r.out).toBe('');
    }
    const r = await cli('run', S, '--perfetto', p);
    expect(r.code).toBe(2);
    expect(readFileSync(p, 'utf8')).toBe('keep me');
  });

  it('--html my.pks --force replaced the scenario with the report; now refused, the scenario intact', async () => {
    const scen = join(dir, 'mine.pks');
    const text = 'task t cpu 0 {\n  nop()\n}\n';
    writeFileSync(scen, text);
    for (const args of [
      ['run', scen, '--html', scen, '--force'],
      ['run', scen, '--perfetto', join(dir, '.', 'mine.pks'), '--force'],
      ['compare', S, scen, '--html', scen, '--force'],
    ]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(oneLine(r.err)).toMatch(/is the scenario .*mine\.pks: write the report elsewhere$/);
    }
    expect(readFileSync(scen, 'utf8')).toBe(text);
  });

  it('a missing directory or a directory as target is refused before the run', async () => {
    expect(oneLine((await cli('run', S, '--html', join(dir, 'no', 'x.html'))).err)).toMatch(/no such directory/);
    expect(oneLine((await cli('run', S, '--perfetto', dir)).err)).toMatch(/is a directory/);
  });

  it.runIf(existsSync('/dev/full'))('--html /dev/full --force (ENOSPC once the file is open): one line, exit 2, no stack', async () => {
    for (const args of [
      ['run', S, '--html', '/dev/full', '--force'],
      ['run', S, '--perfetto', '/dev/full', '--force'],
      ['compare', S, '--html', '/dev/full', '--force'],
    ]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(oneLine(r.err)).toBe(`pksim ${args[0]}: cannot write /dev/full: ENOSPC`);
    }
    expect(existsSync('/dev/full')).toBe(true);
  });

  it.runIf(existsSync('/dev/full'))('pksim list > /dev/full: one line, non-zero exit, no stack trace', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --import tsx src/cli/main.ts list > /dev/full`], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('pksim: cannot write standard output: ENOSPC');
  });

  it('a good report is written, and --force replaces it leaving no temporary file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pksim-good-'));
    const h = join(d, 'r.html');
    const j = join(d, 'r.json');
    expect((await cli('run', S, '--html', h, '--perfetto', j)).code).toBe(0);
    expect(readFileSync(h, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(JSON.parse(readFileSync(j, 'utf8')).traceEvents.length).toBeGreaterThan(10);
    expect((await cli('run', S, '--policy', 'global', '--html', h, '--perfetto', j, '--force')).code).toBe(0);
    expect(JSON.parse(readFileSync(j, 'utf8')).otherData.policy).toBe('global');
    expect(readdirSync(d).sort()).toEqual(['r.html', 'r.json']);
  });
});

describe('--schedule entries the run never used', () => {
  it('were silently ignored; now exit 2 naming the first unused entry', async () => {
    const r = await cli('run', S, '--schedule', '0,0,1,1,1');
    expect(r.code).toBe(2);
    expect(oneLine(r.err)).toBe('pksim run: schedule entry 3 is 1, but the run ended (done) after 2 choice point(s): entries 3..5 were never used');
    const c = await cli('compare', S, '--schedule', '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0', '--policies', 'global');
    expect(c.code).toBe(2);
    expect(oneLine(c.err)).toMatch(/^pksim compare: scenarios\/async_handoff_softirq\.pks: schedule entry \d+ is 0, but the run ended/);
  });

  it('the printed schedule of a run replays it without error, and an out-of-range entry is named', async () => {
    const first = JSON.parse((await cli('run', S, '--seed', '3', '--json')).out) as { schedule: number[] };
    expect((await cli('run', S, '--schedule', first.schedule.join(','), '--quiet')).code).toBe(0);
    const r = await cli('run', S, '--schedule', '7');
    expect(r.code).toBe(2);
    expect(oneLine(r.err)).toMatch(/schedule entry 1 is 7, but tick \d+ offers only choices 0\.\.1/);
  });

  it('a run stopped at the step limit before using its schedule is a limit (exit 3), not a bad schedule', async () => {
    const r = await cli('run', S, '--schedule', '0,0', '--max-steps', '2', '--quiet');
    expect(r.code).toBe(3);
  });
});

describe('explore and the step limit', () => {
  it('runs stopped by --max-steps were ordinary outcomes and exit 0; now the exploration stops there, exit 3', async () => {
    const r = await cli('explore', '--bound', '2', 'stray_irq_during_kmap', '--max-steps', '5');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCOMPLETE: run 1 stopped at limit:steps before the scenario ended/);
    expect(r.out).toMatch(/replay: pksim run stray_irq_during_kmap --policy scoped:relaxed --schedule /);
    expect(oneLine(r.err)).toBe('pksim explore: run 1 stopped at the step limit; raise it with --max-steps; the exploration stopped there');
    const j = JSON.parse((await cli('explore', '--bound', '2', 'stray_irq_during_kmap', '--max-steps', '5', '--json')).out);
    expect(j.limited.stop).toBe('limit:steps');
    expect(j.complete).toBe(false);
    expect(j.violations).toEqual([]); // a partial run does not fail the scenario's expectations
  });

  it('a self-raising softirq under explore stops at the first run, in seconds', async () => {
    const p = join(dir, 'selfraise.pks');
    writeFileSync(p, 'softirq s cpu 0 { raise_softirq(s); raise_softirq(s) }\ntask t cpu 0 { raise_softirq(s) }\n');
    const t0 = performance.now();
    const r = await cli('explore', '--bound', '2', p);
    expect(r.code).toBe(3);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
