// The visited set of a state search: 64-bit state hashes in an open-addressing table over a
// typed array (two 32-bit words per slot, linear probing), doubled when half full. 8 bytes per
// slot; (0, 0) marks an empty slot, so a state hashing to it is stored as (0, 1). Also the DFS's
// on-stack set (StackSet), for the cycle proviso.

import { doubled } from './grow.js';

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

/** What the search stores of each state: a set of 64-bit hashes, or less (--hash-compact, --bitstate). */
export interface StateStore {
  add(hi: number, lo: number): boolean;
  has(hi: number, lo: number): boolean;
  readonly bytes: number;
  /** 'exact' when only a 64-bit collision can hide a state; else the coverage is probabilistic. */
  readonly kind: 'hash64' | 'hash-compact' | 'bitstate';
  /** The probability that a state was wrongly taken as visited (never expanded), for `states` stored. */
  omission(states: number): number;
}

/** The default: 64-bit hashes (hash compaction); a collision needs two states of equal 64-bit hash. */
export class Hash64Store extends VisitedSet implements StateStore {
  readonly kind = 'hash64';
  omission(states: number): number {
    return Math.min(1, (states * states) / 2 ** 65);
  }
}

/**
 * --hash-compact: 32 bits of the hash, 4 bytes a slot (open addressing, doubled when half full).
 * Two states whose 32 stored bits agree are taken as one: at most states^2 / 2^33 that any did.
 */
export class CompactStore implements StateStore {
  readonly kind = 'hash-compact';
  private table = new Uint32Array(4096);
  private mask = 4096 - 1;
  size = 0;
  add(hi: number, lo: number): boolean {
    if (this.size * 2 >= this.mask + 1) this.grow();
    return this.insert(this.table, this.mask, key32(hi, lo));
  }
  has(hi: number, lo: number): boolean {
    const k = key32(hi, lo);
    const t = this.table;
    for (let i = (Math.imul(k, 0x9e3779b1) >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      if (t[i] === 0) return false;
      if (t[i] === k) return true;
    }
  }
  private insert(t: Uint32Array, mask: number, k: number): boolean {
    for (let i = (Math.imul(k, 0x9e3779b1) >>> 0) & mask; ; i = (i + 1) & mask) {
      if (t[i] === 0) {
        t[i] = k;
        this.size++;
        return true;
      }
      if (t[i] === k) return false;
    }
  }
  private grow(): void {
    const old = this.table;
    const t = new Uint32Array(old.length * 2);
    const mask = t.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.insert(t, mask, old[i]!);
    this.table = t;
    this.mask = mask;
  }
  get bytes(): number {
    return this.table.byteLength;
  }
  omission(states: number): number {
    return Math.min(1, (states * states) / 2 ** 33);
  }
}

/** 32 bits of a 64-bit hash, never 0 (the empty slot). */
function key32(hi: number, lo: number): number {
  const k = (hi ^ Math.imul(lo, 0x85ebca6b)) >>> 0;
  return k === 0 ? 1 : k;
}

/**
 * --bitstate: Holzmann's bit-state hashing (supertrace). A bit array of 2^b bits and k bit
 * positions per state (double hashing over the 64-bit hash); a state is taken as visited when
 * all k bits are set. No state is stored: a new state whose k bits happen to be set already is
 * never expanded. After n states the chance of that is (1 - e^(-kn/m))^k; `omission` gives it.
 */
export class BitStore implements StateStore {
  readonly kind = 'bitstate';
  private readonly bits: Uint32Array;
  private readonly mask: number;
  constructor(
    sizeBytes: number,
    readonly k = 3,
  ) {
    let words = 1;
    while (words * 4 * 2 <= sizeBytes) words *= 2;
    this.bits = new Uint32Array(words);
    this.mask = words * 32 - 1;
  }
  private pos(hi: number, lo: number, i: number): number {
    return (lo + Math.imul(i, hi | 1)) & this.mask;
  }
  add(hi: number, lo: number): boolean {
    if (this.has(hi, lo)) return false;
    for (let i = 0; i < this.k; i++) {
      const p = this.pos(hi, lo, i);
      this.bits[p >>> 5]! |= 1 << (p & 31);
    }
    return true;
  }
  has(hi: number, lo: number): boolean {
    for (let i = 0; i < this.k; i++) {
      const p = this.pos(hi, lo, i);
      if ((this.bits[p >>> 5]! & (1 << (p & 31))) === 0) return false;
    }
    return true;
  }
  get bytes(): number {
    return this.bits.byteLength;
  }
  /** The false-positive rate when the last state was added: an upper bound for every state. */
  omission(states: number): number {
    return (1 - Math.exp((-this.k * states) / (this.mask + 1))) ** this.k;
  }
}

/**
 * On-stack hashes for the DFS cycle proviso, as a hash table with one chain per bucket through
 * the stack positions. Entries leave in the reverse order they came (the DFS stack), so the
 * one leaving is always the head of its bucket's chain: push and pop are O(1), with no
 * allocation once the stack has been this deep.
 */
export class StackSet {
  private static readonly BUCKETS = 1024;
  private readonly head = new Int32Array(StackSet.BUCKETS).fill(-1);
  private next = new Int32Array(256);
  private his = new Uint32Array(256);
  private los = new Uint32Array(256);
  private n = 0;
  private static bucket(hi: number, lo: number): number {
    return (hi ^ lo) & (StackSet.BUCKETS - 1);
  }
  add(hi: number, lo: number): void {
    if (this.n === this.next.length) {
      this.next = doubled(this.next);
      this.his = doubled(this.his);
      this.los = doubled(this.los);
    }
    const b = StackSet.bucket(hi, lo),
      i = this.n++;
    this.his[i] = hi;
    this.los[i] = lo;
    this.next[i] = this.head[b]!;
    this.head[b] = i;
  }
  /** Remove the entry added last (it must be hi, lo). */
  remove(hi: number, lo: number): void {
    const i = --this.n;
    this.head[StackSet.bucket(hi, lo)] = this.next[i]!;
  }
  has(hi: number, lo: number): boolean {
    for (let i = this.head[StackSet.bucket(hi, lo)]!; i >= 0; i = this.next[i]!) if (this.his[i] === hi >>> 0 && this.los[i] === lo >>> 0) return true;
    return false;
  }
}
