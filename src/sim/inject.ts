// Injected stray accesses: a run option that makes a context perform one access that no
// statement of the scenario makes, at a chosen tick, on a chosen CPU: a forged pointer to a
// page, a use after kunmap()/kunmap_local() (a pointer derived from a mapping that is dead), or a
// kmap_local pointer used from a context that did not make it. The oracle judges it (a stray by
// construction), the design decides its fate (caught, warned, missed). `pksim fuzz` draws
// them at random; the spec printed for each is concrete and replays the same access.
//
// Spec: comma-separated FIELD=VALUE, each field at most once, in any order:
//   tick=N           fire at the first step at or after tick N where the access can be made
//   kind=K           forged | uaf | foreign-local
//   op=O             read | write
//   cpu=N|any        the CPU whose running context makes it (default any: a CPU running a context)
//   page=NAME|any    the page (default any: a protected page the kind can reach)
//   off=N            offset in the page, 0..4095 (default 0)
// e.g. `tick=37,cpu=1,kind=uaf,page=buf,op=write`.

import type { Machine } from '../kernel/machine.js';
import { ACCESS_NOT_PRESENT, ACCESS_OOPS, ACCESS_PARDONED, MAP_ATOMIC, MAP_LOCAL } from '../kernel/machine.js';
import type { ScenarioIR, SrcLoc } from '../scenario/ir.js';
import type { StateVec } from '../kernel/state.js';

export const INJECT_KINDS = ['forged', 'uaf', 'foreign-local'] as const;
export type InjectKind = (typeof INJECT_KINDS)[number];
export const INJECT_FORGED = 0;
export const INJECT_UAF = 1;
export const INJECT_FOREIGN_LOCAL = 2;

/** A parsed injection: -1 for `any`. */
export interface InjectSpec {
  tick: number;
  kind: number;
  write: boolean;
  cpu: number;
  page: number;
  off: number;
  /** Which candidate `any` picks (index modulo the number of candidates); 0 from the command line. */
  pick: number;
}

/** A spec field that cannot be read: the field, and why. Stable code PKS102 (docs/errors.md). */
export class InjectSpecError extends Error {
  readonly code = 'PKS102';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InjectSpecError';
  }
}

const FIELDS = ['tick', 'kind', 'op', 'cpu', 'page', 'off'] as const;

function intField(field: string, v: string, max: number): number {
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new InjectSpecError(field, `field '${field}': '${v}' is not an integer in 0..${max}`);
  return n;
}

/** Read a spec against the scenario (page names, CPUs). Throws InjectSpecError naming the field. */
export function parseInjectSpec(text: string, ir: ScenarioIR): InjectSpec {
  const seen = new Map<string, string>();
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InjectSpecError(p, `'${p}' is not FIELD=VALUE (fields: ${FIELDS.join(', ')})`);
    const f = p.slice(0, eq).trim();
    const v = p.slice(eq + 1).trim();
    if (!(FIELDS as readonly string[]).includes(f)) throw new InjectSpecError(f, `unknown field '${f}' (fields: ${FIELDS.join(', ')})`);
    if (seen.has(f)) throw new InjectSpecError(f, `field '${f}' given twice`);
    seen.set(f, v);
  }
  for (const f of ['tick', 'kind', 'op'] as const) if (!seen.has(f)) throw new InjectSpecError(f, `field '${f}' is missing (e.g. tick=37,kind=uaf,op=write)`);
  const tick = intField('tick', seen.get('tick')!, 1e9);
  const kind = (INJECT_KINDS as readonly string[]).indexOf(seen.get('kind')!);
  if (kind < 0) throw new InjectSpecError('kind', `field 'kind': '${seen.get('kind')}' is not one of ${INJECT_KINDS.join(', ')}`);
  const op = seen.get('op')!;
  if (op !== 'read' && op !== 'write') throw new InjectSpecError('op', `field 'op': '${op}' is not read or write`);
  const cpuText = seen.get('cpu') ?? 'any';
  const cpu = cpuText === 'any' ? -1 : intField('cpu', cpuText, 1e9);
  if (cpu >= ir.machine.cpus) throw new InjectSpecError('cpu', `field 'cpu': cpu ${cpu} does not exist (the scenario has ${ir.machine.cpus})`);
  const pageText = seen.get('page') ?? 'any';
  const page = pageText === 'any' ? -1 : ir.pages.findIndex((p) => p.name === pageText);
  if (page < 0 && pageText !== 'any') {
    const names = ir.pages.map((p) => p.name).join(', ');
    throw new InjectSpecError('page', `field 'page': no page '${pageText}' (pages: ${names || 'none'})`);
  }
  const off = seen.has('off') ? intField('off', seen.get('off')!, 4095) : 0;
  return { tick, kind, write: op === 'write', cpu, page, off, pick: 0 };
}

