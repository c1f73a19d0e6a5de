// `abandon`: a later revision. Rights are thread-local (kmap() opens the key for its caller
// only), and the first pardoned fault abandons protection of that key for everyone, for good.

import type { MachineCore as Machine } from '../kernel/core.js';
import type { Ctx } from '../kernel/context.js';
import { VERDICT_OOPS, VERDICT_PARDON, type Verdict } from '../kernel/pks_hooks.js';
import { pkrKeyMask } from '../arch/x86/pkrs.js';
import { ContextLocalPks, pkMessage, type PksMode } from './base.js';

export class AbandonPks extends ContextLocalPks {
  constructor(readonly mode: Exclude<PksMode, 'off'>) {
    super(mode === 'relaxed' ? 'abandon' : `abandon:${mode}`);
  }
  override kmap(m: Machine, cpu: number, page: number): void {
    this.mapLocal(m, cpu, page);
  }
  override kunmap(m: Machine, cpu: number, page: number, mapper: Ctx | null): void {
    if (mapper === m.top(cpu)) this.unmapLocal(m, cpu, page);
  }
  override fault(m: Machine, cpu: number, _frame: Ctx, page: number, key: number): Verdict {
    if (this.mode === 'strict') return VERDICT_OOPS;
    if (this.mode === 'relaxed') m.warn(cpu, pkMessage(m, key, page).replace('for this context', 'and key abandoned for everyone'));
    m.setGlobalOpen(cpu, m.globalOpen | pkrKeyMask(key), `abandon key ${key}`);
    return VERDICT_PARDON;
  }
  override pardonsSilently(m: Machine): boolean {
    return this.mode === 'silent' || (this.mode === 'relaxed' && !m.strayWouldWarn());
  }
}
