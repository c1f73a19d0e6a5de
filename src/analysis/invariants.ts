// The invariants of the stateful search, each named and selectable with --check: on every
// transition (a step that breaks a legit access, misses a stray, panics, leaks, fails an
// assert, or returns from an interrupt to another PKRS than it interrupted), in every state
// (counts agree with their holders, interrupts hold only what they took, kmap_local survives
// preemption, no stale global unprotect, the scenario's `invariant` lines) and on every end
// state (deadlock, the scenario's `expect` lines). No allocation per state.

import type { ScenarioIR } from '../scenario/ir.js';
import type { Run } from '../sim/runner.js';
import type { Ctx } from '../kernel/context.js';
import { MAP_KMAP, MAP_LINEAR } from '../kernel/mappings.js';
import { evalExpr, pkmapCount } from '../sim/expr.js';
import { policyMatches } from '../sim/expect.js';
import { designPromises, parsePolicy, policyLabel } from '../policy/index.js';
import { PKR_AD_BIT, pkrKeyMask } from '../arch/x86/pkrs.js';
import { execOf } from '../sim/exec.js';
import { ACT_FIRE, actArg, actType } from '../sim/sched.js';

export type InvariantKind = 'transition' | 'state' | 'end';

export interface BuiltinInvariant {
  name: string;
  kind: InvariantKind;
  description: string;
  /** Checked by default only under the designs that promise it (DesignEntry.promises). */
  promise?: boolean;
}

/** @public The built-in invariants, in the order they are reported. */
export const BUILTIN_INVARIANTS: readonly BuiltinInvariant[] = [
  { name: 'no-broken-legit', kind: 'transition', description: 'no legitimate access oopses' },
  { name: 'no-missed-stray', kind: 'transition', description: 'no stray access goes through unnoticed' },
  { name: 'no-panic', kind: 'transition', description: 'no oops in interrupt context' },
  { name: 'no-leak', kind: 'transition', description: 'no kmap_local or grant held when its context is left' },
  { name: 'pkrs-restored', kind: 'transition', description: "an interrupt's exit restores the PKRS of the context it interrupted" },
  {
    name: 'pkrs-own-cpu',
    kind: 'transition',
    description:
      "a step writes neither another CPU's PKRS nor the abandoned-key mask every PKRS write applies (what partial-order reduction relies on; under the designs that promise it)",
    promise: true,
  },
  { name: 'counts-agree', kind: 'state', description: "the design's unprotect counts and each context's kmap/kmap_local counts agree with the live mappings" },
  { name: 'irq-own-rights', kind: 'state', description: 'no interrupt holds a right it did not take (under the designs that promise it)', promise: true },
  { name: 'local-survives-preemption', kind: 'state', description: "a running task's kmap_local entries are mapped and open, after any preemption" },
  { name: 'no-stale-unprotect', kind: 'state', description: 'no page stays globally unprotected (no key globally open) after its last kmap() is gone' },
  { name: 'no-deadlock', kind: 'end', description: 'no end state with contexts blocked forever (unless an expect line says finished == 0)' },
  { name: 'expectations', kind: 'end', description: "the scenario's expect lines for this design hold at every end state (on the first path to it)" },
];
/** Group names: every `assert` statement, every `invariant` line of the scenario. */
export const ASSERT_GROUP = 'assert';
export const INVARIANT_GROUP = 'invariant';

export class InvariantError extends Error {}

const T_BROKEN = 0,
  T_MISSED = 1,
  T_PANIC = 2,
  T_LEAK = 3,
  T_RESTORED = 4,
  T_OWN_CPU = 5,
  S_COUNTS = 6,
  S_IRQ = 7,
  S_LOCAL = 8,
  S_STALE = 9,
  E_DEADLOCK = 10,
  E_EXPECT = 11;

