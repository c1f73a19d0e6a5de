// Machine state as data. Everything that determines the future of a run is written, field by
// field and in a fixed order, into a StateVec (a growable vector of numbers, like SPIN's state
// vector), and read back from it: snapshot() and restore() in time proportional to the state,
// with no allocation once the vector has grown to size. Strings (context names, wait reasons,
// warning sites) are interned: the vector holds their indices.

export class StateVec {
  buf: Float64Array;
  /** Words written. */
  n = 0;
  /** Read position. */
  pos = 0;
  /** buf's 32-bit words, made when hash64() first needs them (null: not yet, or buf changed). */
  private words: Uint32Array | null;
  /** Positions of the numbers that are not 32-bit integers, met by hash64(). */
  private otherAt = new Int32Array(16);

  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity));
    this.words = new Uint32Array(this.buf.buffer);
  }

  /** Make this vector read `a` itself (no copy, no allocation): reused for every snapshot of a batch. */
  point(a: Float64Array): this {
    this.buf = a;
    this.words = null;
    this.n = a.length;
    this.pos = 0;
    return this;
  }

  clear(): void {
    this.n = 0;
    this.pos = 0;
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const b = new Float64Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.words = null;
  }

  private growOthers(): void {
    const a = new Int32Array(this.otherAt.length * 2);
    a.set(this.otherAt);
    this.otherAt = a;
  }

  /**
   * Make room for `k` numbers and count them written; the index of the first. The caller
   * fills buf[at .. at+k) (read `buf` after this call: it may have grown). Hot writers of a
   * fixed group of fields use it instead of k push() calls.
   */
  reserve(k: number): number {
    const at = this.n;
    if (at + k > this.buf.length) this.grow(at + k);
    this.n = at + k;
    return at;
  }

  push(x: number): void {
    if (this.n === this.buf.length) this.grow(this.n + 1);
    this.buf[this.n++] = x;
  }

  /**
   * The first `len` numbers of `a`. Each array type is copied by a loop of its own: one loop fed
   * Int32Array, Uint8Array, Float64Array and plain arrays in turn goes megamorphic, and was a
   * third of a snapshot's time. Hot callers that know their type call pushI32/pushF64/pushU8.
   */
  pushAll(a: ArrayLike<number>, len: number = a.length): void {
    if (a instanceof Int32Array) this.pushI32(a, len);
    else if (a instanceof Float64Array) this.pushF64(a, len);
    else if (a instanceof Uint8Array) this.pushU8(a, len);
    else {
      if (this.n + len > this.buf.length) this.grow(this.n + len);
      const b = this.buf,
        n = this.n;
      for (let i = 0; i < len; i++) b[n + i] = a[i]!;
      this.n += len;
    }
  }

  pushI32(a: Int32Array, len: number = a.length): void {
    if (this.n + len > this.buf.length) this.grow(this.n + len);
    const b = this.buf,
      n = this.n;
    for (let i = 0; i < len; i++) b[n + i] = a[i]!;
    this.n += len;
  }

  pushF64(a: Float64Array, len: number = a.length): void {
    if (this.n + len > this.buf.length) this.grow(this.n + len);
    const b = this.buf,
      n = this.n;
    for (let i = 0; i < len; i++) b[n + i] = a[i]!;
    this.n += len;
  }

  pushU8(a: Uint8Array, len: number = a.length): void {
    if (this.n + len > this.buf.length) this.grow(this.n + len);
    const b = this.buf,
      n = this.n;
    for (let i = 0; i < len; i++) b[n + i] = a[i]!;
    this.n += len;
  }

  /**
   * The next number. No bounds check per read (a restore reads hundreds): whoever reads a whole
   * vector calls done() at the end, which catches a read past the end as well as a short read.
   */
  next(): number {
    return this.buf[this.pos++]!;
  }

  /** Every number written was read back, no more and no fewer (the check next() leaves out). */
  done(): void {
    if (this.pos !== this.n) throw new Error(`state vector: read ${this.pos} of its ${this.n} numbers`);
  }

  /** Read `len` numbers into `a` (one loop per array type, as in pushAll). */
  nextInto(a: { [i: number]: number }, len: number): void {
    if (a instanceof Int32Array) this.nextI32(a, len);
    else if (a instanceof Float64Array) this.nextF64(a, len);
    else if (a instanceof Uint8Array) this.nextU8(a, len);
    else {
      const b = this.buf,
        p = this.pos;
      for (let i = 0; i < len; i++) a[i] = b[p + i]!;
      this.pos += len;
    }
  }

  nextI32(a: Int32Array, len: number): void {
    const b = this.buf,
      p = this.pos;
    for (let i = 0; i < len; i++) a[i] = b[p + i]!;
    this.pos += len;
  }

  nextF64(a: Float64Array, len: number): void {
    const b = this.buf,
      p = this.pos;
    for (let i = 0; i < len; i++) a[i] = b[p + i]!;
    this.pos += len;
  }

  nextU8(a: Uint8Array, len: number): void {
    const b = this.buf,
      p = this.pos;
    for (let i = 0; i < len; i++) a[i] = b[p + i]!;
    this.pos += len;
  }

  /** A copy that keeps this state (allocates: for states that must be kept). */
  copy(): StateVec {
    const v = new StateVec(this.n);
    v.buf.set(this.buf.subarray(0, this.n));
    v.n = this.n;
    return v;
  }

  /** Copy another vector's contents into this one (no allocation once grown). */
  assign(o: StateVec): void {
    this.clear();
    this.pushAll(o.buf, o.n);
  }

  equals(o: StateVec): boolean {
    if (o.n !== this.n) return false;
    for (let i = 0; i < this.n; i++) if (!Object.is(o.buf[i], this.buf[i])) return false;
    return true;
  }

  /**
   * A 64-bit hash of the numbers written, as two 32-bit halves in out[0], out[1]. Nearly every
   * number of a state is a 32-bit integer (counters, indices, PKRS values): each is mixed as
   * its int32 value into one of four accumulators in turn (xxHash32's round: a multiply, a
   * rotate, a multiply, each a bijection of the word, so two vectors that differ in one word
   * differ in that accumulator), and the four (128 bits) are folded into 64 by two independent
   * finalizers. Any other number (a linear-map pointer's id, a fraction) is mixed again
   * afterwards, with its position and its raw 64 bits, so the input stays a one-to-one
   * encoding of the vector (-0 is hashed as 0: no state tells them apart).
   */
  hash64(out: Uint32Array): void {
    const b = this.buf,
      n = this.n;
    let a0 = 0x24234428 ^ n,
      a1 = 0x85ebca77,
      a2 = 0,
      a3 = 0x61c88647,
      others = 0,
      i = 0;
    for (; i + 4 <= n; i += 4) {
      const x0 = b[i]!,
        x1 = b[i + 1]!,
        x2 = b[i + 2]!,
        x3 = b[i + 3]!;
      const k0 = x0 | 0,
        k1 = x1 | 0,
        k2 = x2 | 0,
        k3 = x3 | 0;
      if (k0 !== x0 || k1 !== x1 || k2 !== x2 || k3 !== x3) others = this.noteOthers(i, 4, others);
      a0 = round(a0, k0);
      a1 = round(a1, k1);
      a2 = round(a2, k2);
      a3 = round(a3, k3);
    }
    if (i < n) {
      others = this.noteOthers(i, n - i, others);
      for (; i < n; i++) a0 = round(a0, (b[i]! | 0) ^ i);
    }
    if (others > 0) {
      const w = (this.words ??= new Uint32Array(b.buffer, b.byteOffset, b.length * 2));
      for (let o = 0; o < others; o++) {
        const at = this.otherAt[o]!;
        a1 = round(a1, at ^ 0x6a09e667);
        a2 = round(a2, w[2 * at]!);
        a3 = round(a3, w[2 * at + 1]!);
      }
    }
    const h1 = fmix(a0 + rotl(a1, 7) + rotl(a2, 12) + rotl(a3, 18));
    out[0] = h1 >>> 0;
    out[1] = fmix(Math.imul(a0 ^ rotl(a1, 13), 0x9e3779b1) + Math.imul(a2 ^ rotl(a3, 5), 0x85ebca77) + h1) >>> 0;
  }

  /** Record the positions among b[from .. from+len) that are not 32-bit integers. */
  private noteOthers(from: number, len: number, others: number): number {
    const b = this.buf;
    for (let j = from; j < from + len; j++) {
      const x = b[j]!;
      if ((x | 0) === x) continue;
      if (others === this.otherAt.length) this.growOthers();
      this.otherAt[others++] = j;
    }
    return others;
  }
}

