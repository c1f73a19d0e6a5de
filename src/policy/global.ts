// `global`: the original PKS/PMEM patch set. kmap() of a protected page enables the key on
// every CPU and for every context until the last kunmap() of a page with that key; each
// enable/disable transition is an IPI to every other CPU. Faults are never pardoned.
// kmap_local_page() and grants stay thread-local, and interrupt entry loads the default (the
// globally enabled keys included), as every version of the series did: an interrupt sees
// the keys of live kmap()s open, never the rights of the context it interrupted.

import type { Frame, PolicyContext, StateVec } from '../kernel/policy_api.js';
import { pkrKeyMask, PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { ContextLocalPks } from './base.js';

export class GlobalPks extends ContextLocalPks {
  /** Live kmap()s per key. */
  private readonly live = new Int32Array(PKS_NUM_KEYS);
  constructor() {
    super('global');
  }
  save(_m: PolicyContext, v: StateVec): void {
    v.pushAll(this.live);
  }
  load(_m: PolicyContext, v: StateVec): void {
    v.nextInto(this.live, PKS_NUM_KEYS);
  }
  override kmap(m: PolicyContext, cpu: number, page: number): void {
    const key = m.pageKey[page]!;
    if (m.protectedKey(key) && this.live[key]!++ === 0) m.setGlobalOpen(cpu, m.globalOpen | pkrKeyMask(key), `kmap: global enable of key ${key}`);
  }
  override kunmap(m: PolicyContext, cpu: number, page: number, _mapper: Frame | null): void {
    const key = m.pageKey[page]!;
    if (m.protectedKey(key) && this.live[key]! > 0 && --this.live[key]! === 0) {
      m.setGlobalOpen(cpu, m.globalOpen & ~pkrKeyMask(key), `kunmap: global disable of key ${key}`);
    }
  }
}
