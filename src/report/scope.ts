// Whose open key it is? The key bands of the timeline split by what the run's own metrics say:
// the `exposure` events (the end-of-tick change points behind `keyOpenTicks`/`unscopedTicks`)
// tell, per CPU and key, whether the running context's own mapping or grant explains an open
// key; the other events tell why an unscoped one is open (a pardon still in force, a global
// enable, an abandoned key, a leaked grant). Also the exposure over time, from the same events.

import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import type { Band, Timeline } from './timeline.js';
import type { Scope } from './fields.js';

export { SCOPES, type Scope } from './fields.js';

export interface ScopedBand extends Band {
  scope: Scope;
}

interface Point {
  t: number;
  v: string;
}

const RELEVANT = new Set(['map', 'unmap', 'grant', 'revoke', 'leak', 'pardon', 'pkrs_write', 'entry', 'exit', 'switch']);

/**
 * Per "cpu:key": the class (own / unscoped) from each `exposure` event where the key is open.
 * The event is sampled at the end of its tick; the class changes at the first event of that
 * tick on that CPU that can change it (a map, an unmap, a grant, a leak, a pardon, a PKRS write,
 * a frame change), else at the start of the tick.
 */
function classPoints(r: RunResult, tl: Timeline): Map<string, Point[]> {
  const firstOf = new Map<string, number>();
  tl.events.forEach((e, i) => {
    const id = `${e.cpu}:${e.tick}`;
    if (RELEVANT.has(e.type) && !firstOf.has(id)) firstOf.set(id, tl.times[i]!);
  });
  const out = new Map<string, Point[]>();
  for (const e of r.events) {
    if (e.type !== 'exposure') continue;
    // A key closed (or the CPU idle): the last class holds.
    for (const k of e.open) {
      const v = e.unscoped.includes(k) ? 'unscoped' : 'own';
      const id = `${e.cpu}:${k}`;
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      if (list[list.length - 1]?.v !== v) list.push({ t: firstOf.get(`${e.cpu}:${e.tick}`) ?? e.tick, v });
    }
  }
  return out;
}

/** Per "cpu:key": why the key would be open for the running context if nothing it holds explains it. */
function reasonPoints(r: RunResult, tl: Timeline, keys: readonly number[]): Map<string, Point[]> {
  const policyReason = r.policy.startsWith('global') ? 'global' : r.policy.startsWith('abandon') ? 'abandoned' : 'unscoped';
  const stacks: { id: number; kind: string }[][] = Array.from({ length: tl.cpus }, () => []);
  /** Keys pardoned per context instance, until the key closes while that context runs. */
  const pardoned = new Map<number, Set<number>>();
  /** Keys a leaked grant left open per CPU, until the key closes there. */
  const leaked = new Set<string>();
  /** Per CPU, the pardons of an interrupt that exited, until the PKRS restore that follows. */
  const exited: (Set<number> | undefined)[] = [];
  const out = new Map<string, Point[]>();
  const running = (cpu: number): number => {
    const st = stacks[cpu]!;
    for (let j = st.length - 1; j >= 0; j--) if (st[j]!.kind !== 'exception') return st[j]!.id;
    return -1;
  };
  const reasonOf = (cpu: number, k: number): string => {
    if (pardoned.get(running(cpu))?.has(k) || exited[cpu]?.has(k)) return 'pardon';
    if (leaked.has(`${cpu}:${k}`)) return 'leaked-grant';
    return policyReason;
  };
  const note = (cpu: number, t: number): void => {
    for (const k of keys) {
      const id = `${cpu}:${k}`;
      const v = reasonOf(cpu, k);
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      if (list[list.length - 1]?.v !== v) list.push({ t, v });
    }
  };
  tl.events.forEach((e: PksimEvent, i) => {
    const st = stacks[e.cpu];
    if (!st) return;
    if (e.type === 'entry') st.push({ id: e.ctx, kind: e.kind });
    else if (e.type === 'exit') {
      const top = st.pop();
      if (top) {
        exited[e.cpu] = pardoned.get(top.id);
        pardoned.delete(top.id);
      }
    } else if (e.type === 'switch') {
      if (st.length) st[0] = { id: e.toCtx, kind: e.ctxKind };
      else st.push({ id: e.toCtx, kind: e.ctxKind });
    } else if (st.length === 0 && e.ctx >= 0) st.push({ id: e.ctx, kind: e.ctxKind });
    if (e.type === 'pardon') {
      const who = running(e.cpu);
      let set = pardoned.get(who);
      if (!set) pardoned.set(who, (set = new Set()));
      set.add(e.key);
    } else if (e.type === 'leak' && e.what === 'grant') {
      const m = /key (\d+)/.exec(e.detail);
      if (m) leaked.add(`${e.cpu}:${Number(m[1])}`);
    } else if (e.type === 'pkrs_write') {
      for (const k of keys) {
        if (((e.value >>> (2 * k)) & 1) === 0) continue; // still open
        pardoned.get(running(e.cpu))?.delete(k);
        leaked.delete(`${e.cpu}:${k}`);
      }
      exited[e.cpu] = undefined;
    }
    note(e.cpu, tl.times[i]!);
  });
  return out;
}

