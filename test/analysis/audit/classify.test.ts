// One fixture per kernel idiom: each kmap() site gets the class a kernel developer would give it.

import { describe, expect, it } from 'vitest';
import { kmapSites, auditFixture, FIXTURES } from './util.js';
import { runAudit } from '../../../src/analysis/audit/run.js';
import { parseCallees } from '../../../src/analysis/audit/callees.js';

describe('local sites', () => {
  it('map/copy/unmap in one function is local and convertible', async () => {
    const [s] = await kmapSites('map_copy_unmap.c');
    expect(s).toMatchObject({ class: 'local', function: 'demo_read_block', line: 9, column: 10, addr: 'vaddr', fixable: true, depth: 1, lifoOk: true });
    expect(s!.unmaps).toEqual([{ line: 11, column: 2, call: 'kunmap', arg: 'page' }]);
  });

  it('goto cleanup that always reaches the unmap is local', async () => {
    const [s] = await kmapSites('goto_cleanup.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('unmapped on every path (line 19)');
  });

  it('map and unmap inside a loop body with switch/break/continue is local', async () => {
    const [s] = await kmapSites('loop_switch.c');
    expect(s!.class).toBe('local');
    expect(s!.unmaps.map((u) => u.line)).toEqual([19, 22]);
  });

  it('a static get/put helper pair whose callers always put is local, but not mechanical', async () => {
    const [s] = await kmapSites('get_put_helpers.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('get/put helper pair demo_get_dir_page()/demo_put_dir_page()');
    expect(s!.reason).toContain('demo_count_entries(), demo_dir_empty()');
    expect(s!.fixable).toBe(false);
  });

  it('kmap() for its side effect with page_address() later is local but not convertible by --fix', async () => {
    const [s] = await kmapSites('discarded_result.c');
    expect(s!.class).toBe('local');
    expect(s!.addr).toBeNull();
    expect(s!.fixable).toBe(false);
    expect(s!.fixNote).toMatch(/not kept in a variable/);
  });

  it('both #ifdef branches unmap: local', async () => {
    const [s] = await kmapSites('ifdef_region.c');
    expect(s).toMatchObject({ class: 'local', function: 'demo_dump' });
    expect(s!.unmaps.map((u) => u.line)).toEqual([12, 15]);
  });
});

describe('global sites', () => {
  it('address stored in a struct field, unmapped in another function', async () => {
    const [s] = await kmapSites('store_struct_field.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('stored in struct field buf->vaddr');
    expect(s!.reason).toContain('unmapped in demo_buf_close()');
  });

  it('addresses stored in an array of a long-lived struct', async () => {
    const [s] = await kmapSites('store_array.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('stored in array ring->slots[i]');
  });

  it('address stored in a file-scope variable', async () => {
    const [s] = await kmapSites('store_global.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('stored in global demo_scratch');
  });

  it('scatterlist-style iterator keeps the mapping across calls', async () => {
    const [s] = await kmapSites('sg_iterator.c');
    expect(s!.class).toBe('global');
    expect(s!.function).toBe('demo_iter_next');
    expect(s!.reason).toContain('it->addr');
  });

  it('pointer handed to a work item', async () => {
    const [s] = await kmapSites('work_item.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('f->data');
    expect(s!.reason).toContain('unmapped in demo_flush_fn()');
  });

  it('pointer in an on-stack request completed by another context', async () => {
    const [s] = await kmapSites('completion.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('req (holding the address) is passed to demo_engine_submit()');
  });

  it('pointer in an on-stack request whose embedded work_struct is queued (&req.work)', async () => {
    const [s] = await kmapSites('stack_work_member.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('req (holding the address) is passed to queue_work()');
  });

  it('pointer passed together with a callback', async () => {
    const [s] = await kmapSites('callback.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('together with callback demo_read_done');
  });

  it('mapped here, unmapped in a different function', async () => {
    const [s] = await kmapSites('unmapped_elsewhere.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('kunmap(txn->page) is in demo_end_write()');
  });

  it('passed to a same-file helper that stores it', async () => {
    const [s] = await kmapSites('helper_stores.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('passed to demo_ctx_attach()');
    expect(s!.reason).toContain('ctx->cur');
  });
});

describe('unclear sites', () => {
  it('a get/put pair with a caller that misses the put names the caller and the line', async () => {
    const [s] = await kmapSites('get_put_unpaired.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('caller demo_lookup() does not call demo_unmap_node() on the path returning at line 20');
  });

  it('an exported getter whose callers are in other files', async () => {
    const [s] = await kmapSites('returned_nonstatic.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('not static');
  });

  it('address passed through a function pointer', async () => {
    const [s] = await kmapSites('indirect_call.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('indirect call flt->ops->transform()');
  });

  it('addresses in a local array', async () => {
    const [s] = await kmapSites('local_array.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('local array addrs[]');
  });

  it('unmapped only on the error path', async () => {
    const [s] = await kmapSites('unmap_error_path_only.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('still live at the return on line 14');
  });
});

describe('macros and parse errors', () => {
  it('finds kmap() through a wrapper macro and matches the wrapped unmap', async () => {
    const [s] = await kmapSites('macro_wrapper.c');
    expect(s).toMatchObject({ class: 'local', viaMacro: 'demo_map_blk', arg: '(blk)->bh_page', fixable: false });
    expect(s!.unmaps).toHaveLength(1);
  });

  it('reports kmap() inside a statement macro body as unclear, with the number of uses', async () => {
    const [s] = await kmapSites('macro_body.c');
    expect(s).toMatchObject({ class: 'unclear', function: null, viaMacro: 'DEMO_WITH_PAGE', line: 7 });
    expect(s!.reason).toContain('1 call site(s)');
  });

  it('sparse annotations (__user, __must_hold()) do not break the parse', async () => {
    const f = await auditFixture('annotations.c');
    expect(f.hasErrors).toBe(false);
    expect(f.sites[0]).toMatchObject({ class: 'local', inErrorRegion: false, line: 8, column: 16, fixable: true });
  });

  it('a site in a function that does not parse cleanly is analysed and flagged', async () => {
    const f = await auditFixture('ifdef_region.c');
    const s = f.sites.find((x) => x.function === 'demo_scan')!;
    expect(f.hasErrors).toBe(true);
    expect(s).toMatchObject({ class: 'local', inErrorRegion: true, errorLine: 24 });
    expect(f.findings.some((x) => x.kind === 'error-region' && x.line === s.line)).toBe(true);
  });
});

describe('what counts as a call of kmap()', () => {
  it('a struct member named kmap ((o)->func->kmap(o), o->ops.kmap(o)) is not a site; only the real kmap() is', async () => {
    const f = await auditFixture('member_kmap.c');
    expect(f.calls).toEqual({ kmap: 1, kunmap: 1 });
    expect(f.sites).toHaveLength(1);
    expect(f.sites[0]).toMatchObject({ call: 'kmap', line: 39, class: 'local', function: 'demo_obj_copy' });
  });
});

describe("storage on this frame or the caller's is not an escape (issue 12 item 2)", () => {
  it('an element of a local array of structs, a local struct, a local struct through a local pointer', async () => {
    const s = await kmapSites('stack_storage.c');
    expect(s.map((x) => x.class)).toEqual(['local', 'local', 'local']);
    expect(s[0]!.reason).toContain("iov[1].iov_base, a field of an element of local array iov[] on this function's stack");
    expect(s[2]!.reason).toContain('local struct cur (through c = &cur)');
  });

  it('a struct the caller passes in is local when every caller keeps it on its stack and puts it', async () => {
    const [s] = await kmapSites('caller_stack_struct.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('a struct its callers pass in and release before they return');
    expect(s!.reason).toContain('caller_stack_struct.c:15 demo_buf_put() unmaps it');
    expect(s!.reason).toContain('demo_sum_all()'); // refills the struct in a loop, puts once
    expect(s!.fixable).toBe(false);
  });

  it("ops pair: a getter caller that is ->iomap_begin hands the mapping to the core, and the same ops' ->iomap_end puts it: local", async () => {
    const [s] = await kmapSites('ops_pair_release.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('demo_iomap_begin() (->iomap_begin of the ops at ops_pair_release.c:60, whose ->iomap_end demo_iomap_end() calls demo_put_buf()');
  });

  it('ops pair: when ->iomap_end does not put, the ->iomap_begin caller keeps the mapping: global', async () => {
    const [s] = await kmapSites('ops_pair_unreleased.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('caller demo_iomap_begin() never calls demo_put_buf()');
  });

  it('a struct taken off a global free list is owned while off it, and kunmap(in[i]) with i from 0 (guarded by i < n) releases kmap(*in): local, not fixable', async () => {
    const s = await kmapSites('freelist_index_unmap.c');
    expect(s.map((x) => x.class)).toEqual(['local', 'local']);
    expect(s[0]!.unmaps.map((u) => u.line)).toEqual([26, 39, 52]);
    expect(s[0]!.reason).toContain('stored in strm->in, a struct this thread took off the shared list demo_head (line 31)');
    expect(s[1]!.fixable).toBe(false);
    expect(s[1]!.fixNote).toBe('the unmap at line 39 also releases a kmap() that is not converted');
  });

  it('the same getter fed a heap struct stays global', async () => {
    const [s] = await kmapSites('caller_heap_struct.c');
    expect(s!.class).toBe('global');
    expect(s!.reason).toContain('stored in struct field buf->base, which outlives the call');
  });
});

describe('callee knowledge as data (issue 12 item 3)', () => {
  it('a field consumed by the callee before it returns is not an escape (zlib_deflate next_in)', async () => {
    const [s] = await kmapSites('consume_field.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('zstream->next_in, which zlib_deflate() consumes before returning');
  });

  it('without a data file, unknown callees keep their default class', async () => {
    expect((await kmapSites('user_callees.c')).map((x) => x.class)).toEqual(['global', 'unclear']);
  });

  it('--callees FILE declares a callee and an indirect member call synchronous', async () => {
    const res = await runAudit([FIXTURES + 'user_callees.c'], { jobs: 1, calleesFile: FIXTURES + 'user_callees.txt' });
    const s = res.files[0]!.sites;
    expect(s.map((x) => x.class)).toEqual(['local', 'local']);
    expect(s[1]!.reason).toContain('every demo_ops.xfer implementation transfers synchronously (' + FIXTURES + 'user_callees.txt:3)');
  });

  it('a malformed data file is AUD004 naming file and line', async () => {
    const err = await runAudit([FIXTURES + 'user_callees.c'], { jobs: 1, calleesFile: FIXTURES + 'bad_callees.txt' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUD004' });
    expect((err as Error).message).toMatch(/bad_callees\.txt:3: expected/);
  });

  it('a pair entry needs ->OPEN(CLOSE) with one closing member: AUD004 otherwise', () => {
    expect(parseCallees('pair ->demo_begin(demo_end): one task', 'x.txt')[0]).toMatchObject({ kind: 'pair', name: '->demo_begin', fields: ['demo_end'] });
    for (const bad of ['pair demo_begin(demo_end): no arrow', 'pair ->demo_begin: no closing member', 'pair ->a(b,c): two'])
      expect(() => parseCallees(bad, 'x.txt')).toThrow(/x\.txt:1: expected .*'pair ->BEGIN\(END\): why'/);
  });
});

describe('unmaps and reasons that were wrong (issue 12)', () => {
  it('pg = pages[i]; kunmap(pg) in an exit loop over the same range matches kmap(pages[i]): local', async () => {
    const s = await kmapSites('array_element_unmap.c');
    expect(s.map((x) => x.class)).toEqual(['local', 'local']);
    expect(s[0]!.unmaps.map((u) => u.line)).toEqual([44]);
    expect(s[1]!.unmaps.map((u) => u.line)).toEqual([36]);
    expect(s[0]!.reason).toContain('unmapped in a loop over the same range (line 42)');
    expect(s[0]!.fixable).toBe(false);
  });

  it('`if (ppages) kunmap(*ppages); return` is not "live at the return", and uses of the cursor before the map or after its reassignment do not count', async () => {
    const f = await auditFixture('unmap_then_return.c');
    const s = f.sites[0]!;
    expect(s.class).toBe('local');
    expect(s.reason).not.toMatch(/live at the return/);
    expect(s.reason).not.toContain('visit');
    expect(f.findings.filter((x) => x.kind === 'missing-unmap')).toEqual([]);
  });

  it('a getter that unmaps only on its error path and a same-file put helper: a helper pair, not "not unmapped on every path"', async () => {
    const [s] = await kmapSites('put_helper_outparam.c');
    expect(s!.class).toBe('local');
    expect(s!.reason).toContain('put_helper_outparam.c:32 demo_put_checkpoint() unmaps it');
    expect(s!.reason).not.toContain('not unmapped on every path');
  });
});

describe('offsets are not addresses', () => {
  it('addr & ~PAGE_MASK stored in a struct does not make the site global', async () => {
    const [s] = await kmapSites('address_offset.c');
    expect(s).toMatchObject({ class: 'local', addr: 'addr', fixable: true });
  });
});

describe('a caller releasing the page itself', () => {
  it('kunmap() of the page it got counts as the put; kunmap() of another page does not', async () => {
    const [s] = await kmapSites('kunmap_other_page.c');
    expect(s!.class).toBe('unclear');
    expect(s!.reason).toContain('caller demo_peek() never calls demo_put()');
    expect(s!.reason).not.toContain('demo_ok()');
  });
});
