// Hostile trees: directory and file names that are object property names, newlines or terminal
// escapes stay data: counted under their own name, printed escaped, percent-encoded in SARIF.

import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAudit } from '../../../src/analysis/audit/run.js';
import { formatSummary, formatText } from '../../../src/analysis/audit/format.js';
import { formatSarif } from '../../../src/analysis/audit/sarif.js';

const C = 'void f(struct page *p)\n{\n\tchar *a = kmap(p);\n\ta[0] = 1;\n\tkunmap(p);\n}\n';

describe('audit on hostile trees', () => {
  it('a file over --max-file-size that would be parsed is named and skipped; the other files are audited', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    writeFileSync(join(root, 'ok.c'), C);
    // 1.5 MiB of a kmap() user: over a 1 MiB limit.
    writeFileSync(join(root, 'huge.c'), C + '/* ' + 'x'.repeat(1.5 * 2 ** 20) + ' */\n');
    const res = await runAudit([root], { jobs: 1, maxFileSize: 2 ** 20 });
    const huge = res.files.find((f) => f.file === 'huge.c')!;
    expect(huge.error).toMatch(/^1\.5 MiB, larger than --max-file-size 1 MiB: not parsed \(raise --max-file-size\)$/);
    expect(res.files.find((f) => f.file === 'ok.c')!.sites.filter((s) => s.call === 'kmap')).toHaveLength(1);
    expect(formatText(res)).toContain('huge.c: error: 1.5 MiB, larger than --max-file-size 1 MiB');
    // Under the default (2 MiB: the largest .c file of Linux 6.1 is 1.7 MB) the same file is audited.
    const all = await runAudit([root], { jobs: 1 });
    expect(all.files.find((f) => f.file === 'huge.c')!.error).toBeUndefined();
  });

  it('a file with more kmap()-family calls than --max-sites is named and skipped before it is parsed (a dense 8 MB file took minutes and GBs)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    writeFileSync(join(root, 'ok.c'), C);
    writeFileSync(join(root, 'dense.c'), C.repeat(600)); // 1,200 calls
    const res = await runAudit([root], { jobs: 1 });
    expect(res.files.find((f) => f.file === 'dense.c')!.error).toBe('more than --max-sites 1000 kmap()/kunmap()-family calls: not analysed (raise --max-sites)');
    expect(res.files.find((f) => f.file === 'ok.c')!.sites.filter((s) => s.call === 'kmap')).toHaveLength(1);
    // Raised, the file is analysed: every site found.
    const all = await runAudit([root], { jobs: 1, maxSites: 2000 });
    expect(all.files.find((f) => f.file === 'dense.c')!.sites.filter((s) => s.call === 'kmap')).toHaveLength(600);
    // The command: the file named, the limit and how to raise it, exit 3; raised, exit 0.
    const io = captureIO();
    expect(await main(['audit', root, '--jobs', '1'], io)).toBe(3);
    expect(io.stdout).toContain('dense.c: error: more than --max-sites 1000');
    expect(io.stderr).toContain('audit: 1 file(s) not analysed: a resource limit stopped them (--max-sites)');
    expect(await main(['audit', root, '--jobs', '1', '--max-sites', '2000'], captureIO())).toBe(0);
  });

  it('directories named __proto__ or constructor are subsystems like any other, and write nothing onto Object.prototype', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    for (const d of ['__proto__', 'constructor/y', 'toString']) {
      mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, d, 'a.c'), C);
    }
    const res = await runAudit([root], { jobs: 1 });
    expect(res.summary.kmapSites).toBe(3);
    expect(Object.keys(res.summary.subsystems).sort()).toEqual(['__proto__', 'constructor/y', 'toString']);
    expect(Object.getOwnPropertyDescriptor(res.summary.subsystems, '__proto__')?.value).toEqual({ local: 1, global: 0, unclear: 0 });
    expect((Object.prototype as Record<string, unknown>).local).toBeUndefined();
    expect(JSON.stringify(res.summary.subsystems)).toContain('"__proto__":{"local":1');
  });

  it('--fix --write edits bytes: a Latin-1 byte outside the edit stays that byte (not U+FFFD)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    const file = join(root, 'latin1.c');
    const before = Buffer.concat([Buffer.from('/* J'), Buffer.from([0xf6]), Buffer.from('rg */\n'), Buffer.from(C)]);
    writeFileSync(file, before);
    const io = captureIO();
    expect(await main(['audit', root, '--fix', '--write'], io)).toBe(0);
    const after = readFileSync(file);
    expect(after.subarray(0, 11)).toEqual(before.subarray(0, 11)); // the comment, 0xf6 included
    expect(after.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false); // no U+FFFD
    expect(after.toString('latin1')).toContain('kmap_local_page(p)');
  });

  it('symbolic links to C files are not followed, and the summary says how many', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    writeFileSync(join(root, 'real.c'), C);
    symlinkSync(join(root, 'real.c'), join(root, 'link.c'));
    const res = await runAudit([root], { jobs: 1 });
    expect(res.summary.kmapSites).toBe(1);
    expect(res.summary.symlinksSkipped).toBe(1);
    expect(formatSummary(res.summary)).toContain('symlinks: 1 symbolic link(s) to C files not followed');
  });

  it('file names with a newline or a terminal escape are printed escaped and percent-encoded in SARIF URIs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pksim-hostile-'));
    writeFileSync(join(root, 'evil\nname.c'), C);
    writeFileSync(join(root, 'red\x1b[31m.c'), C);
    const res = await runAudit([root], { jobs: 1 });
    const text = formatText(res);
    expect(text).toContain('evil\\x0aname.c:3:12:');
    expect(text).toContain('red\\x1b[31m.c:3:12:');
    expect(text).not.toMatch(/evil\nname/);
    expect(text).not.toContain('\x1b');
    const uris = JSON.stringify(
      JSON.parse(formatSarif(res, null)).runs[0].results.map(
        (r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => r.locations[0]!.physicalLocation.artifactLocation.uri,
      ),
    );
    expect(uris).toContain('evil%0Aname.c');
    expect(uris).toContain('red%1B%5B31m.c');
  });
});
