// kmap_local: per-CPU fixmap slots (the PTEs) and a per-task stack of at most KM_MAX_IDX
// mappings. Interrupts push onto the stack of the task they interrupted, as in the kernel.
// On switch-out the task's slots are cleared from the CPU, on switch-in they are restored.

import { KM_MAX_IDX } from './layout.js';

/** Per-task stack of kmap_local mappings. */
export class LocalStack {
  readonly page = new Int32Array(KM_MAX_IDX).fill(-1);
  readonly mapping = new Float64Array(KM_MAX_IDX).fill(-1);
  depth = 0;
}

/** The fixmap PTEs of every CPU's kmap_local range. */
export class FixmapSlots {
  readonly pte: Int32Array;
  /** Per page: how many fixmap PTEs point at it (kept so exposure needs no scan). */
  readonly mapped: Int32Array;
  /** PTEs in use (kept by set(): a snapshot writes only those). */
  private used = 0;
  constructor(cpus: number, pages: number) {
    this.pte = new Int32Array(cpus * KM_MAX_IDX).fill(-1);
    this.mapped = new Int32Array(pages);
  }
  set(cpu: number, idx: number, page: number): void {
    const i = cpu * KM_MAX_IDX + idx;
    const old = this.pte[i]!;
    if (old >= 0) {
      this.mapped[old]!--;
      this.used--;
    }
    if (page >= 0) {
      this.mapped[page]!++;
      this.used++;
    }
    this.pte[i] = page;
  }
  /** The PTEs in use as (slot, page) pairs after their count (most are empty), then the per-page counts. */
  save(v: { push(x: number): void; pushI32(a: Int32Array): void }): void {
    const pte = this.pte;
    v.push(this.used);
    for (let i = 0, left = this.used; left > 0 && i < pte.length; i++)
      if (pte[i]! >= 0) {
        v.push(i);
        v.push(pte[i]!);
        left--;
      }
    v.pushI32(this.mapped);
  }
  load(v: { next(): number; nextI32(a: Int32Array, len: number): void }): void {
    if (this.used > 0) this.pte.fill(-1);
    this.used = v.next();
    for (let k = this.used; k > 0; k--) {
      const i = v.next();
      this.pte[i] = v.next();
    }
    v.nextI32(this.mapped, this.mapped.length);
  }
  get(cpu: number, idx: number): number {
    return this.pte[cpu * KM_MAX_IDX + idx]!;
  }
  /** Switch-out: the outgoing task's mappings disappear from this CPU. */
  clearTask(cpu: number, st: LocalStack): void {
    for (let i = 0; i < st.depth; i++) this.set(cpu, i, -1);
  }
  /** Switch-in: the incoming task's mappings are re-established on this CPU. */
  restoreTask(cpu: number, st: LocalStack): void {
    for (let i = 0; i < st.depth; i++) this.set(cpu, i, st.page[i]!);
  }
}