/** Is a deadlock what the scenario expects under this design (`expect [P] finished == 0`)? */
function deadlockExpected(ir: ScenarioIR, policy: string): boolean {
  const spec = parsePolicy(policy);
  const label = policyLabel(spec);
  return ir.expects.some((e) => policyMatches(e.policy, spec, label) && e.metric === 'finished' && ((e.op === '==' && e.value === 0) || (e.op === '<' && e.value === 1)));
}

/** Which invariants a search checks: `check` names (or groups), default all that apply. */
export function planChecks(ir: ScenarioIR, policy: string, check?: string[]): { want: boolean[]; asserts: boolean; invariants: boolean; names: string[] } {
  const all = BUILTIN_INVARIANTS.map((i) => i.name);
  if (check) {
    for (const n of check)
      if (!all.includes(n) && n !== ASSERT_GROUP && n !== INVARIANT_GROUP)
        throw new InvariantError(`unknown invariant '${n}' (expected ${[...all, ASSERT_GROUP, INVARIANT_GROUP].join(', ')})`);
  }
  const promised = designPromises(parsePolicy(policy));
  const want = BUILTIN_INVARIANTS.map((i) => (check ? check.includes(i.name) : !i.promise || promised.includes(i.name)));
  if (!check && deadlockExpected(ir, policy)) want[E_DEADLOCK] = false;
  const asserts = !check || check.includes(ASSERT_GROUP);
  const invariants = !check || check.includes(INVARIANT_GROUP);
  const names = BUILTIN_INVARIANTS.filter((_, i) => want[i]).map((i) => i.name);
  const has = scenarioChecks(ir, check);
  if (asserts && has.asserts) names.push(ASSERT_GROUP);
  if (invariants && has.invariants) names.push(INVARIANT_GROUP);
  return { want, asserts, invariants, names };
}

/**
 * Whether the scenario has assert statements and invariant lines; a `--check` that names a
 * group it has none of would check nothing and say that it holds: refused.
 */
export function scenarioChecks(ir: ScenarioIR, check?: readonly string[]): { asserts: boolean; invariants: boolean } {
  const hasAssert = (p: readonly { op: string }[]) => p.some((x) => x.op === 'assert');
  const has = { asserts: ir.contexts.some((c) => hasAssert(c.program)) || ir.works.some((w) => hasAssert(w.program)), invariants: ir.invariants.length > 0 };
  if (check?.includes(ASSERT_GROUP) && !has.asserts) throw new InvariantError(`--check ${ASSERT_GROUP}: the scenario has no assert statement`);
  if (check?.includes(INVARIANT_GROUP) && !has.invariants) throw new InvariantError(`--check ${INVARIANT_GROUP}: the scenario has no invariant line`);
  return has;
}

/** Counts the run's violations: `violate(name)` for each invariant broken. */
export class Checker {
  private readonly want: boolean[];
  private readonly asserts: boolean;
  private readonly invariants: boolean;
  private readonly before = new Float64Array(5);
  private readonly preFrames: Int32Array;
  private readonly preTop: (Ctx | null)[];
  /** Each CPU's PKRS before the transition, and the CPU the transition runs on (-1: unknown). */
  private readonly prePkrs: Float64Array;
  private preAbandoned = 0;
  private acting = -1;
  readonly names: string[];

  constructor(
    private readonly run: Run,
    private readonly ir: ScenarioIR,
    policy: string,
    check: string[] | undefined,
    private readonly violate: (name: string) => void,
  ) {
    const p = planChecks(ir, policy, check);
    this.want = p.want;
    this.asserts = p.asserts;
    this.invariants = p.invariants;
    this.names = p.names;
    this.preFrames = new Int32Array(run.m.cpus.length);
    this.preTop = run.m.cpus.map(() => null);
    this.prePkrs = new Float64Array(run.m.cpus.length);
  }

