// `pksim audit PATH --scenario FILE:LINE`: a .pks skeleton per kmap() site that compiles and runs
// under every design of the registry, with the contexts the audit found.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { runAudit } from '../../../src/analysis/audit/run.js';
import { compileScenario } from '../../../src/scenario/index.js';
import { runScenario } from '../../../src/sim/runner.js';
import { designs, policyLabel } from '../../../src/policy/registry.js';
import { FIXTURES } from './util.js';
import { siteReach, siteScenario } from '../../../src/analysis/audit/scenario.js';

async function audit(args: string[]) {
  const io = captureIO();
  const code = await main(['audit', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

/** Every design in every one of its modes. */
const ALL_DESIGNS = designs().flatMap((d) => (d.modes.length ? d.modes.map((m) => policyLabel({ name: d.name, mode: m })) : [d.name]));

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.c'));

describe('audit --scenario', () => {
  it('every kmap() site of every C fixture: the scenario compiles and runs under every design; under none it completes', async () => {
    const res = await runAudit(
      fixtures.map((f) => FIXTURES + f),
      { jobs: 1, tree: false },
    );
    let sites = 0;
    for (const file of res.files) {
      for (const s of file.sites.filter((x) => x.call === 'kmap')) {
        const ref = `${FIXTURES}${file.file}:${s.line}`;
        const r = await audit([FIXTURES + file.file, '--no-tree', '--jobs', '1', '--scenario', ref]);
        expect(r.code, `${ref}: ${r.err}`).toBe(0);
        expect(r.out).toContain(`${file.file}:${s.line}`);
        const ir = compileScenario(r.out, `${file.file}.pks`);
        for (const policy of ALL_DESIGNS) {
          const run = runScenario(ir, { policy });
          expect(run.stop, `${ref} ${policy}`).not.toMatch(/^limit/);
          if (policy === 'none') expect(run.stop, `${ref} under none`).toBe('done');
        }
        sites++;
      }
    }
    expect(sites).toBeGreaterThan(20);
  }, 120_000);

  it('the whole fixture tree (subdirectories, whole-tree mode): every kmap() site gives a scenario that runs under every design', async () => {
    const res = await runAudit([FIXTURES], { jobs: 1 });
    const abs = new Map(res.inputs.map((f) => [f.rel, f.abs]));
    const kinds = new Set<string>();
    let sites = 0;
    for (const file of res.files) {
      const lines = readFileSync(abs.get(file.file)!, 'utf8').split('\n');
      for (const s of file.sites.filter((x) => x.call === 'kmap')) {
        kinds.add(siteReach(s, lines).kind);
        const ir = compileScenario(siteScenario(s, lines, file.file), `${file.file}.pks`);
        for (const policy of ALL_DESIGNS) expect(runScenario(ir, { policy }).stop, `${file.file}:${s.line} ${policy}`).not.toMatch(/^limit/);
        expect(runScenario(ir, { policy: 'none' }).stop, `${file.file}:${s.line}`).toBe('done');
        sites++;
      }
    }
    expect(sites).toBeGreaterThan(50);
    expect([...kinds].sort()).toEqual(['callback', 'completion', 'stored', 'sync', 'work']);
  }, 120_000);

  it('a queue_work() handoff becomes a work item on a worker, unmapped there', async () => {
    const r = await audit([FIXTURES + 'work_item.c', '--no-tree', '--scenario', `${FIXTURES}work_item.c:28`]);
    expect(r.out).toMatch(/^worker \w+ cpu 1$/m);
    expect(r.out).toMatch(/^work demo_flush_fn_item on \w+ \{/m);
    expect(r.out).toMatch(/queue_work\(demo_flush_fn_item\)\s+\/\/ .*work_item\.c:32/);
    expect(r.out).toMatch(/kunmap\(buf\)\s+\/\/ .*work_item\.c:17 in demo_flush_fn\(\)/);
  });

  it('a completion callback becomes a softirq on the handoff channel', async () => {
    const r = await audit([FIXTURES + 'callback.c', '--no-tree', '--scenario', `${FIXTURES}callback.c:14`]);
    expect(r.out).toMatch(/^softirq demo_read_done cpu 1 on handoff \{/m);
    expect(r.out).toMatch(/send\(handoff, p\)\s+\/\/ .*callback\.c:16/);
  });

  it('a request completed by an engine: a softirq completes it, the task waits and unmaps', async () => {
    const r = await audit([FIXTURES + 'completion.c', '--no-tree', '--scenario', `${FIXTURES}completion.c:17`]);
    expect(r.out).toMatch(/^softirq \w+ cpu 1 on handoff \{/m);
    expect(r.out).toMatch(/wait_for_completion\(done\)\n\s+kunmap\(buf\)\s+\/\/ .*completion\.c:23/);
    expect(r.out).toContain('complete(done)');
  });

  it('a local site is a synchronous task: map, use, unmap on one CPU', async () => {
    const r = await audit([FIXTURES + 'map_copy_unmap.c', '--no-tree', '--scenario', `${FIXTURES}map_copy_unmap.c:9`]);
    expect(r.out).toMatch(/^cpus 1$/m);
    expect(r.out).not.toMatch(/softirq|worker|channel/);
    expect(r.out).toMatch(/kunmap\(buf\)\s+\/\/ .*map_copy_unmap\.c:11/);
  });

  it('a site that does not exist: exit 2 naming it', async () => {
    const r = await audit([FIXTURES + 'map_copy_unmap.c', '--no-tree', '--scenario', `${FIXTURES}map_copy_unmap.c:3`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`map_copy_unmap.c:3: no kmap() site on that line (sites in`);
    const other = await audit([FIXTURES + 'map_copy_unmap.c', '--no-tree', '--scenario', 'nowhere.c:9']);
    expect(other.code).toBe(2);
    expect(other.err).toContain('nowhere.c');
    const bad = await audit([FIXTURES + 'map_copy_unmap.c', '--scenario', 'map_copy_unmap.c']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'map_copy_unmap.c' is not FILE:LINE");
  });

  it('--out writes the file, refuses to overwrite it without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-scn-'));
    const out = join(dir, 'site.pks');
    const args = [FIXTURES + 'map_copy_unmap.c', '--no-tree', '--scenario', `${FIXTURES}map_copy_unmap.c:9`, '--out', out];
    expect((await audit(args)).code).toBe(0);
    const first = readFileSync(out, 'utf8');
    expect(first).toContain('kmap(buf)');
    writeFileSync(out, 'mine');
    const again = await audit(args);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exists (use --force to overwrite it)');
    expect(readFileSync(out, 'utf8')).toBe('mine');
    expect((await audit([...args, '--force'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(first);
    const missing = await audit([FIXTURES + 'map_copy_unmap.c', '--scenario', `${FIXTURES}map_copy_unmap.c:9`, '--out', join(dir, 'no/such/x.pks')]);
    expect(missing.code).toBe(2);
    expect((await audit([FIXTURES + 'map_copy_unmap.c', '--out', out])).err).toContain('--out only makes sense with --scenario');
    // Never over a C file of the tree, even with --force.
    const c = join(dir, 'x.c');
    writeFileSync(c, readFileSync(FIXTURES + 'map_copy_unmap.c'));
    const over = await audit([c, '--no-tree', '--scenario', `${c}:9`, '--out', c, '--force']);
    expect(over.code).toBe(2);
    expect(over.err).toContain('is one of the audited files');
    expect(readFileSync(c, 'utf8')).toBe(readFileSync(FIXTURES + 'map_copy_unmap.c', 'utf8'));
  });
});

describe('audit --scenario on hostile input', () => {
  it('a mapped expression over several lines and a file name with a newline stay inside comments', () => {
    const site = {
      line: 3,
      column: 9,
      endLine: 4,
      endColumn: 2,
      file: 'a\nb.c',
      call: 'kmap' as const,
      class: 'local' as const,
      function: 'task',
      reason: 'r',
      reasons: ['stays\nhere */ write(p)'],
      arg: 'pages[\n i]',
      addr: 'p',
      unmaps: [{ line: 5, column: 2, call: 'kunmap' as const, arg: 'x' }],
      depth: 1,
      lifoOk: true,
      inErrorRegion: false,
    };
    const text = siteScenario(site, ['', '', 'x = kmap(pages[', ' i]);', 'kunmap(x);'], 'dir/a\nb.c');
    const ir = compileScenario(text, 'h.pks');
    expect(ir.contexts.map((c) => c.name)).toEqual(['task_ctx']);
    for (const l of text.split('\n')) if (l.includes('write(p)')) expect(l.trimStart().startsWith('//')).toBe(true);
    for (const policy of ALL_DESIGNS) expect(runScenario(ir, { policy }).stop).not.toMatch(/^limit/);
    expect(runScenario(ir, { policy: 'none' }).stop).toBe('done');
  });
});