/** The value of a step function at time t (the last point at or before t), or `dflt`. */
function valueAt(list: Point[] | undefined, t: number, dflt: string): string {
  if (!list) return dflt;
  let lo = 0;
  let hi = list.length - 1;
  let v = dflt;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t <= t) {
      v = list[mid]!.v;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return v;
}

/**
 * The key bands with their scope: each open band is cut where the class (own / unscoped) or
 * the reason changes, and equal neighbours are merged. A tick where the key was not open at its
 * end keeps the last class (an open band with no sample at all counts as unscoped).
 */
export function scopeBands(r: RunResult, tl: Timeline, bands: readonly Band[], keys: readonly number[]): ScopedBand[] {
  const cls = classPoints(r, tl);
  const why = reasonPoints(r, tl, keys);
  const out: ScopedBand[] = [];
  const push = (b: ScopedBand): void => {
    const last = out[out.length - 1];
    if (last && last.cpu === b.cpu && last.key === b.key && last.state === b.state && last.scope === b.scope && last.end === b.start) last.end = b.end;
    else out.push(b);
  };
  for (const b of bands) {
    if (b.state === 'closed') {
      push({ ...b, scope: '' });
      continue;
    }
    const id = `${b.cpu}:${b.key}`;
    const c = cls.get(id);
    const w = why.get(id);
    const cuts = new Set<number>([b.start, b.end]);
    for (const p of c ?? []) if (p.t > b.start && p.t < b.end) cuts.add(p.t);
    for (const p of w ?? []) if (p.t > b.start && p.t < b.end) cuts.add(p.t);
    const ts = [...cuts].sort((x, y) => x - y);
    for (let j = 0; j + 1 < ts.length; j++) {
      const a = ts[j]!;
      const own = valueAt(c, a, 'unscoped') === 'own';
      const scope = (own ? 'own' : valueAt(w, a, 'unscoped')) as Scope;
      push({ cpu: b.cpu, key: b.key, start: a, end: ts[j + 1]!, state: b.state, scope });
    }
  }
  return out;
}

/**
 * Exposure over time: change points [tick, pages] of the sum over CPUs of the pages a stray
 * access could reach unnoticed, from the `exposure` events sampled at the end of each tick (its
 * sum over ticks is the run's `exposure`). Empty when the run kept no events.
 */
export function exposureSeries(r: RunResult, cpus: number): number[] {
  const rate = new Array<number>(cpus).fill(0);
  const out: number[] = [];
  let total = 0;
  let tick = -1;
  const flush = (): void => {
    if (tick < 0 || (out.length >= 2 && out[out.length - 1] === total)) return;
    if (out.length >= 2 && out[out.length - 2] === tick) out[out.length - 1] = total;
    else out.push(tick, total);
  };
  for (const e of r.events) {
    if (e.type !== 'exposure') continue;
    if (e.tick !== tick) flush(); // the events of one tick are consecutive
    tick = e.tick;
    total += e.pages - (rate[e.cpu] ?? 0);
    rate[e.cpu] = e.pages;
  }
  flush();
  return out;
}
