// doubled(): the searches' typed tables grow by it (paths, on-stack sets, the exposure graph).

import { describe, expect, it } from 'vitest';
import { doubled } from '../../src/analysis/grow.js';

describe('doubled', () => {
  it('keeps the contents and the array kind, twice as long, the new half zero or the fill', () => {
    const a = Int32Array.from([3, -1]);
    const b = doubled(a);
    expect(b).toBeInstanceOf(Int32Array);
    expect(Array.from(b)).toEqual([3, -1, 0, 0]);
    const u = doubled(Uint32Array.from([2 ** 32 - 1]));
    expect(u).toBeInstanceOf(Uint32Array);
    expect(Array.from(u)).toEqual([2 ** 32 - 1, 0]);
    const f = doubled(Float64Array.from([0.5, 2]), -1);
    expect(Array.from(f)).toEqual([0.5, 2, -1, -1]);
    expect(a.length).toBe(2); // the original is untouched
  });
});
