// A cold run over one directory with several jobs: the workers walk it piece by piece and
// finish each subsystem's whole-tree pass (spread.ts). The result must be that of --jobs 1.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/analysis/audit/run.js';

// A getter and its put helper (NAME_get, NAME_put), and a caller in another file that pairs them.
const GETTER = (name: string) => `void *${name}_get(struct page *page)\n{\n\treturn kmap(page);\n}\n\nvoid ${name}_put(struct page *page)\n{\n\tkunmap(page);\n}\n`;
const CALLER = (fn: string, name: string) =>
  `void *${name}_get(struct page *page);\nvoid ${name}_put(struct page *page);\n\nint ${fn}(struct page *page)\n{\n\tchar *p = ${name}_get(page);\n\tint c = p[0];\n\n\t${name}_put(page);\n\treturn c;\n}\n`;

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pksim-audit-spread-'));
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  // A subsystem two levels down (fs/kfs): its own worker piece finishes its whole-tree pass.
  put('fs/kfs/get.c', GETTER('kfs'));
  put('fs/kfs/user.c', CALLER('kfs_peek', 'kfs'));
  // A file directly in a top directory: its subsystem (fs) spans fs/ and every directory below.
  put('fs/top.c', GETTER('fs_top'));
  put('fs/other/deep/use.c', CALLER('other_peek', 'fs_top'));
  // A file directly in the base: its subsystem is the whole base.
  put('base.c', GETTER('base'));
  put('lib/use.c', CALLER('lib_peek', 'base'));
  // Pieces of every kind: empty directories, skipped ones, files that name nothing, links.
  put('fs/zzz/none.c', 'int none(void) { return 0; }\n');
  put('drivers/a/b/c/d.h', '#define X 1\n');
  mkdirSync(join(root, 'empty/dir'), { recursive: true });
  put('.git/x.c', GETTER('git'));
  put('fs/.git/y.c', GETTER('git2'));
  symlinkSync(join(root, 'base.c'), join(root, 'link.c'));
  symlinkSync(join(root, 'fs/top.c'), join(root, 'fs/link.c'));
  symlinkSync(join(root, 'fs/top.c'), join(root, 'fs/kfs/link.c'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('spread run (--jobs N over one directory)', () => {
  it('gives the --jobs 1 result: files, sites, reasons, summary, inputs in walk order', async () => {
    const one = await runAudit([root], { jobs: 1 });
    const two = await runAudit([root], { jobs: 2 });
    expect(two.files).toEqual(one.files);
    expect({ ...two.summary, elapsedMs: 0 }).toEqual({ ...one.summary, elapsedMs: 0 });
    expect(two.inputs).toEqual(one.inputs);
    expect(two.inputs.map((f) => f.rel)).not.toContain('.git/x.c');
    expect(two.summary.symlinksSkipped).toBe(3);
  });

  it('runs the whole-tree pass of a subsystem two levels down, of a top directory and of the base', async () => {
    const r = await runAudit([root], { jobs: 2 });
    const site = (file: string) => r.files.find((f) => f.file === file)!.sites.find((s) => s.call === 'kmap')!;
    expect(site('fs/kfs/get.c').class).toBe('local');
    expect(site('fs/kfs/get.c').reason).toContain('fs/kfs/user.c');
    // fs/top.c's caller is three levels down: only a pass over the whole of fs/ sees it.
    expect(site('fs/top.c').class).toBe('local');
    expect(site('fs/top.c').reason).toContain('fs/other/deep/use.c');
    expect(site('base.c').class).toBe('local');
    expect(site('base.c').reason).toContain('lib/use.c');
  });

  it('--no-tree: the same per-file result as --jobs 1', async () => {
    const one = await runAudit([root], { jobs: 1, tree: false });
    const two = await runAudit([root], { jobs: 2, tree: false });
    expect(two.files).toEqual(one.files);
    expect(two.files.find((f) => f.file === 'fs/top.c')!.sites[0]!.class).toBe('unclear');
  });
});

describe('kept parses (KeptParse)', () => {
  it("the whole-tree pass takes a pending file's first-pass parse, and reads the file again once the parser instance changed", async () => {
    const { auditBytes, treePassFor } = await import('../../../src/analysis/audit/run.js');
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-kept-'));
    mkdirSync(join(dir, 'fs/kfs'), { recursive: true });
    const get = { abs: join(dir, 'fs/kfs/get.c'), rel: 'fs/kfs/get.c' };
    const user = { abs: join(dir, 'fs/kfs/user.c'), rel: 'fs/kfs/user.c' };
    writeFileSync(get.abs, GETTER('kfs'));
    writeFileSync(user.abs, CALLER('kfs_peek', 'kfs'));
    const fo = { fix: false };
    const kept = new Map<string, import('../../../src/analysis/audit/tree.js').KeptParse>();
    const first = await auditBytes(get, readFileSync(get.abs), fo, kept);
    expect(kept.has(get.rel)).toBe(true);
    // The file changes on disk after the first pass: only a new parse can see it.
    writeFileSync(get.abs, `void *saved;\n\n${GETTER('kfs').replace('return kmap(page);', 'saved = kmap(page);\n\treturn saved;')}`);
    const pass = async () => {
      const [r] = await treePassFor([{ input: get, result: first, defs: first.defs! }], [get, user], fo, [get.rel, user.rel], [get.rel, user.rel], kept);
      return r!.sites.find((s) => s.call === 'kmap')!;
    };
    const reused = await pass();
    expect(reused.class).toBe('local');
    expect(reused.line).toBe(3);
    kept.get(get.rel)!.instance = -1; // as after an abort of the parser that made it
    const fresh = await pass();
    expect(fresh.line).toBe(5);
    expect(fresh.reason).toContain('saved');
    kept.get(get.rel)!.tree.delete();
    rmSync(dir, { recursive: true, force: true });
  });
});
