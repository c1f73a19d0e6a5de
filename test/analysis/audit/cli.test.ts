// The command as a user runs it: output formats, paths, errors, progress, jobs.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { FIXTURES } from './util.js';
import { collectFiles } from '../../../src/analysis/audit/prefilter.js';
import { AuditError, runAudit } from '../../../src/analysis/audit/run.js';
import { UsageError } from '../../../src/cli/errors.js';

const AUDIT_SRC = fileURLToPath(new URL('../../../src/analysis/audit/', import.meta.url));

function kernelLike(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-cli-'));
  mkdirSync(join(dir, 'fs/ext9'), { recursive: true });
  mkdirSync(join(dir, 'drivers/demo'), { recursive: true });
  copyFileSync(FIXTURES + 'map_copy_unmap.c', join(dir, 'fs/ext9/dir.c'));
  copyFileSync(FIXTURES + 'work_item.c', join(dir, 'drivers/demo/flush.c'));
  copyFileSync(FIXTURES + 'indirect_call.c', join(dir, 'drivers/demo/filter.c'));
  writeFileSync(join(dir, 'drivers/demo/nothing.c'), 'int demo(void) { return 0; }\n');
  return dir;
}

async function run(args: string[], tty = false) {
  const io = captureIO();
  io.isTTY = tty;
  const code = await main(['audit', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('json', () => {
  it('has the documented shape with paths relative to the PATH given', async () => {
    const dir = kernelLike();
    const r = await run([dir, '--format', 'json', '--jobs', '1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['sites', 'findings', 'errors', 'summary']);
    const s = j.sites.find((x: { file: string }) => x.file === 'fs/ext9/dir.c');
    expect(s).toMatchObject({ file: 'fs/ext9/dir.c', line: 9, column: 10, call: 'kmap', class: 'local', function: 'demo_read_block' });
    expect(typeof s.reason).toBe('string');
    expect(j.sites.map((x: { file: string }) => x.file)).not.toContain(expect.stringMatching(/^\//));
    expect(j.summary).toMatchObject({ filesScanned: 4, filesParsed: 3, kmapSites: 3, classes: { local: 1, global: 1, unclear: 1 } });
    expect(j.summary.subsystems).toEqual({ 'fs/ext9': { local: 1, global: 0, unclear: 0 }, 'drivers/demo': { local: 0, global: 1, unclear: 1 } });
    expect(j.summary.sitesPerFunction).toEqual({ '1': 3 });
  });

  it('a single file PATH gives its base name', async () => {
    const r = await run([FIXTURES + 'store_global.c', '--format', 'json']);
    expect(JSON.parse(r.out).sites[0].file).toBe('store_global.c');
  });
});

describe('sarif', () => {
  it('is SARIF 2.1.0 with rules, results and locations relative to SRCROOT', async () => {
    const dir = kernelLike();
    const r = await run([dir, '--format', 'sarif', '--jobs', '1']);
    const s = JSON.parse(r.out);
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    expect(s.runs).toHaveLength(1);
    const run0 = s.runs[0];
    expect(run0.tool.driver.name).toBe('pksim-audit');
    const ids = run0.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toContain('kmap/local');
    expect(run0.originalUriBaseIds.SRCROOT.uri).toMatch(/^file:\/\/.*\/$/);
    const res = run0.results.find((x: { ruleId: string }) => x.ruleId === 'kmap/global');
    expect(res.level).toBe('note');
    expect(ids[res.ruleIndex]).toBe('kmap/global');
    expect(res.message.text).toContain('kmap(page) is global');
    expect(res.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'drivers/demo/flush.c', uriBaseId: 'SRCROOT' },
      region: { startLine: 28, startColumn: 9, endLine: 28, endColumn: 19 },
    });
  });
});

describe('text', () => {
  it('prints compiler-style lines and a per-subsystem table', async () => {
    const dir = kernelLike();
    const r = await run([dir, '--jobs', '1']);
    const rel = (f: string) => relative(process.cwd(), join(dir, f));
    expect(r.out).toContain(
      `${rel('fs/ext9/dir.c')}:9:10: warning: kmap() can be kmap_local_page(): the address (vaddr) stays in demo_read_block() and is unmapped on every path (line 11) (--fix converts it) [kmap-local]\n`,
    );
    expect(r.out).toMatch(new RegExp(`${rel('drivers/demo/filter.c').replace(/[.]/g, '\\.')}:6:15: note: kmap\\(\\) undecided: .*\\[kmap-unclear\\]\n`));
    expect(r.out).toMatch(/summary: 3 kmap\(\) sites: 1 local, 1 global, 1 unclear/);
    expect(r.out).toMatch(/drivers\/demo\s+0\s+1\s+1\s+2\n/);
    expect(r.out).toMatch(/fs\/ext9\s+1\s+0\s+0\s+1\n/);
  });

  it('shows progress on a TTY only', async () => {
    const dir = kernelLike();
    expect((await run([dir, '--summary'])).err).toBe('');
    expect((await run([dir, '--summary'], true)).err).toContain('audit: 4/4 files');
  });

  it('progress while the workers walk the tree: files so far, then the total', async () => {
    const err = (await run([kernelLike(), '--summary', '--jobs', '2'], true)).err;
    expect(err).toMatch(/audit: [1-3] files/);
    expect(err).toContain('audit: 4/4 files');
  });
});

describe('jobs', () => {
  it('--jobs 2 (worker threads) gives the same result as --jobs 1', async () => {
    const a = JSON.parse((await run([FIXTURES, '--format', 'json', '--jobs', '1'])).out);
    const b = JSON.parse((await run([FIXTURES, '--format', 'json', '--jobs', '2'])).out);
    delete a.summary.elapsedMs;
    delete b.summary.elapsedMs;
    expect(b).toEqual(a);
    expect(a.summary.kmapSites).toBeGreaterThanOrEqual(30);
  });
});

describe('errors', () => {
  it('a missing path is a one-line error naming it, exit 2', async () => {
    const r = await run(['/no/such/tree']);
    expect(r).toEqual({ code: 2, out: '', err: 'pksim audit: /no/such/tree: no such file or directory\n' });
  });
  it('a path that is not a file or directory', async () => {
    const r = await run(['/dev/null']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('pksim audit: /dev/null: not a regular file or directory\n');
  });
  it('bad --format and --jobs, no PATH', async () => {
    expect((await run([FIXTURES, '--format', 'xml'])).err).toBe("pksim audit: --format: 'xml' is not text, json or sarif\n");
    expect((await run([FIXTURES, '--jobs', '0'])).code).toBe(2);
    expect((await run([])).err).toMatch(/^pksim audit: expected at least one PATH/);
    expect((await run([FIXTURES, '--bogus'])).code).toBe(2);
  });
  it('--callees with a missing or malformed file: one line naming the file, exit 2', async () => {
    const r = await run([FIXTURES + 'user_callees.c', '--callees', '/no/such/callees.txt']);
    expect(r).toEqual({ code: 2, out: '', err: 'pksim audit: /no/such/callees.txt: cannot read callee data (ENOENT)\n' });
    const b = await run([FIXTURES + 'user_callees.c', '--callees', FIXTURES + 'bad_callees.txt']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/^pksim audit: .*bad_callees\.txt:3: expected [^\n]*\n$/);
  });
  it('--help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    // Two forms: the audit, and one site's scenario.
    expect(r.out).toMatch(/^usage:\n {2}pksim audit PATH\.\.\. \[--format/);
    expect(r.out).toContain('\n  pksim audit PATH... --scenario FILE:LINE [--out FILE [--force]]\n');
    expect(r.out).toContain('--scenario FILE:LINE');
  });
});

describe('the API raises its own error, with a code', () => {
  it('runAudit() on a missing path throws AuditError AUD001, not the CLI UsageError', async () => {
    const err = await runAudit(['/no/such/tree'], { jobs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect(err).not.toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ code: 'AUD001', message: '/no/such/tree: no such file or directory' });
    expect(await runAudit(['/dev/null'], { jobs: 1 }).catch((e: unknown) => e)).toMatchObject({ code: 'AUD002' });
  });
  it('the analysis does not import the CLI', () => {
    for (const f of readdirSync(AUDIT_SRC)) expect(readFileSync(join(AUDIT_SRC, f), 'utf8'), f).not.toMatch(/from '\.\.\/\.\.\/cli\//);
  });
});

describe('several PATHs', () => {
  it('reports paths relative to their common directory, so same-named files stay apart', () => {
    const root = mkdtempSync(join(tmpdir(), 'audit-multi-'));
    for (const d of ['ext2', 'minix']) {
      mkdirSync(join(root, d));
      writeFileSync(join(root, d, 'dir.c'), 'void f(struct page *p) { void *a = kmap(p); kunmap(p); }\n');
    }
    const rels = collectFiles([join(root, 'ext2'), join(root, 'minix')]).map((f) => f.rel);
    expect(rels).toEqual(['ext2/dir.c', 'minix/dir.c']);
    expect(collectFiles([join(root, 'ext2')]).map((f) => f.rel)).toEqual(['dir.c']);
  });
});

describe('--json', () => {
  it('is the same as --format json, like every pksim command', async () => {
    const a = captureIO();
    const b = captureIO();
    expect(await main(['audit', FIXTURES, '--json', '--jobs', '1'], a)).toBe(0);
    expect(await main(['audit', FIXTURES, '--format', 'json', '--jobs', '1'], b)).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).sites.length).toBeGreaterThan(0);
    expect(await main(['audit', FIXTURES, '--json', '--format', 'sarif'], captureIO())).toBe(2);
  });
});

describe('startup: what the audit command loads before its workers start', () => {
  // Static imports, followed from src/cli/audit.ts (type-only imports do not load anything).
  function staticGraph(entry: string): Set<string> {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?['"](\.[^'"]+)\.js['"]/gm)) visit(join(file, '..', m[1]! + '.ts'));
    };
    visit(entry);
    return seen;
  }

  it('does not load the simulator for a plain audit (audit-scenario is imported only with --scenario)', () => {
    const src = fileURLToPath(new URL('../../../src/', import.meta.url));
    const graph = [...staticGraph(join(src, 'cli/audit.ts'))].map((f) => relative(src, f));
    expect(graph).toContain('analysis/audit/run.ts');
    expect(graph.filter((f) => f.startsWith('sim/') || f === 'cli/audit-scenario.ts')).toEqual([]);
  });

  it("pksim's entry loads no scenario compiler or policy before the command's own modules (ScenarioError comes from scenario/errors)", () => {
    const src = fileURLToPath(new URL('../../../src/', import.meta.url));
    const graph = [...staticGraph(join(src, 'cli/main.ts'))].map((f) => relative(src, f));
    expect(graph).toContain('scenario/errors.ts');
    expect(graph.filter((f) => f.startsWith('policy/') || f.startsWith('sim/') || f === 'scenario/compile.ts' || f === 'scenario/parse.ts')).toEqual([]);
  });
});
