// Whole-tree mode: callers, put helpers and header helpers in other files of the subsystem.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/analysis/audit/run.js';

const TREE = fileURLToPath(new URL('../../fixtures/audit/tree/', import.meta.url));

async function sites(root: string, tree: boolean) {
  const r = await runAudit([root], { jobs: 1, tree });
  return r.files.flatMap((f) => f.sites.filter((s) => s.call === 'kmap'));
}

describe('whole-tree pass', () => {
  it('per file, a getter with callers in another file and a put helper in a header are unclear', async () => {
    const s = await sites(TREE, false);
    expect(s.map((x) => x.class)).toEqual(['unclear', 'unclear']);
  });

  it('with the tree, both are local and the reasons name the cross-file facts', async () => {
    const s = await sites(TREE, true);
    expect(s.map((x) => [x.line, x.class])).toEqual([
      [11, 'local'],
      [43, 'local'],
    ]);
    expect(s[0]!.reason).toContain('fs/demofs/demofs.h:8 demofs_put_page() unmaps it');
    expect(s[0]!.reason).toContain('fs/demofs/namei.c:19 demofs_count()');
    expect(s[1]!.reason).toContain('released on every path by put helper fs/demofs/demofs.h:8 demofs_put_page()');
  });

  it('a file whose kunmap() helpers are all static is not searched for put helpers; one with an exported helper is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-tree-'));
    cpSync(TREE, dir, { recursive: true });
    // Neither file names a function of the pending files: only their kunmap() could bring them in.
    writeFileSync(join(dir, 'fs/demofs/private.c'), 'static void demofs_drop_page(struct page *page)\n{\n\tkunmap(page);\n\tput_page(page);\n}\n');
    writeFileSync(join(dir, 'fs/demofs/export.c'), 'void demofs_release_page(struct page *page)\n{\n\tkunmap(page);\n\tput_page(page);\n}\n');
    const s = await sites(dir, true);
    expect(s[0]!.reason).toContain('fs/demofs/export.c:3 demofs_release_page() unmaps it');
    expect(s[0]!.reason).not.toContain('demofs_drop_page');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a caller in another file that forgets the put makes it unclear, naming that caller and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-tree-'));
    cpSync(TREE, dir, { recursive: true });
    writeFileSync(
      join(dir, 'fs/demofs/leak.c'),
      '#include "demofs.h"\nint demofs_peek(struct inode *dir)\n{\n\tstruct page *page = demofs_get_page(dir, 1);\n\n\tif (IS_ERR(page))\n\t\treturn 0;\n\treturn demofs_first(page_address(page));\n}\n',
    );
    const s = await sites(dir, true);
    expect(s[0]!.class).toBe('unclear');
    expect(s[0]!.reason).toContain('caller fs/demofs/leak.c:4 demofs_peek() never calls demofs_put_page()');
  });

  it("a caller's failure test `!page || IS_ERR(page)` (the `!` negates `page` alone) takes the path that has nothing to put", async () => {
    // Read as `!(page || IS_ERR(page))` the test was not a failure test: the early return looked
    // like a path that keeps the page mapped, and the getter unclear.
    for (const test of ['!page || IS_ERR(page)', 'IS_ERR(page) || !page', '(!page) || IS_ERR(page)']) {
      const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-tree-'));
      cpSync(TREE, dir, { recursive: true });
      writeFileSync(
        join(dir, 'fs/demofs/peek.c'),
        `#include "demofs.h"\nint demofs_peek(struct inode *dir)\n{\n\tstruct page *page = demofs_get_page(dir, 1);\n\tint c;\n\n\tif (${test})\n\t\treturn 0;\n\tc = demofs_first(page_address(page));\n\tdemofs_put_page(page);\n\treturn c;\n}\n`,
      );
      const s = await sites(dir, true);
      expect(s[0]!.class, test).toBe('local');
      expect(s[0]!.reason).toContain('fs/demofs/peek.c:4 demofs_peek()');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a getter whose name holds kmap is still followed into a file that names it only inside that word', async () => {
    // Every name the whole-tree pass looks for in fs/kfs/ holds "kmap": it reads again only the
    // files whose bytes held "kmap" or "kunmap" in the first pass, and user.c (no audited call)
    // must be one of them.
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-tree-'));
    const kfs = join(dir, 'fs/kfs');
    mkdirSync(kfs, { recursive: true });
    writeFileSync(join(kfs, 'get.c'), 'void *kfs_kmap_page(struct page *page)\n{\n\treturn kmap(page);\n}\n');
    writeFileSync(join(kfs, 'put.c'), 'void kfs_put(struct page *page)\n{\n\tkunmap(page);\n}\n');
    writeFileSync(
      join(kfs, 'user.c'),
      'void *kfs_kmap_page(struct page *page);\nvoid kfs_put(struct page *page);\n\nint kfs_peek(struct page *page)\n{\n\tchar *p = kfs_kmap_page(page);\n\tint c = p[0];\n\n\tkfs_put(page);\n\treturn c;\n}\n',
    );
    writeFileSync(join(kfs, 'other.c'), 'int kfs_other(void)\n{\n\treturn 0;\n}\n');
    for (const jobs of [1, 2]) {
      const r = await runAudit([dir], { jobs });
      const s = r.files.flatMap((f) => f.sites.filter((x) => x.call === 'kmap'));
      expect(s.map((x) => x.class)).toEqual(['local']);
      expect(s[0]!.reason).toContain('every caller in fs/kfs/ (fs/kfs/user.c:6 kfs_peek()) releases the mapping');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same result for any --jobs', async () => {
    const a = await runAudit([TREE], { jobs: 1 });
    const b = await runAudit([TREE], { jobs: 2 });
    expect(b.files).toEqual(a.files);
  });
});

