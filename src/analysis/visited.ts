// The visited set of a state search: 64-bit state hashes in an open-addressing table over a
// typed array (two 32-bit words per slot, linear probing), doubled when half full. 8 bytes per
// slot; (0, 0) marks an empty slot, so a state hashing to it is stored as (0, 1).

export class VisitedSet {
  private table = new Uint32Array(2 * 4096);
  private mask = 4096 - 1;
  size = 0;

  /** Adds the hash; false when it was already there. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    if (this.size * 2 >= this.mask + 1) this.grow();
    return this.insert(this.table, this.mask, hi >>> 0, lo >>> 0);
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const t = this.table;
    for (let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask; ; i = (i + 1) & this.mask) {
      const a = t[2 * i]!,
        b = t[2 * i + 1]!;
      if (a === 0 && b === 0) return false;
      if (a === hi >>> 0 && b === lo >>> 0) return true;
    }
  }

  private insert(t: Uint32Array, mask: number, hi: number, lo: number): boolean {
    for (let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const a = t[2 * i]!,
        b = t[2 * i + 1]!;
      if (a === 0 && b === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.size++;
        return true;
      }
      if (a === hi && b === lo) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const t = new Uint32Array(2 * slots);
    const mask = slots - 1;
    const n = this.size;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.insert(t, mask, old[i]!, old[i + 1]!);
    this.table = t;
    this.mask = mask;
    if (this.size !== n) throw new Error('visited set lost entries while growing');
  }

  /** Bytes of the table. */
  get bytes(): number {
    return this.table.byteLength;
  }
}
