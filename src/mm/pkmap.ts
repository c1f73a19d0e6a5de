// The kmap() pool: LAST_PKMAP slots, one slot per page shared by all its users.
// Counts follow mm/highmem.c: 0 = free, 1 = mapped but unused (flushed lazily, so a stale
// address still reaches the old page until the next flush), n+1 = n users.

export const PKMAP_FULL = -1;

export class Pkmap {
  readonly slotPage: Int32Array;
  readonly slotCount: Int32Array;
  /** page -> slot, -1 when the page has no pkmap slot. */
  readonly pageSlot: Int32Array;
  private lastNr = 0;
  /** Number of lazy flushes (slots at count 1 torn down on wrap-around). */
  flushes = 0;

  constructor(
    readonly size: number,
    pages: number,
  ) {
    this.slotPage = new Int32Array(size).fill(-1);
    this.slotCount = new Int32Array(size);
    this.pageSlot = new Int32Array(pages).fill(-1);
  }

  /** kmap_high(): returns the slot, or PKMAP_FULL when the caller must sleep. */
  map(page: number): number {
    const s = this.pageSlot[page]!;
    if (s >= 0) {
      this.slotCount[s]!++;
      return s;
    }
    const slot = this.findFree();
    if (slot < 0) return PKMAP_FULL;
    this.slotPage[slot] = page;
    this.slotCount[slot] = 2; // mapped + one user
    this.pageSlot[page] = slot;
    return slot;
  }

  /** map_new_virtual(): scan from the last slot used; on wrap-around flush and scan once more. */
  private findFree(): number {
    let count = this.size;
    for (;;) {
      this.lastNr = (this.lastNr + 1) % this.size;
      if (this.lastNr === 0) {
        this.flushZero();
        count = this.size;
      }
      if (this.slotCount[this.lastNr] === 0) return this.lastNr;
      if (--count === 0) return -1;
    }
  }

  /** flush_all_zero_pkmaps(): tear down every mapped-but-unused slot. */
  private flushZero(): void {
    for (let s = 0; s < this.size; s++) {
      if (this.slotCount[s] === 1) {
        this.slotCount[s] = 0;
        this.pageSlot[this.slotPage[s]!] = -1;
        this.slotPage[s] = -1;
        this.flushes++;
      }
    }
  }

  /**
   * kunmap_high(): drop one user. Returns the remaining user count, or -1 when the page had
   * no users (a kunmap without a kmap: the kernel BUGs).
   */
  unmap(page: number): number {
    const s = this.pageSlot[page]!;
    if (s < 0 || this.slotCount[s]! < 2) return -1;
    const c = --this.slotCount[s]!;
    return c - 1;
  }

  /** Page a pkmap slot's PTE points at, or -1 when not present. */
  translate(slot: number): number {
    return this.slotCount[slot]! >= 1 ? this.slotPage[slot]! : -1;
  }

  save(v: { push(x: number): void; pushAll(a: ArrayLike<number>): void }): void {
    v.pushAll(this.slotPage);
    v.pushAll(this.slotCount);
    v.pushAll(this.pageSlot);
    v.push(this.lastNr);
    v.push(this.flushes);
  }

  /**
   * The canonical form: save() without the flush counter, which is history (nothing reads it
   * but the statistics). The cursor stays: it decides which slot the next page gets and when
   * flush_all_zero_pkmaps() runs (on the wrap to slot 0), and the slot decides the address.
   */
  canonical(v: { push(x: number): void; pushAll(a: ArrayLike<number>): void }): void {
    v.pushAll(this.slotPage);
    v.pushAll(this.slotCount);
    v.pushAll(this.pageSlot);
    v.push(this.lastNr);
  }

  load(v: { next(): number; nextInto(a: Int32Array, len: number): void }): void {
    v.nextInto(this.slotPage, this.size);
    v.nextInto(this.slotCount, this.size);
    v.nextInto(this.pageSlot, this.pageSlot.length);
    this.lastNr = v.next();
    this.flushes = v.next();
  }

  users(page: number): number {
    const s = this.pageSlot[page]!;
    return s < 0 ? 0 : Math.max(0, this.slotCount[s]! - 1);
  }
}