describe('the CLI flags', () => {
  it('--no-tree and --cache DIR reach the audit', async () => {
    const { main } = await import('../../../src/cli/main.js');
    const { captureIO } = await import('../../../src/cli/io.js');
    const run = async (...a: string[]) => {
      const io = captureIO();
      expect(await main(['audit', TREE, '--format', 'json', ...a], io)).toBe(0);
      return (JSON.parse(io.stdout) as { summary: { classes: unknown } }).summary.classes;
    };
    expect(await run()).toEqual({ local: 2, global: 0, unclear: 0 });
    expect(await run('--no-tree')).toEqual({ local: 0, global: 0, unclear: 2 });
    const cache = mkdtempSync(join(tmpdir(), 'pksim-audit-cachedir-'));
    expect(await run('--cache', cache)).toEqual({ local: 2, global: 0, unclear: 0 });
    expect(await run('--cache', cache)).toEqual({ local: 2, global: 0, unclear: 0 });
  });
});

describe('indirect calls through a struct member (whole tree)', () => {
  const OPS = fileURLToPath(new URL('../../fixtures/audit/ops/', import.meta.url));

  it('per file the target is unknown; with the tree, one assigned function that keeps the buffer makes it global', async () => {
    expect((await sites(OPS, false))[0]!.class).toBe('unclear');
    const [s] = await sites(OPS, true);
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('indirect call tr->read_blk(); in drivers/demoblk/nand.c:8, the parameter is stored in struct field n->pending_buf');
  });

  it('when every assigned function uses the buffer only until it returns, local', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-ops-'));
    cpSync(OPS, dir, { recursive: true });
    rmSync(join(dir, 'drivers/demoblk/nand.c'));
    const [s] = await sites(dir, true);
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('every function assigned to ->read_blk (drivers/demoblk/ftl.c:4 demo_ftl_read_blk()) uses it only until it returns');
  });

  it('an assignment the audit cannot resolve (NULL, a ?: choice) leaves the target unknown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-ops-'));
    cpSync(OPS, dir, { recursive: true });
    writeFileSync(join(dir, 'drivers/demoblk/nand.c'), 'struct demoblk_ops demo_nand_ops = {\n\t.read_blk = demo_have_nand ? demo_nand_read_blk : NULL,\n};\n');
    expect((await sites(dir, true))[0]!.class).toBe('unclear');
  });
});

describe('put helpers written as macros in a header (whole tree)', () => {
  const MAC = fileURLToPath(new URL('../../fixtures/audit/macro/', import.meta.url));

  it('per file unclear; with the tree local, naming the macro and where it is defined', async () => {
    expect((await sites(MAC, false)).map((s) => s.class)).toEqual(['unclear', 'unclear']);
    const s = await sites(MAC, true);
    expect(s.map((x) => x.class)).toEqual(['local', 'local']);
    expect(s[0]!.reason).toContain('put helper fs/demo/demo.h:4 demo_put_page() unmaps it (line 13)');
    expect(s[1]!.reason).toContain('put helper fs/demo/demo.h:5 demo_unmap_blk() unmaps it (line 22)');
  });
});
