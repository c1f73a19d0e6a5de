// `exception`: the last PKS/PMEM revision. kmap() is unsupported (it opens nothing, so even
// the caller's own access faults); kmap_local and the set/clear calls keep a nesting count in
// the *task*, even when called from an interrupt on top of it; a fault in RELAXED warns and
// opens the key in the faulting frame without looking at the page.

import { VERDICT_OOPS, VERDICT_PARDON, type Verdict, type Frame, type PolicyContext, type Task, type StateVec } from '../kernel/policy_api.js';
import { pkrKeyMask, PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { NoPks, pkMessage, type PksMode } from './base.js';

export class ExceptionPks extends NoPks {
  override readonly pks = true;
  /** The per-task nesting count of pks_set_readwrite()/pks_set_noaccess(), per key. */
  private readonly nests = new Map<Task, Int32Array>();
  constructor(readonly mode: Exclude<PksMode, 'off'>) {
    super(mode === 'relaxed' ? 'exception' : `exception:${mode}`);
  }

  private nest(t: Task): Int32Array {
    let n = this.nests.get(t);
    if (!n) this.nests.set(t, (n = new Int32Array(PKS_NUM_KEYS)));
    return n;
  }

  /** pks_set_readwrite(): only the outermost call of the task writes PKRS. */
  private setReadwrite(m: PolicyContext, cpu: number, key: number): void {
    if (!m.protectedKey(key)) return;
    const n = this.nest(m.currentTask(cpu));
    if (n[key]!++ === 0) m.writePkrs(cpu, m.pkrs(cpu) & ~pkrKeyMask(key));
  }

  /** pks_set_noaccess(): the last matching call restores the default rights. */
  private setNoaccess(m: PolicyContext, cpu: number, key: number): void {
    if (!m.protectedKey(key)) return;
    const t = m.currentTask(cpu);
    const n = this.nest(t);
    if (n[key]! === 0) {
      m.report(cpu, 'unbalanced_revoke', `key ${key} cleared more often than set in task ${t.name}`);
      return;
    }
    if (--n[key]! === 0) m.writePkrs(cpu, (m.pkrs(cpu) & ~pkrKeyMask(key)) | (m.keyDefault(key) << (key * 2)));
  }

  override mapLocal(m: PolicyContext, cpu: number, page: number): void {
    this.setReadwrite(m, cpu, m.pageKey[page]!);
  }
  override unmapLocal(m: PolicyContext, cpu: number, page: number): void {
    this.setNoaccess(m, cpu, m.pageKey[page]!);
  }
  // The set/clear API has no READ vs WRITE: any grant opens the key read/write.
  override grant(m: PolicyContext, cpu: number, key: number): void {
    this.setReadwrite(m, cpu, key);
  }
  override revoke(m: PolicyContext, cpu: number, key: number): void {
    this.setNoaccess(m, cpu, key);
  }
  override fault(m: PolicyContext, cpu: number, frame: Frame, page: number, key: number): Verdict {
    if (this.mode === 'strict') return VERDICT_OOPS;
    const printed = this.mode === 'relaxed' ? m.warn(cpu, pkMessage(m, key, page)) : false;
    m.pardon(cpu, frame, page, key, printed);
    return VERDICT_PARDON;
  }
  override pardonsSilently(m: PolicyContext): boolean {
    return this.mode === 'silent' || (this.mode === 'relaxed' && !m.strayWouldWarn());
  }
  save(m: PolicyContext, v: StateVec): void {
    for (let i = 0; i < m.tasks.length; i++) {
      const n = this.nests.get(m.tasks[i]!);
      if (n) {
        v.push(1);
        v.pushAll(n);
      } else v.push(0);
    }
  }
  load(m: PolicyContext, v: StateVec): void {
    this.nests.clear();
    for (let i = 0; i < m.tasks.length; i++) if (v.next() === 1) v.nextInto(this.nest(m.tasks[i]!), PKS_NUM_KEYS);
  }
  /** A set without its clear, still counted when the task leaves: a leak; the count starts over. */
  taskBoundary(m: PolicyContext, cpu: number, t: Task, where: string): void {
    const n = this.nests.get(t);
    if (!n) return;
    for (let k = 0; k < PKS_NUM_KEYS; k++) {
      if (n[k]! > 0) m.leak(cpu, 'pks_nest', `key ${k} set read/write ${n[k]} time(s) without a matching clear at ${where}`);
    }
    n.fill(0);
  }
}
