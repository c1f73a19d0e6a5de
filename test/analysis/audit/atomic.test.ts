// kmap_atomic() sites: what the code between map and unmap relies on, and --fix --atomic.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../../src/cli/io.js';
import { auditFixture, FIXTURES } from './util.js';

describe('kmap_atomic() sites', () => {
  it('says what relies on disabled page faults or preemption and what a conversion must add', async () => {
    const f = await auditFixture('atomic_uses.c');
    const a = f.sites.map((s) => [s.function, s.atomic!.needs, s.atomic!.convertible]);
    expect(a).toEqual([
      ['demo_zero', [], true],
      ['demo_copy_in', ['pagefault_disable'], true],
      ['demo_stat', ['preempt_disable'], true],
      ['demo_locked', [], true],
      ['demo_decls', ['pagefault_disable'], false],
      ['demo_caller_locked', [], true],
    ]);
    expect(f.sites[5]!.atomic!.holds).toMatch(/asserts that its callers run with interrupts or preemption disabled/);
    expect(f.sites[1]!.atomic!.relies).toEqual(['a *_inatomic user copy, which expects page faults disabled']);
    expect(f.sites[3]!.atomic!.relies).toEqual(['per-CPU data']);
    expect(f.sites[3]!.atomic!.holds).toMatch(/spinlock/);
    expect(f.sites[4]!.atomic!.note).toMatch(/declarations follow the map/);
  });

  it('--fix --atomic converts them with pagefault_disable()/preempt_disable() where needed; patch applies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pksim-audit-atomic-'));
    copyFileSync(FIXTURES + 'atomic_uses.c', join(dir, 'atomic_uses.c'));
    const io = captureIO();
    expect(await main(['audit', dir, '--fix', '--atomic'], io)).toBe(0);
    expect(io.stderr).toContain('diff converts 0 kmap() and 5 kmap_atomic() site(s) in 1 file(s)');
    execFileSync('patch', ['-p1', '-s'], { cwd: dir, input: io.stdout });
    const fixed = readFileSync(join(dir, 'atomic_uses.c'), 'utf8');
    expect(fixed).toContain(
      '\tp = kmap_local_page(page);\n\tpagefault_disable();\n\tleft = __copy_from_user_inatomic(p, buf, len);\n\tpagefault_enable();\n\tkunmap_local(p);\n',
    );
    expect(fixed).toContain('\tp = kmap_local_page(page);\n\tpreempt_disable();\n\tthis_cpu_add(demo_pages_seen, p[0]);\n\tpreempt_enable();\n\tkunmap_local(p);\n');
    expect(fixed).toContain('\tspin_lock(&dev->lock);\n\tp = kmap_local_page(page);\n\tthis_cpu_add');
    // The one that is not mechanical is left alone.
    expect(fixed).toContain('char *p = kmap_atomic(page);');
    // Without --atomic, --fix leaves kmap_atomic() alone.
    const plain = captureIO();
    await main(['audit', FIXTURES + 'atomic_uses.c', '--fix'], plain);
    expect(plain.stdout).toBe('');
  });

  it('--atomic without --fix is a usage error', async () => {
    const io = captureIO();
    expect(await main(['audit', FIXTURES, '--atomic'], io)).toBe(2);
    expect(io.stderr).toBe('pksim audit: --atomic only makes sense with --fix\n');
  });
});
