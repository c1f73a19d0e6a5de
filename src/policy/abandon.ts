// `abandon`: the V7 revision (Aug 2021). kmap() of a protected page is flagged invalid
// (pgmap_protection_flag_invalid(): BUG in STRICT; in RELAXED WARN_ONCE and abandon); a key
// fault in RELAXED warns once and abandons too (pgmap_pks_fault_callback()). Abandoning
// (pks_abandon_protections()) clears the key in a global allowed-mask, for everyone, for
// good, and opens it on the current CPU; other CPUs pick it up lazily at their next entry,
// exit, context switch, or key fault (which is retried silently): no IPI.
// kmap_local_page() and grants are thread-local. SILENT is RELAXED without the warnings (the
// series had no such mode; kept to compare with scoped:silent).

import { VERDICT_OOPS, VERDICT_PARDON, type Verdict, type Frame, type PolicyContext } from '../kernel/policy_api.js';
import { pkrKeyMask } from '../arch/x86/pkrs.js';
import { ContextLocalPks, type PksMode } from './base.js';

export class AbandonPks extends ContextLocalPks {
  constructor(readonly mode: Exclude<PksMode, 'off'>) {
    super(mode === 'relaxed' ? 'abandon' : `abandon:${mode}`);
  }
  override kmap(m: PolicyContext, cpu: number, page: number): void {
    const key = m.pageKey[page]!;
    if (!m.protectedKey(key) || (m.abandoned & pkrKeyMask(key)) !== 0) return;
    if (this.mode === 'strict') {
      m.oops(cpu, 'kernel BUG at mm/memremap.c: pgmap_protection_flag_invalid(): kmap() of a protected page');
      return;
    }
    if (this.mode === 'relaxed')
      m.warnOnce(cpu, 'pgmap_protection_flag_invalid', `Page map protection disabled (kmap() of page ${m.pageName(page)}, key ${key}: key abandoned for everyone)`);
    m.abandonKey(cpu, key);
  }
  override fault(m: PolicyContext, cpu: number, _frame: Frame, page: number, key: number): Verdict {
    if (this.mode === 'strict') return VERDICT_OOPS;
    if (this.mode === 'relaxed') m.warn(cpu, `Page map protection disabled (fault on page ${m.pageName(page)}, key ${key}: key abandoned for everyone)`);
    m.abandonKey(cpu, key);
    return VERDICT_PARDON;
  }
  override pardonsSilently(m: PolicyContext, _page: number, key: number): boolean {
    if ((m.abandoned & pkrKeyMask(key)) !== 0) return true; // the fault is retried without a word
    return this.mode === 'silent' || (this.mode === 'relaxed' && !m.strayWouldWarn());
  }
}