/** The printed form of a concrete (resolved) injection: what --inject reads back. */
export function formatInjectSpec(s: InjectSpec, ir: ScenarioIR): string {
  const cpu = s.cpu < 0 ? 'any' : String(s.cpu);
  const page = s.page < 0 ? 'any' : ir.pages[s.page]!.name;
  const off = s.off !== 0 ? `,off=0x${s.off.toString(16)}` : '';
  return `tick=${s.tick},cpu=${cpu},kind=${INJECT_KINDS[s.kind]},page=${page},op=${s.write ? 'write' : 'read'}${off}`;
}

/** What became of the injection in a run. */
export interface InjectionResult {
  /** The spec as given. */
  requested: string;
  /** Whether it fired (no CPU ran a context, or the kind found nothing to use, until the end: not fired). */
  fired: boolean;
  /** The concrete spec that fired: passing it to --inject (same seed or schedule) replays it. */
  spec: string | null;
  /** The kind of the context that made it ('user', 'kthread', 'worker', 'softirq', 'hardirq', 'nmi'). */
  context: string | null;
  contextKind: string | null;
  /** caught (oops), warned (pardoned with a printed warning), missed (went through unnoticed). */
  fate: 'caught' | 'warned' | 'missed' | null;
}

/** What makes the access (the interpreter: Interp.injectAccess), as the injector sees it. */
export interface InjectTarget {
  injectAccess(cpu: number, addr: number, mapping: number, write: boolean, loc: SrcLoc): number;
}

/** Where the injected access says it is (its warning site). */
export const INJECT_LOC: SrcLoc = { file: '<inject>', line: 0, col: 0 };

/**
 * The runner side: finds, at each step from the spec's tick on, whether the access can be
 * made now, and with what address and mapping. Allocates nothing while it waits.
 */
export class Injector {
  fired = false;
  /** Resolved at firing. */
  cpu = -1;
  page = -1;
  tick = -1;
  addr = 0;
  mapping = -1;
  /** ACCESS_* outcome once fired. */
  outcome = -1;
  ctxName: string | null = null;
  ctxKind: string | null = null;
  /** Whether the injecting context held a mapping or a grant of the page's key (its own code opens the key). */
  holdsKey = false;
  private readonly protectedPages: Int32Array;

  constructor(
    readonly spec: InjectSpec,
    private readonly ir: ScenarioIR,
    m: Machine,
  ) {
    this.protectedPages = Int32Array.from(ir.pages.flatMap((p, i) => (m.protectedKey(p.key) ? [i] : [])));
  }

  /**
   * Make the access before the step's action, if it can be made now (else false: try again at
   * the next step). The rest of the step keeps the scenario's location.
   */
  fire(m: Machine, interp: InjectTarget): boolean {
    if (!this.resolve(m)) return false;
    this.fired = true;
    const loc = m.loc;
    if (m.sink) {
      m.loc = INJECT_LOC;
      const what = `${INJECT_KINDS[this.spec.kind]} ${this.spec.write ? 'write' : 'read'} of ${this.ir.pages[this.page]!.name}`;
      m.emit({ ...m.base(this.cpu), type: 'stmt', text: `[injected stray: ${what}]` });
    }
    this.outcome = interp.injectAccess(this.cpu, this.addr, this.mapping, this.spec.write, INJECT_LOC);
    m.loc = loc;
    return true;
  }

