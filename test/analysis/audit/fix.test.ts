// --fix prints a unified diff that the real `patch -p1` applies; --write rewrites in place.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { unifiedDiff } from '../../../src/analysis/audit/fix.js';
import { FIXTURES } from './util.js';

function tree(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-fix-'));
  mkdirSync(join(dir, 'fs/demo'), { recursive: true });
  for (const f of files) copyFileSync(FIXTURES + f, join(dir, 'fs/demo', f));
  return dir;
}

const FILES = ['fix_many.c', 'nested_out_of_order.c', 'map_copy_unmap.c', 'store_struct_field.c', 'kunmap_wrong_arg.c'];

describe('--fix', () => {
  it('prints a diff that patch -p1 applies, converting only local mechanical sites', async () => {
    const dir = tree(FILES);
    const io = captureIO();
    expect(await main(['audit', dir, '--fix'], io)).toBe(0);
    expect(io.stdout).toContain('--- a/fs/demo/fix_many.c\n+++ b/fs/demo/fix_many.c\n');
    expect(io.stderr).toMatch(/diff converts 8 kmap\(\) site\(s\) in 4 file\(s\)/);
    // One PATH: the hint names it generically (the message once printed its template source).
    expect(io.stderr).toContain("; apply with 'patch -p1' in the PATH given\n");
    // Files untouched until patch runs.
    expect(readFileSync(join(dir, 'fs/demo/fix_many.c'), 'utf8')).toBe(readFileSync(FIXTURES + 'fix_many.c', 'utf8'));
    execFileSync('patch', ['-p1', '--dry-run', '-s'], { cwd: dir, input: io.stdout });
    execFileSync('patch', ['-p1', '-s'], { cwd: dir, input: io.stdout });
    const fixed = readFileSync(join(dir, 'fs/demo/fix_many.c'), 'utf8');
    expect(fixed).toContain('void *addr = kmap_local_page(page);');
    expect(fixed).toContain('p = kmap_local_page(page);');
    expect(fixed).toContain('kunmap_local(addr);');
    // Nested: the unmaps are reversed so that kmap_local's LIFO rule holds.
    expect(fixed).toContain('\tkunmap_local(s);\n\tkunmap_local(d);\n');
    // The global site is left alone.
    expect(fixed).toContain('dev->buf = kmap(page);');
    // kunmap(kaddr) (wrong argument) becomes the right kunmap_local(kaddr).
    expect(readFileSync(join(dir, 'fs/demo/kunmap_wrong_arg.c'), 'utf8')).toContain('kunmap_local(kaddr);');
    // A second audit of the patched tree finds nothing left to convert and no LIFO problem.
    const again = captureIO();
    await main(['audit', dir, '--format', 'json', '--jobs', '1'], again);
    const j = JSON.parse(again.stdout);
    expect(j.summary.classes.local).toBe(0);
    expect(j.summary.calls.kmap_local_page).toBe(8);
    expect(j.findings.filter((f: { kind: string }) => f.kind.startsWith('lifo'))).toEqual([]);
  });

  it('--write rewrites the files the same way patch would', async () => {
    const a = tree(FILES);
    const b = tree(FILES);
    const io = captureIO();
    await main(['audit', a, '--fix'], io);
    execFileSync('patch', ['-p1', '-s'], { cwd: a, input: io.stdout });
    const w = captureIO();
    expect(await main(['audit', b, '--fix', '--write'], w)).toBe(0);
    expect(w.stdout).toBe('');
    expect(w.stderr).toContain('rewrote 8 kmap() site(s)');
    for (const f of FILES) expect(readFileSync(join(b, 'fs/demo', f), 'utf8')).toBe(readFileSync(join(a, 'fs/demo', f), 'utf8'));
  });

  it('unmaps through a variable that still points into the page, never a moving cursor', async () => {
    const dir = tree(['alias_cursor.c']);
    const io = captureIO();
    await main(['audit', dir, '--fix', '--jobs', '1'], io);
    execFileSync('patch', ['-p1', '-s'], { cwd: dir, input: io.stdout });
    const fixed = readFileSync(join(dir, 'fs/demo/alias_cursor.c'), 'utf8');
    expect(fixed).toContain('u8 *base = kmap_local_page(page);');
    expect(fixed).toContain('\tkunmap_local(base);\n\treturn set;');
    // The only variable is the one that moves: left alone, with the reason given.
    expect(fixed).toContain('u32 *w = kmap(page);');
    const j = captureIO();
    await main(['audit', FIXTURES + 'alias_cursor.c', '--format', 'json'], j);
    const second = JSON.parse(j.stdout).sites[1];
    expect(second).toMatchObject({ class: 'local', fixable: false });
    expect(second.fixNote).toContain('(w) is moved');
  });

  it('says where to apply the diff: the PATH given, or the common directory of several', async () => {
    const one = captureIO();
    await main(['audit', FIXTURES + 'map_copy_unmap.c', '--fix'], one);
    expect(one.stderr).toBe("audit: diff converts 1 kmap() site(s) in 1 file(s) to kmap_local_page(); apply with 'patch -p1' in the PATH given\n");
    const dir = tree(['map_copy_unmap.c', 'fix_many.c']);
    const two = captureIO();
    await main(['audit', join(dir, 'fs/demo/map_copy_unmap.c'), join(dir, 'fs/demo/fix_many.c'), '--fix'], two);
    expect(two.stderr).toContain(`apply with 'patch -p1' in ${join(dir, 'fs/demo')}\n`);
    expect(two.stderr).not.toContain('${');
  });

  it('--write without --fix is a usage error', async () => {
    const io = captureIO();
    expect(await main(['audit', FIXTURES, '--write'], io)).toBe(2);
    expect(io.stderr).toBe('pksim audit: --write only makes sense with --fix\n');
  });

  it('unifiedDiff handles a file without a final newline', () => {
    const d = unifiedDiff('x.c', 'a\nkmap(p);\nb', 'a\nkmap_local_page(p);\nb');
    expect(d).toBe('--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-kmap(p);\n+kmap_local_page(p);\n b\n\\ No newline at end of file\n');
  });
});

describe('--fix leaves helper pairs alone', () => {
  it('a getter that unmaps only on its error path is not converted (its callers put with kunmap())', async () => {
    const io = captureIO();
    await main(['audit', FIXTURES + 'put_helper_outparam.c', '--fix'], io);
    expect(io.stdout).toBe('');
    const a = captureIO();
    await main(['audit', FIXTURES + 'array_element_unmap.c', '--fix'], a);
    expect(a.stdout).toBe('');
  });
});
