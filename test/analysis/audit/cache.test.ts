// --cache DIR: a second run reuses per-file results keyed by size and mtime, and gives the
// same answer as a run without the cache, also after a file changed.

import { cpSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/analysis/audit/run.js';

const TREE = fileURLToPath(new URL('../../fixtures/audit/tree/', import.meta.url));

const strip = (r: Awaited<ReturnType<typeof runAudit>>) => JSON.stringify({ files: r.files, summary: { ...r.summary, elapsedMs: 0 } });

describe('--cache', () => {
  it('gives the same result as no cache, before and after a file changes, and reuses unchanged files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-cache-'));
    cpSync(TREE, join(dir, 'src'), { recursive: true });
    const cache = join(dir, 'cache');
    const src = join(dir, 'src');
    const plain = await runAudit([src], { jobs: 1 });
    expect(strip(await runAudit([src], { jobs: 1, cacheDir: cache }))).toBe(strip(plain));
    expect(strip(await runAudit([src], { jobs: 2, cacheDir: cache }))).toBe(strip(plain));

    // A changed file is read again: a new local site appears, as without the cache.
    appendFileSync(join(src, 'fs/demofs/dir.c'), '\nvoid demofs_zero(struct page *page)\n{\n\tvoid *p = kmap(page);\n\n\tmemset(p, 0, PAGE_SIZE);\n\tkunmap(page);\n}\n');
    const after = await runAudit([src], { jobs: 1 });
    expect(after.summary.kmapSites).toBe(3);
    expect(strip(await runAudit([src], { jobs: 1, cacheDir: cache }))).toBe(strip(after));

    // Same size and mtime: the cache is trusted, the file is not read (shown by a same-size edit).
    const f = join(src, 'fs/demofs/namei.c');
    const st = statSync(f);
    const text = readFileSync(f, 'utf8');
    const cut = text.lastIndexOf('demofs_put_page(page);');
    writeFileSync(f, text.slice(0, cut) + '/*' + ' '.repeat(18) + '*/' + text.slice(cut + 22));
    utimesSync(f, st.atime, st.mtime);
    expect(statSync(f).size).toBe(st.size);
    expect(strip(await runAudit([src], { jobs: 1 }))).not.toBe(strip(after)); // the edit matters...
    expect(strip(await runAudit([src], { jobs: 1, cacheDir: cache }))).toBe(strip(after)); // ...but is not seen
  });
});