  /** Before a transition (the state restored), with the action chosen (Run.actionAt; -1: not known). */
  pre(act = -1): void {
    const { run, before } = this;
    this.acting = act < 0 ? -1 : actType(act) === ACT_FIRE ? this.ir.contexts[actArg(act)]!.cpu : actArg(act);
    const s = run.metricsNow();
    before[0] = s.legitBroken;
    before[1] = s.straysMissed;
    before[2] = run.m.stats.panics;
    before[3] = run.m.stats.leaks;
    before[4] = run.asserts.fails;
    const cpus = run.m.cpus;
    this.preAbandoned = run.m.abandoned;
    for (let c = 0; c < cpus.length; c++) {
      const f = cpus[c]!.frames;
      this.preFrames[c] = f.length;
      const top = f[f.length - 1]!;
      this.preTop[c] = f.length > 1 && isIrq(top) ? top : null;
      this.prePkrs[c] = cpus[c]!.pkrs;
    }
  }

  /** After a transition: the invariants of the step itself. */
  post(): void {
    const { run, before, want } = this;
    const s = run.metricsNow();
    if (want[T_BROKEN] && s.legitBroken > before[0]!) this.violate('no-broken-legit');
    if (want[T_MISSED] && s.straysMissed > before[1]!) this.violate('no-missed-stray');
    if (want[T_PANIC] && run.m.stats.panics > before[2]!) this.violate('no-panic');
    if (want[T_LEAK] && run.m.stats.leaks > before[3]!) this.violate('no-leak');
    if (this.asserts && run.asserts.fails > before[4]!) {
      const at = run.asserts.last!.loc;
      this.violate(`assert@${baseName(at.file)}:${at.line}`);
    }
    if (want[T_RESTORED]) {
      const m = run.m;
      for (let c = 0; c < m.cpus.length; c++) {
        const ctx = this.preTop[c] ?? null;
        if (ctx === null || m.cpus[c]!.frames.length !== this.preFrames[c]! - 1) continue;
        if (m.cpus[c]!.pkrs !== (ctx.entryPkrs & ~m.abandoned) >>> 0) this.violate('pkrs-restored');
      }
    }
    if (want[T_OWN_CPU] && this.acting >= 0) {
      const cpus = run.m.cpus;
      if (run.m.abandoned !== this.preAbandoned) this.violate('pkrs-own-cpu');
      else
        for (let c = 0; c < cpus.length; c++) {
          if (c !== this.acting && cpus[c]!.pkrs !== this.prePkrs[c]) {
            this.violate('pkrs-own-cpu');
            break;
          }
        }
    }
  }

  /** In a state (every state stored, the initial one included). */
  state(): void {
    const { run, want, ir } = this;
    const m = run.m;
    // A kernel operation in several steps (PksHooks.kmapSteps) is between its steps: the counts
    // it updates are checked once no context is inside one.
    const quiet = (!m.hooks.kmapSteps && !m.hooks.kunmapSteps) || this.quiescent();
    if (want[S_COUNTS] && quiet && !this.countsAgree()) this.violate('counts-agree');
    if (want[S_IRQ] && m.hooks.pks && !this.irqOwnRights()) this.violate('irq-own-rights');
    if (want[S_LOCAL] && !this.localSurvives()) this.violate('local-survives-preemption');
    if (want[S_STALE] && quiet && !this.noStaleUnprotect()) this.violate('no-stale-unprotect');
    if (this.invariants) {
      const invs = ir.invariants;
      for (let i = 0; i < invs.length; i++) if (evalExpr(invs[i]!.expr, m, ir, -1) === 0) this.violate(invs[i]!.name);
    }
  }

  /** At an end state, after the run was stepped to its stop. */
  end(): void {
    const { run, want } = this;
    if (want[E_DEADLOCK] && run.stop === 'deadlock') this.violate('no-deadlock');
    if (want[E_EXPECT] && run.stop !== 'limit:steps' && run.expectationsNow().some((x) => !x.ok)) this.violate('expectations');
  }

  /** No context is between the steps of a kernel operation. */
  private quiescent(): boolean {
    const m = this.run.m;
    for (const t of m.tasks) if (t.ctx.exec !== null && execOf(t.ctx).sub !== 0) return false;
    for (const c of m.cpus) for (let i = 1; i < c.frames.length; i++) if (execOf(c.frames[i]!).sub !== 0) return false;
    return true;
  }