/** xxHash32's round: bijective in `k` for a given `acc`, and in `acc` for a given `k`. */
function round(acc: number, k: number): number {
  acc = (acc + Math.imul(k, 0x85ebca77)) | 0;
  acc = (acc << 13) | (acc >>> 19);
  return Math.imul(acc, 0x9e3779b1);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Strings of a state, by number. A string's number is a 52-bit hash of its text, not its order of
 * first use: every thread (the explorer's workers) numbers a string the same way, so snapshots
 * and canonical states agree between threads; learn() teaches a thread the strings another
 * one has met, so that it can read that thread's snapshots.
 */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly strs = new Map<number, string>();
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = textHash(s);
      const other = this.strs.get(i);
      if (other !== undefined && other !== s) throw new Error(`interned strings '${other}' and '${s}' hash alike`);
      this.ids.set(s, i);
      this.strs.set(i, s);
    }
    return i;
  }
  str(i: number): string {
    const s = this.strs.get(i);
    if (s === undefined) throw new Error(`no interned string numbered ${i}`);
    return s;
  }
  /** Every string met so far. */
  all(): string[] {
    return [...this.ids.keys()];
  }
  /** Number these strings too (met by another thread). */
  learn(strings: readonly string[]): void {
    for (const s of strings) this.id(s);
  }
}

/** 52 bits of two FNV-1a lanes over the UTF-16 code units: exact in a float64 word. */
function textHash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // Never 0: a snapshot may use 0 for "no string" (Task.save). Should a string hash to 1
  // instead, the Interner's clash check says so.
  return (b >>> 12) * 4294967296 + (a >>> 0) || 1;
}
