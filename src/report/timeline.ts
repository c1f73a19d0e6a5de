// Derives what both the HTML timeline and the Perfetto export draw from a run's event stream:
// a time for every event, the stack of context frames per CPU as nested spans, the PKRS value
// per CPU over time, and the events worth a marker.
//
// Time: events carry an integer global tick, and several events can share a tick (entry of the
// #PF handler, the fault, the pardon and the exit all happen in one statement). Each event gets
// `tick + k/n` (k-th of the n events of its tick, rounded to 1/1000), so order within a tick is
// kept and even a frame entered and left in one tick has a width.

import type { FrameKind, PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { rightsOf } from '../arch/x86/pkrs.js';
import { parsePolicy, policyLabel } from '../policy/index.js';

export type AccessClass = 'local' | 'handoff' | 'stray';
/** Optional field the oracle adds to access events. */
export function accessClass(e: PksimEvent): AccessClass | undefined {
  const c = (e as { class?: unknown }).class;
  return c === 'local' || c === 'handoff' || c === 'stray' ? c : undefined;
}

/** Optional scenario source text a RunResult may carry. */
export function resultSource(r: RunResult): string | undefined {
  const s = (r as { source?: unknown }).source;
  return typeof s === 'string' ? s : undefined;
}

/** The design as the CLI names it (policyLabel): `abandon`, not `abandon:relaxed`. */
export function runLabel(r: RunResult): string {
  try {
    return policyLabel(parsePolicy(r.policy, r.policy.includes(':') ? undefined : (r.mode ?? undefined)));
  } catch {
    return r.policy; // a hand-made result with a name the CLI does not know: shown as given
  }
}

export interface Span {
  cpu: number;
  start: number;
  end: number;
  depth: number;
  kind: FrameKind;
  name: string;
  ctx: number;
  /** The context the frame works for: itself, or for the #PF handler the context that faulted. */
  owner: string;
}

export interface PkrsSeg {
  start: number;
  end: number;
  pkrs: number;
}

export type KeyState = 'closed' | 'readonly' | 'rw';
export const KEY_STATES: readonly KeyState[] = ['closed', 'readonly', 'rw'];

export interface Band {
  cpu: number;
  key: number;
  start: number;
  end: number;
  state: KeyState;
}

export type MarkerType = 'map' | 'unmap' | 'fault' | 'warning' | 'pardon' | 'oops' | 'panic' | 'stray' | 'grant' | 'revoke' | 'ipi' | 'sleep' | 'report';
export const MARKER_TYPES: readonly MarkerType[] = ['map', 'unmap', 'fault', 'warning', 'pardon', 'oops', 'panic', 'stray', 'grant', 'revoke', 'ipi', 'sleep', 'report'];

/** Marker type of an event, or null when the event gets no marker. */
export function markerType(e: PksimEvent): MarkerType | null {
  switch (e.type) {
    case 'map':
    case 'unmap':
    case 'fault':
    case 'warning':
    case 'pardon':
    case 'oops':
    case 'panic':
    case 'grant':
    case 'revoke':
    case 'ipi':
      return e.type;
    case 'access':
      return accessClass(e) === 'stray' ? 'stray' : null;
    case 'sleep':
    case 'wakeup':
      return 'sleep';
    case 'lifo_violation':
    case 'leak':
    case 'report':
      return 'report';
    default:
      return null;
  }
}

/** How a stray access ended: stopped by an oops, pardoned with a printed warning, or missed. */
export function strayOutcome(e: PksimEvent): 'caught' | 'warned' | 'missed' | null {
  if (e.type !== 'access' || accessClass(e) !== 'stray') return null;
  if (e.outcome === 'oops' || e.outcome === 'not_present') return 'caught';
  if (e.outcome === 'pardoned') return 'warned';
  return 'missed';
}

export interface Timeline {
  /** Events in time order (stable by tick). */
  events: PksimEvent[];
  /** Time of events[i]. */
  times: number[];
  /** PKRS of events[i]'s CPU once events[0..i] happened. */
  pkrsAt: number[];
  /** Context events[i] is charged to: its own, or for the #PF handler the context that faulted. */
  owner: string[];
  /** End of the run on the time axis. */
  end: number;
  cpus: number;
  spans: Span[];
  /** Per CPU, PKRS segments covering [0, end). */
  pkrs: PkrsSeg[][];
}

const TASK_KINDS = new Set<string>(['user', 'kthread', 'worker']);
const IDLE_NAME = /^(|idle|swapper(\/\d+)?)$/;

export function buildTimeline(r: RunResult): Timeline {
  const events = r.events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.tick - b.e.tick || a.i - b.i)
    .map((x) => x.e);
  const perTick = new Map<number, number>();
  for (const e of events) perTick.set(e.tick, (perTick.get(e.tick) ?? 0) + 1);
  const seen = new Map<number, number>();
  const times: number[] = [];
  for (const e of events) {
    const k = seen.get(e.tick) ?? 0;
    seen.set(e.tick, k + 1);
    const n = perTick.get(e.tick) ?? 1;
    times.push(e.tick + Math.round((k / n) * 1000) / 1000);
  }
  const lastTick = events.length ? events[events.length - 1]!.tick : 0;
  const end = Math.max(lastTick + 1, r.summary?.ticks ?? 0, 1);
  let cpus = Math.max(1, r.config.cpus);
  for (const e of events) if (e.cpu + 1 > cpus) cpus = e.cpu + 1;

  const kindOf = new Map<string, FrameKind>();
  for (const c of r.config.contexts) kindOf.set(c.name, c.kind);

  type Frame = { kind: FrameKind; name: string; ctx: number; start: number; depth: number; owner: string };
  const stacks: Frame[][] = Array.from({ length: cpus }, () => []);
  const spans: Span[] = [];
  const close = (cpu: number, f: Frame, t: number): void => {
    spans.push({ cpu, start: f.start, end: t, depth: f.depth, kind: f.kind, name: f.name, ctx: f.ctx, owner: f.owner });
  };
  const cur = new Array<number>(cpus).fill(r.config.defaultPkrs >>> 0);
  const pkrs: PkrsSeg[][] = Array.from({ length: cpus }, () => [{ start: 0, end, pkrs: r.config.defaultPkrs >>> 0 }]);
  const pkrsAt: number[] = [];
  const owner: string[] = [];

  events.forEach((e, i) => {
    const t = times[i]!;
    const st = stacks[e.cpu];
    let who = e.ctxName;
    if (e.ctxKind === 'exception' && st) {
      for (let j = st.length - 1; j >= 0; j--) {
        if (st[j]!.kind !== 'exception') {
          who = st[j]!.name;
          break;
        }
      }
    }
    owner.push(who);
    if (st) {
      if (e.type === 'entry') {
        st.push({ kind: e.kind, name: e.name, ctx: e.ctx, start: t, depth: st.length, owner: e.kind === 'exception' ? who : e.name });
      } else if (e.type === 'exit') {
        let j = st.length - 1;
        while (j >= 0 && !(st[j]!.name === e.name && st[j]!.kind === e.kind)) j--;
        if (j < 0) j = st.length - 1; // unmatched exit: pop the top frame
        if (j >= 0) while (st.length > j) close(e.cpu, st.pop()!, t);
      } else if (e.type === 'switch') {
        const bottom = st[0];
        if (bottom) {
          close(e.cpu, bottom, t);
        }
        // The event is emitted by the incoming context; the idle task (swapper/N) is drawn as a gap.
        const idle = e.toCtx < 0 || (e.ctx === e.toCtx && e.ctxKind === 'idle') || IDLE_NAME.test(e.to);
        if (idle) {
          if (bottom) {
            for (let j = st.length - 1; j >= 1; j--) close(e.cpu, st[j]!, t);
            st.length = 0;
          }
        } else {
          const f: Frame = { kind: kindOf.get(e.to) ?? 'kthread', name: e.to, ctx: e.toCtx, start: t, depth: 0, owner: e.to };
          if (bottom) st[0] = f;
          else st.push(f);
        }
      } else if (st.length === 0 && e.ctx >= 0 && TASK_KINDS.has(e.ctxKind)) {
        // A task running without a recorded switch-in: it has been there since this event.
        st.push({ kind: e.ctxKind as FrameKind, name: e.ctxName, ctx: e.ctx, start: t, depth: 0, owner: e.ctxName });
      }
      if (e.type === 'pkrs_write') {
        const v = e.value >>> 0;
        if (v !== cur[e.cpu]) {
          cur[e.cpu] = v;
          const segs = pkrs[e.cpu]!;
          const last = segs[segs.length - 1]!;
          if (last.start === t) last.pkrs = v;
          else {
            last.end = t;
            segs.push({ start: t, end, pkrs: v });
          }
        }
      }
    }
    pkrsAt.push(cur[e.cpu] ?? r.config.defaultPkrs >>> 0);
  });
  stacks.forEach((st, cpu) => {
    for (let j = st.length - 1; j >= 0; j--) close(cpu, st[j]!, end);
  });
  spans.sort((a, b) => a.cpu - b.cpu || a.start - b.start || a.depth - b.depth);
  for (const segs of pkrs) {
    // Merge neighbours that ended up equal (a write at the same time as the previous one).
    for (let j = segs.length - 1; j > 0; j--) {
      if (segs[j]!.pkrs === segs[j - 1]!.pkrs) {
        segs[j - 1]!.end = segs[j]!.end;
        segs.splice(j, 1);
      }
    }
  }
  return { events, times, pkrsAt, owner, end, cpus, spans, pkrs };
}

export function keyState(pkrs: number, key: number, cr4pks: boolean): KeyState {
  if (!cr4pks) return 'rw';
  const r = rightsOf(pkrs, key);
  return r === 'noaccess' ? 'closed' : r;
}

/** Protection state of each declared key per CPU over time, adjacent equal states merged. */
export function keyBands(tl: Timeline, keys: readonly number[], cr4pks: boolean): Band[] {
  const out: Band[] = [];
  tl.pkrs.forEach((segs, cpu) => {
    for (const key of keys) {
      let open: Band | null = null;
      for (const s of segs) {
        const state = keyState(s.pkrs, key, cr4pks);
        if (open && open.state === state) open.end = s.end;
        else {
          if (open) out.push(open);
          open = { cpu, key, start: s.start, end: s.end, state };
        }
      }
      if (open) out.push(open);
    }
  });
  return out;
}

/** Key an event is about (a fault, a pardon, an access, a grant), or via its page; -1 if none. */
export function eventKey(e: PksimEvent, pageKeys: readonly number[]): number {
  if ('key' in e && typeof e.key === 'number') return e.key;
  if ('page' in e && typeof e.page === 'number' && e.page >= 0) return pageKeys[e.page] ?? -1;
  return -1;
}
