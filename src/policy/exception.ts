// `exception`: the last PKS/PMEM revision. kmap() is unsupported (it opens nothing, so even
// the caller's own access faults); kmap_local and the set/clear calls keep a nesting count in
// the *task*, even when called from an interrupt on top of it; a fault in RELAXED warns and
// opens the key in the faulting frame without looking at the page.

import type { MachineCore as Machine } from '../kernel/core.js';
import type { Ctx } from '../kernel/context.js';
import { VERDICT_OOPS, VERDICT_PARDON, type Verdict } from '../kernel/pks_hooks.js';
import { pkrKeyMask } from '../arch/x86/pkrs.js';
import { NoPks, pkMessage, type PksMode } from './base.js';

export class ExceptionPks extends NoPks {
  override readonly pks = true;
  constructor(readonly mode: Exclude<PksMode, 'off'>) {
    super(mode === 'relaxed' ? 'exception' : `exception:${mode}`);
  }

  /** pks_set_readwrite(): only the outermost call of the task writes PKRS. */
  private setReadwrite(m: Machine, cpu: number, key: number): void {
    if (!m.protectedKey(key)) return;
    const t = m.cpus[cpu]!.curr;
    if (t.nest[key]!++ === 0) m.writePkrs(cpu, m.cpus[cpu]!.pkrs & ~pkrKeyMask(key));
  }

  /** pks_set_noaccess(): the last matching call restores the default rights. */
  private setNoaccess(m: Machine, cpu: number, key: number): void {
    if (!m.protectedKey(key)) return;
    const t = m.cpus[cpu]!.curr;
    if (t.nest[key]! === 0) {
      m.report(cpu, 'unbalanced_revoke', `key ${key} cleared more often than set in task ${t.name}`);
      return;
    }
    if (--t.nest[key]! === 0) {
      const c = m.cpus[cpu]!;
      m.writePkrs(cpu, (c.pkrs & ~pkrKeyMask(key)) | (m.keyDefaultBits[key]! << (key * 2)));
    }
  }

  override mapLocal(m: Machine, cpu: number, page: number): void {
    this.setReadwrite(m, cpu, m.pageKey[page]!);
  }
  override unmapLocal(m: Machine, cpu: number, page: number): void {
    this.setNoaccess(m, cpu, m.pageKey[page]!);
  }
  // The set/clear API has no READ vs WRITE: any grant opens the key read/write.
  override grant(m: Machine, cpu: number, key: number): void {
    this.setReadwrite(m, cpu, key);
  }
  override revoke(m: Machine, cpu: number, key: number): void {
    this.setNoaccess(m, cpu, key);
  }
  override fault(m: Machine, cpu: number, frame: Ctx, page: number, key: number): Verdict {
    if (this.mode === 'strict') return VERDICT_OOPS;
    const printed = this.mode === 'relaxed' ? m.warn(cpu, pkMessage(m, key, page)) : false;
    m.pardon(cpu, frame, page, key, printed);
    return VERDICT_PARDON;
  }
  override pardonsSilently(m: Machine): boolean {
    return this.mode === 'silent' || (this.mode === 'relaxed' && !m.strayWouldWarn());
  }
}
