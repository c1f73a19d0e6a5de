// pksim fuzz and pksim merge: the same bytes for any number of workers and shards, replayable
// misses, limits, progress only on a terminal.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../../src/cli/io.js';
import { planUnits, shardRange } from '../../src/analysis/fuzz/campaign.js';
import { runSeed } from '../../src/analysis/fuzz/engine.js';

async function pksim(args: string[], tty = false) {
  const io = captureIO();
  io.isTTY = tty;
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const SCEN = ['stray_irq_during_kmap', 'kthread_pardon_outlives', 'local_copy'];
const COMMON = [...SCEN, '--runs', '90', '--seed', '7', '--policies', 'global,scoped:strict,scoped:relaxed'];

describe('fuzz determinism', () => {
  it('fuzz workers: one and two worker threads print the same JSON', async () => {
    const one = await pksim(['fuzz', ...COMMON, '--json']);
    const two = await pksim(['fuzz', ...COMMON, '--json', '--workers', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.out).toBe(one.out);
    const j = JSON.parse(one.out);
    expect(j.designs.map((d: { policy: string }) => d.policy)).toEqual(['global', 'scoped:strict', 'scoped:relaxed']);
    expect(j.designs[0].runs).toBe(270);
  }, 60_000);

  it('fuzz shards: three shards merged give the bytes of the unsharded run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-fuzz-'));
    const whole = await pksim(['fuzz', ...COMMON, '--json']);
    const files = [];
    for (let k = 0; k < 3; k++) {
      const f = join(dir, `s${k}.json`);
      const r = await pksim(['fuzz', ...COMMON, '--shard', `${k}/3`, '--out', f]);
      expect(r.code).toBe(0);
      files.push(f);
    }
    // In any order.
    const merged = await pksim(['merge', files[2]!, files[0]!, files[1]!, '--json']);
    expect(merged.code).toBe(0);
    expect(merged.out).toBe(whole.out);
    // Missing, repeated, or from another campaign: exit 2, one line.
    expect((await pksim(['merge', files[0]!, files[1]!])).err).toBe('pksim merge: shards missing: 2/3\n');
    const dup = await pksim(['merge', files[0]!, files[1]!, files[1]!, files[2]!]);
    expect(dup.code).toBe(2);
    expect(dup.err).toContain('shard 1/3 already given');
    const other = join(dir, 'other.json');
    await pksim(['fuzz', ...COMMON, '--seed', '8', '--shard', '2/3', '--out', other]);
    const mixed = await pksim(['merge', files[0]!, files[1]!, other]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('another campaign');
    const forged = join(dir, 'forged.json');
    const j0 = JSON.parse(readFileSync(files[0]!, 'utf8'));
    j0.stats.local_copy.global.missed = -1;
    writeFileSync(forged, JSON.stringify(j0));
    const bad = await pksim(['merge', forged, files[1]!, files[2]!]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`pksim merge: ${forged}: stats.local_copy.global.missed is not what pksim fuzz writes\n`);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"tool":"x"}');
    expect((await pksim(['merge', junk])).err).toBe(`pksim merge: ${junk}: not a pksim fuzz result (format 1)\n`);
    // Every refusal has the stable code PKS103 (docs/errors.md).
    expect(JSON.parse((await pksim(['merge', files[0]!, '--json'])).out).error).toMatchObject({ kind: 'usage', code: 'PKS103' });
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toMatch(/^\| `PKS103` \| a fuzz result `pksim merge` refuses/m);
  }, 60_000);

  it('fuzz shard arithmetic: the N shards cover 0..R-1 exactly once, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 300 }), (runs, n) => {
        let next = 0;
        for (let k = 0; k < n; k++) {
          const [lo, hi] = shardRange(runs, k, n);
          expect(lo).toBe(next);
          expect(hi).toBeGreaterThanOrEqual(lo);
          next = hi;
        }
        expect(next).toBe(runs);
      }),
    );
  });

  it('fuzz units: every run of the shard is in exactly one unit, whatever the chunk', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 64 }), (a, len, chunk) => {
        const units = planUnits(2, 3, a, a + len, chunk);
        for (let s = 0; s < 2; s++)
          for (let p = 0; p < 3; p++) {
            const mine = units.filter((u) => u.scenario === s && u.policy === p);
            expect(mine.reduce((n, u) => n + u.end - u.start, 0)).toBe(len);
            for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBe(mine[i - 1]!.end);
          }
      }),
    );
  });

  it('fuzz run seeds: a function of (seed, scenario, run) alone, distinct across runs', () => {
    expect(runSeed(1, 'a', 5)).toBe(runSeed(1, 'a', 5));
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(runSeed(1, 'local_copy', i));
    expect(seen.size).toBeGreaterThan(9_980);
    expect(runSeed(1, 'a', 0)).not.toBe(runSeed(2, 'a', 0));
    expect(runSeed(1, 'a', 0)).not.toBe(runSeed(1, 'b', 0));
  });
});

describe('fuzz replay', () => {
  it('fuzz replay: every printed replay command of a missed stray reproduces the miss', async () => {
    const r = await pksim(['fuzz', ...COMMON, '--json', '--examples', '2']);
    const j = JSON.parse(r.out);
    expect(j.examples.length).toBeGreaterThan(3);
    for (const ex of j.examples) {
      const args: string[] = ex.replay.split(' ');
      expect(args[0]).toBe('pksim');
      const run = await pksim([...args.slice(1), '--json']);
      expect(run.code).toBe(0);
      const res = JSON.parse(run.out);
      expect(res.injection.fate).toBe('missed');
      expect(res.injection.spec).toBe(ex.inject);
      expect(res.seed).toBe(ex.seed);
    }
  }, 60_000);
});

