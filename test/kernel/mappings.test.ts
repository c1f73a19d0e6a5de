import { describe, expect, it } from 'vitest';
import { MAP_KMAP, MAP_LINEAR, MAP_LOCAL, MappingTable } from '../../src/kernel/mappings.js';
import { Ctx } from '../../src/kernel/context.js';

describe('mapping ids past 2^31 (a slot reused thousands of times)', () => {
  it('a slot reused past generation 2^11 still resolves its id, and its older ids are stale', () => {
    const t = new MappingTable();
    const a = new Ctx(1, 'a', 'kthread', 0, null);
    const b = new Ctx(2, 'b', 'kthread', 0, null);
    let old = -1;
    let id = -1;
    for (let i = 0; i < 5000; i++) {
      old = id;
      if (id >= 0) t.kill(id);
      id = t.alloc(i % 2 === 0 ? MAP_KMAP : MAP_LOCAL, 7, a);
    }
    expect(id).toBeGreaterThan(2 ** 31);
    expect(t.isLive(id)).toBe(true);
    expect(t.pageOf(id)).toBe(7);
    expect(t.kindOf(id)).toBe(MAP_LOCAL);
    expect(t.madeBy(id, a)).toBe(true);
    expect(t.madeBy(id, b)).toBe(false);
    expect(t.isLive(old)).toBe(false);
    expect(t.pageOf(old)).toBe(-1);
  });

  it('a linear id names its page and the context that derived it', () => {
    const t = new MappingTable();
    const a = new Ctx(3, 'a', 'kthread', 0, null);
    const b = new Ctx(4, 'b', 'kthread', 0, null);
    const id = MappingTable.linear(5, a);
    expect(t.kindOf(id)).toBe(MAP_LINEAR);
    expect(t.pageOf(id)).toBe(5);
    expect(t.madeBy(id, a)).toBe(true);
    expect(t.madeBy(id, b)).toBe(false);
  });
});
