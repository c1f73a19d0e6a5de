// `scoped`: the LKML proposal of 18 Dec 2020. kmap() marks the page globally unprotected (a
// refcount in struct page or in a global hash) and opens the key for its caller, as
// kmap_local_page() does; only another context's access faults, and the smart #PF handler
// pardons it for the faulting context only, by editing the saved PKRS in its entry frame.

import { VERDICT_OOPS, VERDICT_PARDON, type Verdict, type Frame, type PolicyContext, type StateVec } from '../kernel/policy_api.js';
import { ContextLocalPks, pkMessage, type PksMode } from './base.js';

/** Where the per-page "globally unprotected" count lives. */
export interface UnprotectStore {
  get(page: number): number;
  inc(page: number): void;
  dec(page: number): boolean;
  /** The counts of pages 0..n-1, for a machine snapshot (the same vector for both stores). */
  save(v: StateVec, pages: number): void;
  load(v: StateVec, pages: number): void;
}

/** The count kept in struct page. */
export class PageStore implements UnprotectStore {
  private readonly count: Int32Array;
  constructor(pages: number) {
    this.count = new Int32Array(pages);
  }
  get(page: number): number {
    return this.count[page]!;
  }
  inc(page: number): void {
    this.count[page]!++;
  }
  dec(page: number): boolean {
    if (this.count[page]! === 0) return false;
    this.count[page]!--;
    return true;
  }
  /** Write the count (a design that updates it with a read, then a write). */
  set(page: number, n: number): void {
    this.count[page] = n;
  }
  save(v: StateVec): void {
    v.pushAll(this.count);
  }
  load(v: StateVec, pages: number): void {
    v.nextInto(this.count, pages);
  }
}

/** The count kept in a global hash keyed by page, entries removed at zero. */
export class HashStore implements UnprotectStore {
  private readonly map = new Map<number, number>();
  get(page: number): number {
    return this.map.get(page) ?? 0;
  }
  inc(page: number): void {
    this.map.set(page, this.get(page) + 1);
  }
  dec(page: number): boolean {
    const c = this.get(page);
    if (c === 0) return false;
    if (c === 1) this.map.delete(page);
    else this.map.set(page, c - 1);
    return true;
  }
  get size(): number {
    return this.map.size;
  }
  save(v: StateVec, pages: number): void {
    for (let p = 0; p < pages; p++) v.push(this.get(p));
  }
  load(v: StateVec, pages: number): void {
    this.map.clear();
    for (let p = 0; p < pages; p++) {
      const c = v.next();
      if (c > 0) this.map.set(p, c);
    }
  }
}

export class ScopedPks extends ContextLocalPks {
  // kmap() opens the key for its caller, as kmap_local_page() does.
  override readonly kmapOpens = true;
  constructor(
    readonly mode: Exclude<PksMode, 'off'>,
    readonly store: UnprotectStore,
  ) {
    super(`scoped:${mode}`);
  }

  override kmap(m: PolicyContext, cpu: number, page: number): void {
    const key = m.pageKey[page]!;
    if (!m.protectedKey(key)) return;
    this.store.inc(page);
    m.applyRights(cpu, key);
  }

  override kunmap(m: PolicyContext, cpu: number, page: number, mapper: Frame | null): void {
    const key = m.pageKey[page]!;
    if (!m.protectedKey(key)) return;
    if (!this.store.dec(page)) m.report(cpu, 'unprotect_underflow', `page ${page}: unprotect count would go negative`);
    // A kunmap() from another context cannot touch the mapper's PKRS: the mapper keeps the
    // key open until it is left (the machine reports the foreign kunmap).
    if (mapper === m.top(cpu)) m.applyRights(cpu, key);
  }

  override fault(m: PolicyContext, cpu: number, frame: Frame, page: number, key: number): Verdict {
    if (this.store.get(page) === 0) return VERDICT_OOPS; // not globally unprotected: die
    if (this.mode === 'strict') return VERDICT_OOPS;
    const printed = this.mode === 'relaxed' ? m.warn(cpu, pkMessage(m, key, page)) : false;
    m.pardon(cpu, frame, page, key, printed);
    return VERDICT_PARDON;
  }

  unprotectCount(page: number): number {
    return this.store.get(page);
  }

  save(m: PolicyContext, v: StateVec): void {
    this.store.save(v, m.pageKey.length);
  }
  load(m: PolicyContext, v: StateVec): void {
    this.store.load(v, m.pageKey.length);
  }

  override pardonsSilently(m: PolicyContext, page: number): boolean {
    if (this.store.get(page) === 0) return false;
    return this.mode === 'silent' || (this.mode === 'relaxed' && !m.strayWouldWarn());
  }
}
