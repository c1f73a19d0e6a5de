// Big and pathological generated files (issue 14, item 5): a file that aborts tree-sitter's
// wasm instance takes no other file with it; no recursion or spread whose depth or size follows
// the input, so the result does not depend on --jobs (the threads' stacks differ).
// bench/audit/large.sh measures the per-file time on 4, 8 and 16 MB files (too slow for CI).

import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAudit } from '../../../src/analysis/audit/run.js';
import { parserInstances, setParserMemory } from '../../../src/analysis/audit/parse.js';
import { MAX_NESTING } from '../../../src/analysis/audit/paths.js';

const HEAD = 'struct page;\nvoid *kmap(struct page *);\nvoid kunmap(struct page *);\nint c;\n';
const ONE = 'void g(struct page *p)\n{\n\tchar *a = kmap(p);\n\ta[0] = 1;\n\tkunmap(p);\n}\n';

/** `n` functions, one kmap() site each. */
function manySites(n: number): string {
  const out = [HEAD];
  for (let i = 0; i < n; i++) out.push(`void f${i}(struct page *p) { char *a = kmap(p); a[0] = 1; kunmap(p); }\n`);
  return out.join('');
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'pksim-large-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

const kmaps = (r: Awaited<ReturnType<typeof runAudit>>, file: string) => r.files.find((f) => f.file === file)?.sites.filter((s) => s.call === 'kmap') ?? [];

describe('audit on big generated files', () => {
  afterEach(() => setParserMemory(null));

  it('a file that aborts the tree-sitter wasm instance is reported, and the files after it are audited by a new instance', async () => {
    // A 40 MiB wasm memory makes tree-sitter abort on 1.5 MB of code, as the default 2 GiB does on 50 MB.
    setParserMemory(40 * 2 ** 20);
    const root = tree({ 'a-huge.c': manySites(30_000), 'b.c': ONE, 'c.c': ONE, 'd.c': ONE });
    const before = parserInstances();
    const res = await runAudit([root], { jobs: 1, maxFileSize: 8 * 2 ** 20, maxSites: 100_000 }); // the other limits out of the way
    expect(res.files.find((f) => f.file === 'a-huge.c')!.error).toMatch(
      /^tree-sitter aborted \(.*Aborted\(\).*\), out of memory on this file; the parser was restarted for the next files$/,
    );
    for (const f of ['b.c', 'c.c', 'd.c']) expect(kmaps(res, f).map((s) => s.class)).toEqual(['local']);
    expect(parserInstances()).toBeGreaterThan(before + 1);
  }, 60_000);

  it(`deep nesting: a kmap() nested 1,000 levels deep is unclear (beyond the walk's ${MAX_NESTING} levels) with --jobs 1 and --jobs 2, not "Maximum call stack size exceeded"`, async () => {
    const body = (d: number, open: string, close: string) => `void f(struct page *p)\n{\n${open.repeat(d)}char *a = kmap(p);\na[0] = 1;\nkunmap(p);\n${close.repeat(d)}}\n`;
    const root = tree({ 'ifs.c': HEAD + body(1000, 'if (c) {\n', '}\n'), 'blocks.c': HEAD + body(1000, '{\n', '}\n'), 'ok.c': ONE });
    const one = await runAudit([root], { jobs: 1 });
    const two = await runAudit([root], { jobs: 2 });
    for (const r of [one, two]) {
      expect(r.files.filter((f) => f.error)).toEqual([]);
      for (const f of ['ifs.c', 'blocks.c']) {
        expect(kmaps(r, f).map((s) => [s.class, s.reason])).toEqual([
          ['unclear', `f() nests statements or expressions more than ${MAX_NESTING} levels deep: its paths are not walked`],
        ]);
      }
      expect(kmaps(r, 'ok.c').map((s) => s.class)).toEqual(['local']);
    }
    expect(JSON.stringify(two.files)).toBe(JSON.stringify(one.files));
  }, 60_000);

  it('--jobs 2 hands batches to the workers while the tree is walked: the same files, order and result as --jobs 1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-large-'));
    // 5 directories of 40 files (some without any mapping call): more than a few batches of 24.
    for (let d = 0; d < 5; d++) {
      mkdirSync(join(root, `d${d}`, 'sub'), { recursive: true });
      for (let i = 0; i < 40; i++) writeFileSync(join(root, `d${d}`, i % 2 ? 'sub' : '', `f${i}.c`), i % 3 ? ONE.replace('g(', `g${d}_${i}(`) : 'int x;\n');
    }
    const one = await runAudit([root], { jobs: 1 });
    const two = await runAudit([root], { jobs: 2 });
    expect(two.inputs.map((f) => f.rel)).toEqual(one.inputs.map((f) => f.rel));
    expect(two.inputs).toHaveLength(200);
    expect(JSON.stringify(two.files)).toBe(JSON.stringify(one.files));
    expect(two.summary.kmapSites).toBe(one.summary.kmapSites);
    expect(one.summary.kmapSites).toBe(130);
  }, 60_000);

  it('many sites: 3,000 kmap() sites in one file are all found and classified, the same with --jobs 1 and --jobs 2', async () => {
    const root = tree({ 'many.c': manySites(3000), 'ok.c': ONE });
    const one = await runAudit([root], { jobs: 1, maxSites: 10_000 });
    const two = await runAudit([root], { jobs: 2, maxSites: 10_000 });
    expect(kmaps(one, 'many.c')).toHaveLength(3000);
    expect(kmaps(one, 'many.c').every((s) => s.class === 'local')).toBe(true);
    expect(kmaps(one, 'many.c')[2999]!.line).toBe(3004);
    expect(JSON.stringify(two.files)).toBe(JSON.stringify(one.files));
  }, 60_000);
});