describe('fuzz limits and progress', () => {
  it('fuzz --max-steps: exit 3 naming the limit', async () => {
    const r = await pksim(['fuzz', 'stray_irq_during_kmap', '--runs', '5', '--max-steps', '5']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^pksim fuzz: stopped at .*step limit.*raise it with --max-steps\n$/);
  });

  it('fuzz --max-steps with --json: the error object names the limit', async () => {
    const r = await pksim(['fuzz', 'stray_irq_during_kmap', '--runs', '5', '--max-steps', '5', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error).toMatchObject({ kind: 'limit' });
  });

  it('fuzz --svg: writes the charts, and refuses an existing file without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-fuzz-svg-'));
    const f = join(dir, 'c.svg');
    const a = await pksim(['fuzz', 'local_copy', '--runs', '10', '--svg', f]);
    expect(a.code).toBe(0);
    expect(readFileSync(f, 'utf8').startsWith('<svg')).toBe(true);
    const b = await pksim(['fuzz', 'local_copy', '--runs', '10', '--svg', f]);
    expect(b.code).toBe(2);
    expect(b.err).toBe(`pksim fuzz: --svg: ${f} already exists (use --force to overwrite it)\n`);
  }, 30_000);

  it('fuzz --time-limit: exit 3 naming the limit', async () => {
    const r = await pksim(['fuzz', 'local_copy', '--runs', '1000000000', '--policies', 'none', '--time-limit', '1']);
    expect(r.code).toBe(3);
    expect(r.err).toBe('pksim fuzz: stopped at the time limit; raise it with --time-limit\n');
  }, 30_000);

  it('fuzz progress: on a terminal only, and never with --json', async () => {
    const piped = await pksim(['fuzz', 'local_copy', '--runs', '20']);
    expect(piped.err).toBe('');
    const tty = await pksim(['fuzz', 'local_copy', '--runs', '20'], true);
    expect(tty.err).toMatch(/runs\/s, ETA \d+ s, worst missed ratio/);
    const json = await pksim(['fuzz', 'local_copy', '--runs', '20', '--json'], true);
    expect(json.err).toBe('');
  });

  it('fuzz bad options: exit 2 naming the option', async () => {
    expect((await pksim(['fuzz', '--shard', '3/3'])).err).toBe("pksim fuzz: --shard K: '3' is not an integer in 0..2\n");
    expect((await pksim(['fuzz', '--kinds', 'forged,nope'])).err).toBe("pksim fuzz: --kinds: 'nope' is not one of forged, uaf, foreign-local\n");
    expect((await pksim(['fuzz', '--runs', '0'])).code).toBe(2);
  });
});

describe('fuzz output and options', () => {
  it('fuzz text: a row per design, ratios over --base, one replay per design, --per-scenario tables', async () => {
    const r = await pksim([
      'fuzz',
      'stray_irq_during_kmap',
      'local_copy',
      '--runs',
      '60',
      '--policies',
      'global,scoped:relaxed,scoped:silent',
      '--base',
      'global',
      '--per-scenario',
    ]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    for (const p of ['global', 'scoped:relaxed', 'scoped:silent']) expect(lines.some((l) => l.startsWith(`${p} `))).toBe(true);
    expect(r.out).toContain('scoped:relaxed / global');
    expect(r.out).toContain('scoped:silent / global');
    expect(r.out).not.toContain('global / global');
    expect(r.out).toContain('== stray_irq_during_kmap\n');
    expect(r.out).toContain('== local_copy\n');
    expect(r.out).toMatch(/missed strays, replayable \(one per design; --json lists \d+\):\n {2}\S+ under global, run \d+: pksim run /);
  });

  it('fuzz --base: the ratios divide by it', async () => {
    const j = JSON.parse((await pksim(['fuzz', 'local_copy', '--runs', '30', '--policies', 'none,global', '--base', 'none', '--json'])).out);
    expect(j.ratios.map((x: { numerator: string; denominator: string }) => `${x.numerator}/${x.denominator}`)).toEqual(['global/none']);
  });

  it('fuzz holders and bystanders: every fired stray is one or the other', async () => {
    type St = Record<string, { fired: number; holder: { fired: number }; bystander: { fired: number } }>;
    const j = JSON.parse((await pksim(['fuzz', ...SCEN, '--runs', '80', '--json'])).out) as { stats: Record<string, St> };
    for (const sc of Object.values(j.stats)) for (const st of Object.values(sc)) expect(st.holder.fired + st.bystander.fired).toBe(st.fired);
  });

  it('fuzz scenario names: two scenarios of one name are refused (runs are seeded by the name)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-fuzz-name-'));
    const f = join(dir, 'local_copy.pks');
    writeFileSync(f, 'key k = 1\npage p key k\ntask t cpu 0 { x = kmap_local_page(p); read(x, 0); kunmap_local(x) }\n');
    const r = await pksim(['fuzz', 'local_copy', f, '--runs', '5']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('pksim fuzz: two scenarios are named local_copy: the runs of each are seeded by its name\n');
  });

  it('merge text: without --json the merged report prints as tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-merge-text-'));
    const f = join(dir, 'only.json');
    expect((await pksim(['fuzz', 'local_copy', '--runs', '20', '--shard', '0/1', '--out', f])).code).toBe(0);
    const r = await pksim(['merge', f]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^pksim fuzz: 1 scenario\(s\) x 8 design\(s\), 20 runs each \(seed 1\), one injected stray per run\n/);
  });
});
