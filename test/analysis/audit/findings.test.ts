// Path findings: missing unmaps, LIFO order today and after conversion, wrong unmap arguments.

import { describe, expect, it } from 'vitest';
import { auditFixture } from './util.js';

describe('missing unmaps', () => {
  it('a return inside a loop that skips the kunmap()', async () => {
    const f = await auditFixture('missing_unmap_path.c');
    expect(f.sites[0]!.class).toBe('unclear');
    const m = f.findings.filter((x) => x.kind === 'missing-unmap');
    expect(m).toHaveLength(1);
    expect(m[0]!.message).toContain('still mapped at the return on line 11');
  });

  it('kunmap() only on the error path is a missing unmap on the success path', async () => {
    const f = await auditFixture('unmap_error_path_only.c');
    expect(f.findings.map((x) => x.kind)).toContain('missing-unmap');
  });

  it('an early return that leaks a kmap_local_page() mapping', async () => {
    const f = await auditFixture('kmap_local_missing.c');
    expect(f.sites[0]).toMatchObject({ call: 'kmap_local_page', class: 'already-local' });
    const m = f.findings.find((x) => x.kind === 'missing-unmap')!;
    expect(m.message).toContain('still live at the return on line 9');
  });

  it('for (;;) is left only through its returns; do { } while (0) runs once', async () => {
    const f = await auditFixture('forever_loop.c');
    expect(f.findings).toEqual([]);
    expect(f.sites.find((s) => s.call === 'kmap')).toMatchObject({ class: 'local', fixable: true });
  });

  it('map and unmap under two tests of the same condition are paired', async () => {
    const f = await auditFixture('same_condition.c');
    expect(f.findings).toEqual([]);
    expect(f.sites.filter((s) => s.call === 'kmap').map((s) => [s.function, s.class])).toEqual([
      ['demo_copy_maybe', 'local'],
      ['demo_fill_from_user', 'local'],
    ]);
  });

  it('map in one loop, unmap in another: no false missing-unmap warning', async () => {
    const f = await auditFixture('local_array.c');
    expect(f.findings.filter((x) => x.kind === 'missing-unmap')).toEqual([]);
  });
});

describe('nesting and LIFO', () => {
  it('two kmap()s released in mapping order need reordering after conversion', async () => {
    const f = await auditFixture('nested_out_of_order.c');
    const [a, b] = f.sites;
    expect(a).toMatchObject({ class: 'local', lifoOk: false, depth: 1 });
    expect(b).toMatchObject({ class: 'local', lifoOk: false, depth: 2 });
    const l = f.findings.filter((x) => x.kind === 'lifo-after-conversion');
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ line: 12, column: 2 });
    expect(l[0]!.message).toContain('released before kmap() at line 9');
  });

  it('properly nested kmap()s are LIFO already', async () => {
    const f = await auditFixture('nested_in_order.c');
    expect(f.sites.map((s) => [s.depth, s.lifoOk])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(f.findings).toEqual([]);
  });

  it('kmap_local_page() released out of order is a LIFO violation today', async () => {
    const f = await auditFixture('kmap_local_lifo.c');
    const l = f.findings.filter((x) => x.kind === 'lifo-violation');
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ line: 12, column: 2 });
  });

  it('kmap_atomic() released out of order on one path only', async () => {
    const f = await auditFixture('kmap_atomic_lifo.c');
    const l = f.findings.filter((x) => x.kind === 'lifo-violation');
    expect(l.map((x) => x.line)).toEqual([11]);
    expect(f.findings.filter((x) => x.kind === 'missing-unmap')).toEqual([]);
  });
});

describe('wrong unmap arguments', () => {
  it('kunmap() given the address returned by kmap()', async () => {
    const f = await auditFixture('kunmap_wrong_arg.c');
    const w = f.findings.find((x) => x.kind === 'kunmap-wrong-arg')!;
    expect(w).toMatchObject({ line: 9, column: 2 });
    expect(w.message).toContain('kunmap() takes the struct page (page)');
  });

  it('kunmap() of a char * that was never mapped here', async () => {
    const f = await auditFixture('kunmap_wrong_type.c');
    const w = f.findings.find((x) => x.kind === 'kunmap-wrong-arg')!;
    expect(w.message).toContain("buf is declared 'char *'");
  });

  it('kunmap_local() of a kmap() address', async () => {
    const f = await auditFixture('unmap_wrong_kind.c');
    const w = f.findings.find((x) => x.kind === 'unmap-wrong-kind')!;
    expect(w.message).toContain('needs kunmap(page)');
  });
});

describe('a kmap_local_page() address handed to another context', () => {
  it('a work item or a callback gets it: local-handed-off, at the map call', async () => {
    const f = await auditFixture('local_handed_off.c');
    const h = f.findings.filter((x) => x.kind === 'local-handed-off');
    expect(h.map((x) => x.line)).toEqual([27, 42]);
    expect(h[0]!.message).toMatch(/^kmap_local_page\(\) address handed to another context: req \(holding the address\) is passed to (INIT_WORK|queue_work)\(\)/);
    expect(h[1]!.message).toMatch(/the address \(in va\) is passed to tasklet_init\(\)/);
    expect(f.sites.filter((s) => s.call === 'kmap_local_page').map((s) => s.reason)).toEqual([
      'kmap_local_page() is thread-local, but its address leaves this thread [local-handed-off]',
      'kmap_local_page() is thread-local, but its address leaves this thread [local-handed-off]',
      'kmap_local_page() is already thread-local',
    ]);
    expect(f.sites.find((s) => s.call === 'kmap_atomic')!.line).toBe(51);
    // Passed with a callback to an iterator (line 66) is not a handoff: iterators call back before returning.
    expect(f.sites.find((s) => s.line === 66)).toMatchObject({ call: 'kmap_local_page', reason: 'kmap_local_page() is already thread-local' });
  });
});
