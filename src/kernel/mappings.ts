// Mapping records: every pointer a scenario holds is derived from one, and the oracle judges
// accesses by them. Slots are recycled with a generation number, so a run of any length keeps
// a table as large as its peak of live mappings, and a stale pointer (old generation) is
// recognised as dead. Linear-map pointers (page_address()) need no record: their id encodes
// the page and the context that derived them.

import type { Ctx } from './context.js';
import type { StateVec } from './state.js';

export const MAP_KMAP = 0;
export const MAP_LOCAL = 1;
export const MAP_ATOMIC = 2;
export const MAP_LINEAR = 3;

const SLOTS = 2 ** 20;
const LINEAR_TAG = 2 ** 50;
const CTX_SPAN = 2 ** 24;

/**
 * x % n for x >= 0 and n a power of two, exactly. Ids pass 2^31 once slots are reused (the
 * generation is in the high part), and % on such doubles is a call into C (fmod); dividing by
 * a power of two, flooring and subtracting are exact and stay in registers.
 */
function modPow2(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

export class MappingTable {
  private kind = new Uint8Array(64);
  private page = new Int32Array(64);
  private gen = new Float64Array(64);
  private live = new Uint8Array(64);
  private ctx = new Array<Ctx | null>(64).fill(null);
  private free: number[] = [];
  private size = 0;

  alloc(kind: number, page: number, ctx: Ctx): number {
    let slot: number;
    if (this.free.length > 0) slot = this.free.pop()!;
    else {
      if (this.size === this.kind.length) this.grow();
      slot = this.size++;
    }
    const g = ++this.gen[slot]!;
    this.kind[slot] = kind;
    this.page[slot] = page;
    this.live[slot] = 1;
    this.ctx[slot] = ctx;
    return g * SLOTS + slot;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    if (n > SLOTS) throw new Error(`more than ${SLOTS} live mappings`);
    const k = new Uint8Array(n),
      p = new Int32Array(n),
      g = new Float64Array(n),
      l = new Uint8Array(n);
    k.set(this.kind);
    p.set(this.page);
    g.set(this.gen);
    l.set(this.live);
    this.kind = k;
    this.page = p;
    this.gen = g;
    this.live = l;
    this.ctx.length = n;
    this.ctx.fill(null, this.size);
  }

  /** The id of a linear-map pointer to `page` derived by `ctx`. */
  static linear(page: number, ctx: Ctx): number {
    return LINEAR_TAG + page * CTX_SPAN + (ctx.id % CTX_SPAN);
  }

  private slotOf(id: number): number {
    if (id < 0 || id >= LINEAR_TAG) return -1;
    const g = Math.floor(id / SLOTS);
    const slot = id - g * SLOTS; // id % SLOTS (see modPow2)
    return this.gen[slot] === g ? slot : -1;
  }

  isLive(id: number): boolean {
    if (id >= LINEAR_TAG) return true;
    const s = this.slotOf(id);
    return s >= 0 && this.live[s] === 1;
  }

  /** The kind of a live or linear id (every caller checks isLive() first). */
  kindOf(id: number): number {
    return id >= LINEAR_TAG ? MAP_LINEAR : this.kind[modPow2(id, SLOTS)]!;
  }

  /** Page the mapping was made for (valid for live ids and linear ids). */
  pageOf(id: number): number {
    if (id >= LINEAR_TAG) return Math.floor((id - LINEAR_TAG) / CTX_SPAN);
    const s = this.slotOf(id);
    return s >= 0 ? this.page[s]! : -1;
  }

  /** Whether `ctx` made the mapping. */
  madeBy(id: number, ctx: Ctx): boolean {
    if (id >= LINEAR_TAG) return modPow2(id - LINEAR_TAG, CTX_SPAN) === ctx.id % CTX_SPAN;
    const s = this.slotOf(id);
    return s >= 0 && this.ctx[s] === ctx;
  }

  ctxOf(id: number): Ctx | null {
    const s = this.slotOf(id);
    return s >= 0 ? this.ctx[s]! : null;
  }

  /** End a mapping: pointers derived from it become stale; the slot is reused later. */
  kill(id: number): void {
    const s = this.slotOf(id);
    if (s < 0 || this.live[s] === 0) return;
    this.live[s] = 0;
    this.ctx[s] = null;
    this.free.push(s);
  }

  /** The slot of a live record's id, or -1 for a dead, stale or linear id. */
  liveSlot(id: number): number {
    const s = this.slotOf(id);
    return s >= 0 && this.live[s] === 1 ? s : -1;
  }

  /** The id of the live record in a slot. */
  idAt(slot: number): number {
    return this.gen[slot]! * SLOTS + slot;
  }

  kindAt(slot: number): number {
    return this.kind[slot]!;
  }

  pageAt(slot: number): number {
    return this.page[slot]!;
  }

  /** Slots in use so far (live or free): the range of ctxAt(). */
  get slots(): number {
    return this.size;
  }

  /** Live records `ids` ordered by their context's canonical number (Ctx.canon), stably, into `out` (reused). */
  orderByContext(ids: number[], out: number[]): number[] {
    out.length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const c = this.ctxOf(id)!.canon;
      let j = out.length;
      out.push(id);
      for (; j > 0 && this.ctxOf(out[j - 1]!)!.canon > c; j--) out[j] = out[j - 1]!;
      out[j] = id;
    }
    return out;
  }

  /** The context of a live slot's record, or null. */
  ctxAt(slot: number): Ctx | null {
    return this.live[slot] === 1 ? this.ctx[slot]! : null;
  }

  save(v: StateVec): void {
    v.push(this.size);
    v.push(this.free.length);
    v.pushAll(this.free);
    v.pushU8(this.kind, this.size);
    v.pushI32(this.page, this.size);
    v.pushF64(this.gen, this.size);
    v.pushU8(this.live, this.size);
    for (let s = 0; s < this.size; s++) v.push(this.live[s] === 1 ? this.ctx[s]!.id : -1);
  }

  /** Read back what save() wrote; `ctxById` finds each record's context. */
  load(v: StateVec, ctxById: (id: number) => Ctx): void {
    const size = v.next();
    while (this.kind.length < size) this.grow();
    const was = this.size;
    this.size = size;
    const nfree = v.next();
    if (this.free.length !== nfree) this.free.length = nfree;
    for (let i = 0; i < nfree; i++) this.free[i] = v.next();
    v.nextU8(this.kind, size);
    v.nextI32(this.page, size);
    v.nextF64(this.gen, size);
    v.nextU8(this.live, size);
    const b = v.buf;
    let p = v.pos;
    for (let s = 0; s < size; s++) {
      const id = b[p++]!;
      this.ctx[s] = id < 0 ? null : ctxById(id);
    }
    v.pos = p;
    // Slots past the saved size are unused: a later alloc() must find them clean (those past
    // the size before are clean already).
    if (was > size) {
      this.gen.fill(0, size, was);
      this.live.fill(0, size, was);
      this.ctx.fill(null, size, was);
    }
  }

  /** Every live record (for checks: allocates, not for the hot path). */
  liveRecords(): { id: number; kind: number; page: number; ctx: Ctx }[] {
    const out: { id: number; kind: number; page: number; ctx: Ctx }[] = [];
    for (let s = 0; s < this.size; s++) if (this.live[s] === 1) out.push({ id: this.gen[s]! * SLOTS + s, kind: this.kind[s]!, page: this.page[s]!, ctx: this.ctx[s]! });
    return out;
  }

  /** Live records (for tests and limits). */
  get liveCount(): number {
    return this.size - this.free.length;
  }
}