  /** Resolve the access for this step; false when it cannot be made now. */
  resolve(m: Machine): boolean {
    const s = this.spec;
    let cpu = s.cpu;
    if (cpu >= 0) {
      if (!running(m, cpu)) return false;
    } else {
      let n = 0;
      for (let c = 0; c < m.cpus.length; c++) if (running(m, c)) n++;
      if (n === 0) return false;
      let k = s.pick % n;
      for (let c = 0; c < m.cpus.length; c++)
        if (running(m, c) && k-- === 0) {
          cpu = c;
          break;
        }
    }
    const ctx = m.top(cpu);
    const maps = m.maps;
    let page = -1;
    let mapping = -1;
    if (s.kind === INJECT_FORGED) {
      if (s.page >= 0) page = s.page;
      else {
        const pp = this.protectedPages;
        if (pp.length === 0) return false;
        page = pp[s.pick % pp.length]!;
      }
    } else {
      // uaf: a record of the page that is dead (its slot not yet reused); foreign-local: a live
      // kmap_local/kmap_atomic record another context made. The k-th candidate, k = pick mod n.
      const uaf = s.kind === INJECT_UAF;
      let n = 0;
      for (let pass = 0; pass < 2; pass++) {
        let k = pass === 1 ? s.pick % n : 0;
        for (let sl = 0; sl < maps.slots; sl++) {
          const owner = maps.ctxAt(sl);
          const pg = maps.pageAt(sl);
          if (s.page >= 0 ? pg !== s.page : !m.protectedKey(m.pageKey[pg]!)) continue;
          if (uaf ? owner !== null : owner === null || owner === ctx || (maps.kindAt(sl) !== MAP_LOCAL && maps.kindAt(sl) !== MAP_ATOMIC)) continue;
          if (pass === 0) n++;
          else if (k-- === 0) {
            page = pg;
            // A dead slot's id (its last generation) is a stale pointer: the oracle calls it dead.
            mapping = maps.idAt(sl);
            break;
          }
        }
        if (n === 0) return false;
      }
    }
    this.cpu = cpu;
    this.page = page;
    this.mapping = mapping;
    this.addr = m.strayAddr(page);
    if (this.addr !== 0) this.addr += this.spec.off;
    this.tick = m.tick;
    const key = m.pageKey[page]!;
    this.holdsKey = ctx.kmapped[key]! > 0 || ctx.localMapped[key]! > 0 || ctx.holdsGrant(key);
    this.ctxName = ctx.name;
    this.ctxKind = ctx.task && ctx === ctx.task.ctx ? ctx.task.kind : ctx.kind;
    return true;
  }

  save(v: StateVec): void {
    v.push(this.fired ? 1 : 0);
    v.push(this.cpu);
    v.push(this.page);
    v.push(this.tick);
    v.push(this.addr);
    v.push(this.mapping);
    v.push(this.outcome);
  }

  /** Read back what save() wrote (the context's name and kind are kept from the firing: a restore goes back to a state of the same run). */
  load(v: StateVec): void {
    this.fired = v.next() === 1;
    this.cpu = v.next();
    this.page = v.next();
    this.tick = v.next();
    this.addr = v.next();
    this.mapping = v.next();
    this.outcome = v.next();
  }

  result(): InjectionResult {
    const requested = formatInjectSpec(this.spec, this.ir);
    if (!this.fired) return { requested, fired: false, spec: null, context: null, contextKind: null, fate: null };
    const spec = formatInjectSpec({ ...this.spec, tick: this.tick, cpu: this.cpu, page: this.page }, this.ir);
    return { requested, fired: true, spec, context: this.ctxName, contextKind: this.ctxKind, fate: fateOf(this.outcome) };
  }
}

/** Does the CPU run a context (not its idle task)? */
function running(m: Machine, cpu: number): boolean {
  const c = m.cpus[cpu]!;
  return c.frames.length > 1 || c.curr !== c.idle;
}

export const FATE_CAUGHT = 0;
export const FATE_WARNED = 1;
export const FATE_MISSED = 2;
const FATES = ['caught', 'warned', 'missed'] as const;

/** A stray's fate from the access outcome, as Metrics.record() counts it. */
export function fateCode(outcome: number): number {
  return outcome === ACCESS_OOPS || outcome === ACCESS_NOT_PRESENT ? FATE_CAUGHT : outcome === ACCESS_PARDONED ? FATE_WARNED : FATE_MISSED;
}

function fateOf(outcome: number): 'caught' | 'warned' | 'missed' {
  return FATES[fateCode(outcome)]!;
}
