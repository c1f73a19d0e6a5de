import { describe, expect, it } from 'vitest';
import { Pkmap, PKMAP_FULL } from '../../src/mm/pkmap.js';
import { PKMAP_BASE, PAGE_SIZE, linearAddr, kmapLocalAddr, KM_MAX_IDX } from '../../src/mm/layout.js';
import { ACCESS_NOT_PRESENT, ACCESS_OK } from '../../src/kernel/machine.js';
import { eventsOf, machine, task } from '../helpers.js';
import type { PksimEvent } from '../../src/kernel/events.js';

describe('kernel facts: kmap() pool', () => {
  it('one slot per page shared by all its users, with a use count', () => {
    const p = new Pkmap(4, 3);
    const a = p.map(0);
    expect(p.map(0)).toBe(a);
    expect(p.users(0)).toBe(2);
    expect(p.unmap(0)).toBe(1);
    expect(p.unmap(0)).toBe(0);
    expect(p.unmap(0)).toBe(-1); // kunmap without kmap
  });

  it('a full pool makes kmap() sleep until a kunmap() frees a slot', () => {
    const p = new Pkmap(2, 4);
    // Slot 0 is never handed out first (last_pkmap_nr starts at 0 and is advanced before use),
    // but after wrap-around every slot is usable.
    expect(p.map(0)).toBeGreaterThanOrEqual(0);
    expect(p.map(1)).toBeGreaterThanOrEqual(0);
    expect(p.map(2)).toBe(PKMAP_FULL);
    p.unmap(0);
    expect(p.map(2)).toBeGreaterThanOrEqual(0);
  });

  it('kunmap() takes the page, not the address; LAST_PKMAP is configurable', () => {
    const m = machine('none', { lastPkmap: 3 });
    task(m, 'a');
    const addr = m.kmap(0, 0);
    expect(addr).toBeGreaterThanOrEqual(PKMAP_BASE);
    expect(addr).toBeLessThan(PKMAP_BASE + 3 * PAGE_SIZE);
    m.kunmap(0, 0);
    expect(m.pkmap.users(0)).toBe(0);
  });

  it('lowmem pages need no slot: kmap() returns the linear-map address', () => {
    const m = machine('none');
    task(m, 'a');
    expect(m.kmap(0, 1)).toBe(linearAddr(1));
    expect(m.pkmap.pageSlot[1]).toBe(-1);
    expect(m.as.translate(linearAddr(1))).toBe(1);
  });

  it('a stale kmap address reaches the old page until the lazy flush, then faults, then reaches the new page', () => {
    const m = machine('none', { lastPkmap: 2 });
    task(m, 'a');
    const a0 = m.kmap(0, 0);
    m.kunmap(0, 0);
    expect(m.as.translate(a0)).toBe(0); // count 1: mapped but unused, not yet flushed
    const a2 = m.kmap(0, 2); // takes the other slot
    expect(a2).not.toBe(a0);
    m.kunmap(0, 2);
    m.kmap(0, 2); // still mapped, same slot
    const a3 = m.kmap(0, 0); // wraps around: flush tears down unused slots, page 0 gets a slot again
    expect(m.as.translate(a3)).toBe(0);
    expect(m.access(0, a2, false, -1)).toBe(ACCESS_OK);
    m.kunmap(0, 2);
    m.kunmap(0, 2);
    m.kunmap(0, 0);
    // After a flush with every slot idle, the old addresses are not present.
    const pk = m.pkmap;
    (pk as unknown as { flushZero(): void }).flushZero();
    expect(m.as.translate(a0)).toBe(-1);
    expect(m.access(0, a0, true, -1)).toBe(ACCESS_NOT_PRESENT);
  });
});

describe('kernel facts: kmap_local', () => {
  it('kmap_local depth: at most 15 live entries (KM_MAX_IDX 16); the 16th push is a BUG', () => {
    const ev: PksimEvent[] = [];
    const m = machine('none', { pages: Array.from({ length: 16 }, () => ({ key: 0, highmem: true })) }, ev);
    const t = task(m, 'a');
    for (let i = 0; i < KM_MAX_IDX - 1; i++) expect(m.kmapLocal(0, i, false)).toBe(kmapLocalAddr(0, i));
    expect(t.state).toBe('runnable');
    m.kmapLocal(0, 15, false);
    expect(t.state).toBe('dead');
    expect(eventsOf(ev, 'oops')[0]!.message).toMatch(/kernel BUG at mm\/highmem.c: kmap_local_idx_push/);
  });

  it('strictly LIFO: unmapping out of order warns and tears down the top mapping', () => {
    const m = machine('none');
    const t = task(m, 'a');
    const a = m.kmapLocal(0, 0, false);
    const ma = m.lastMapping;
    const b = m.kmapLocal(0, 2, false);
    const mb = m.lastMapping;
    m.kunmapLocal(0, a, ma, false); // out of order: a is not the top
    expect(m.stats.lifoViolations).toBe(1);
    expect(t.local.depth).toBe(1);
    expect(m.as.translate(b)).toBe(-1); // the top (b) was torn down
    expect(m.maps.isLive(mb)).toBe(false);
    expect(m.as.translate(a)).toBe(0); // a is still mapped
  });

  it('preserved across preemption: cleared on switch-out, restored on switch-in', () => {
    const m = machine('none');
    const a = task(m, 'a');
    const addr = m.kmapLocal(0, 0, false);
    const b = m.newTask('b', 'user', 0);
    m.switchTo(0, b);
    expect(m.as.translate(addr)).toBe(-1);
    m.switchTo(0, a);
    expect(m.as.translate(addr)).toBe(0);
  });

  it('usable from any context: an interrupt pushes on the stack of the task it interrupted', () => {
    const m = machine('none');
    const t = task(m, 'a');
    m.kmapLocal(0, 0, false);
    m.enter(0, 'hardirq', 'irq');
    const inIrq = m.kmapLocal(0, 2, false);
    expect(inIrq).toBe(kmapLocalAddr(0, 1));
    expect(t.local.depth).toBe(2);
  });

  it('must be empty on return to user space: a leftover mapping is reported', () => {
    const ev: PksimEvent[] = [];
    const m = machine('none', {}, ev);
    const t = task(m, 'a');
    m.kmapLocal(0, 0, false);
    m.returnToUser(0);
    expect(m.stats.leaks).toBe(1);
    expect(t.local.depth).toBe(0);
    expect(eventsOf(ev, 'leak')[0]!.what).toBe('kmap_local');
  });

  it('kmap_atomic() is kmap_local plus disabled preemption and page faults', () => {
    const m = machine('none');
    const t = task(m, 'a');
    const addr = m.kmapLocal(0, 0, true);
    expect(t.preemptCount).toBe(1);
    expect(t.pagefaultDisabled).toBe(1);
    m.kunmapLocal(0, addr, m.lastMapping, true);
    expect(t.preemptCount).toBe(0);
    expect(t.pagefaultDisabled).toBe(0);
  });

  it('kunmap_local() takes the address; a lowmem page needs no slot', () => {
    const m = machine('none');
    const t = task(m, 'a');
    expect(m.kmapLocal(0, 1, false)).toBe(linearAddr(1));
    expect(t.local.depth).toBe(0);
  });
});
