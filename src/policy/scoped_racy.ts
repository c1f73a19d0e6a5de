// @internal A deliberately broken `scoped`, for tests and benchmarks only (never in the built-in
// registry): the unprotect count is updated non-atomically, a read in one scheduler step and the
// write in the next (PksHooks.kmapSteps), as `page->count = page->count + 1` without a lock or
// atomic_inc() would be. Two CPUs that kmap() or kunmap() the same page between each other's
// read and write lose an update: `pksim explore` must find it (counts-agree, no-stale-unprotect).

import { registerDesign, unregisterDesign, type DesignEntry } from './registry.js';
import { PageStore, ScopedPks } from './scoped.js';
import type { PksMode } from './base.js';
import type { PolicyContext, Frame } from '../kernel/policy_api.js';

export class RacyScopedPks extends ScopedPks {
  readonly kmapSteps = 2;
  readonly kunmapSteps = 2;
  constructor(
    mode: Exclude<PksMode, 'off'>,
    private readonly count: PageStore,
  ) {
    super(mode, count);
  }
  // Step 0 (the mapping) changes no count; step 1 reads it, step 2 writes it back plus one.
  override kmap(): void {}
  kmapStep(m: PolicyContext, cpu: number, page: number, step: number, carry: number): number {
    const key = m.pageKey[page]!;
    if (!m.protectedKey(key)) return 0;
    if (step === 1) return this.count.get(page);
    this.count.set(page, carry + 1);
    m.applyRights(cpu, key);
    return 0;
  }
  // Step 0 ends the mapping and closes the caller's key; steps 1 and 2 decrement the count.
  override kunmap(m: PolicyContext, cpu: number, page: number, mapper: Frame | null): void {
    const key = m.pageKey[page]!;
    if (m.protectedKey(key) && mapper === m.top(cpu)) m.applyRights(cpu, key);
  }
  kunmapStep(m: PolicyContext, cpu: number, page: number, step: number, carry: number): number {
    if (!m.protectedKey(m.pageKey[page]!)) return 0;
    if (step === 1) return this.count.get(page);
    if (carry === 0) m.report(cpu, 'unprotect_underflow', `page ${page}: unprotect count would go negative`);
    else this.count.set(page, carry - 1);
    return 0;
  }
}

/** @internal The broken design's registry entry: `scoped-racy[:strict|relaxed]`. */
export const RACY_SCOPED: DesignEntry = {
  name: 'scoped-racy',
  modes: ['relaxed', 'strict'],
  compareModes: ['relaxed'],
  labelWithMode: true,
  summary: 'TEST ONLY: scoped with a non-atomic unprotect count (read, then write)',
  create: (m, o) => new RacyScopedPks(m as Exclude<PksMode, 'off'>, new PageStore(o.pages)),
};

/** @internal Register it (tests, benchmarks); returns the function that removes it again. */
export function registerRacyScoped(): () => void {
  registerDesign(RACY_SCOPED);
  return () => unregisterDesign(RACY_SCOPED.name);
}