  private countsAgree(): boolean {
    const m = this.run.m;
    const h = m.hooks;
    if (h.unprotectCount) for (let p = 0; p < m.pageKey.length; p++) if (m.protectedKey(m.pageKey[p]!) && h.unprotectCount(p) !== pkmapCount(m, p)) return false;
    for (const t of m.tasks) if (!this.holdingsAgree(t.ctx)) return false;
    for (const c of m.cpus) for (let i = 1; i < c.frames.length; i++) if (!this.holdingsAgree(c.frames[i]!)) return false;
    return true;
  }

  /** The context's kmap()/kmap_local counts per key are its live mapping records. */
  private holdingsAgree(ctx: Ctx): boolean {
    const m = this.run.m;
    const maps = m.maps;
    const km = this.tallyK,
      lm = this.tallyL,
      keys = m.keysInUse;
    // Only the keys in use can be counted (no page has another key): only they are cleared.
    for (let j = 0; j < keys.length; j++) km[keys[j]!] = lm[keys[j]!] = 0;
    for (let s = 0; s < maps.slots; s++) {
      if (maps.ctxAt(s) !== ctx) continue;
      const kind = maps.kindAt(s);
      const k = m.pageKey[maps.pageAt(s)]!;
      if (kind === MAP_KMAP) km[k]!++;
      else if (kind !== MAP_LINEAR) lm[k]!++;
    }
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      if (km[k] !== ctx.kmapped[k] || lm[k] !== ctx.localMapped[k]) return false;
    }
    return true;
  }
  private readonly tallyK = new Int32Array(16);
  private readonly tallyL = new Int32Array(16);

  private irqOwnRights(): boolean {
    const m = this.run.m;
    const keys = m.keysInUse;
    for (const c of m.cpus) {
      const top = c.frames[c.frames.length - 1]!;
      if (c.frames.length === 1 || !isIrq(top)) continue;
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if (!m.protectedKey(k) || (m.abandoned & pkrKeyMask(k)) !== 0) continue;
        const held = m.rightsFor(top, k);
        const has = (c.pkrs >>> (k * 2)) & 3;
        if ((held & ~has & 3) !== 0) return false;
      }
    }
    return true;
  }

  private localSurvives(): boolean {
    const m = this.run.m;
    for (let cpu = 0; cpu < m.cpus.length; cpu++) {
      const c = m.cpus[cpu]!;
      const t = c.curr;
      if (t === c.idle) continue;
      for (let i = 0; i < t.local.depth; i++) {
        const page = t.local.page[i]!;
        if (m.pageHighmem[page] && m.fixmap.get(cpu, i) !== page) return false;
      }
      if (!m.hooks.pks || c.frames.length !== 1) continue;
      const keys = m.keysInUse;
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if (t.ctx.localMapped[k]! > 0 && m.protectedKey(k) && ((c.pkrs >>> (k * 2)) & PKR_AD_BIT) !== 0) return false;
      }
    }
    return true;
  }

  private noStaleUnprotect(): boolean {
    const m = this.run.m;
    const h = m.hooks;
    if (h.unprotectCount) for (let p = 0; p < m.pageKey.length; p++) if (h.unprotectCount(p) > 0 && pkmapCount(m, p) === 0) return false;
    if (m.globalOpen !== 0) {
      const keys = m.keysInUse;
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if ((m.globalOpen & pkrKeyMask(k)) === 0) continue;
        let live = false;
        for (let p = 0; p < m.pageKey.length && !live; p++) if (m.pageKey[p] === k && pkmapCount(m, p) > 0) live = true;
        if (!live) return false;
      }
    }
    return true;
  }
}

function isIrq(ctx: Ctx): boolean {
  return ctx.kind === 'softirq' || ctx.kind === 'hardirq' || ctx.kind === 'nmi';
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}
