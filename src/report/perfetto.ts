// Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing open): one process
// for the machine, one thread track per CPU with nested B/E slices for the context frames,
// instant events for faults, warnings, pardons, oopses, strays and mappings (their args in the
// scenario's names: pages, keys, addresses), flow arrows (s/f) for the causal flows of the run
// (flows.ts: send to recv, raise to the interrupt, queue_work to the work item, IPIs, wake-ups),
// and per CPU two counter tracks: the keys open, and the exposure (pages a stray access from the
// running context could reach unnoticed).
// One tick is one microsecond and timestamps are whole microseconds (the timeline's spread of
// events within a tick, k/n, is float noise in JSON: 7.7780000000000005); events of one tick
// share its timestamp and keep their order, which trace viewers respect for equal times.

import { archLayout } from '../arch/x86/layout.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { hex32 } from '../arch/x86/pkrs.js';
import { flows, type FlowKind } from './flows.js';
import { buildTimeline, eventKey, keyState, markerType, runLabel, strayOutcome, type Span } from './timeline.js';

export { runLabel };

export interface TraceEvent {
  name: string;
  ph: 'B' | 'E' | 'i' | 'C' | 'M' | 's' | 'f';
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  /** A flow's id (s/f), and the binding of its finish to the enclosing slice. */
  id?: number;
  bp?: 'e';
  args?: Record<string, string | number | boolean>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  otherData: Record<string, string>;
}

const PID = 1;
const tidOf = (cpu: number): number => cpu + 1;
/** Timeline time (tick + k/n) to the tick's microsecond. */
const us = (t: number): number => Math.floor(t);

/** Slices in nesting order: a child never outlives its parent, E events come before later B. */
function sliceEvents(cpu: number, spans: Span[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  const sorted = spans.filter((s) => s.cpu === cpu).sort((a, b) => a.start - b.start || b.end - a.end || a.depth - b.depth);
  const stack: { end: number; name: string; kind: string }[] = [];
  const endTop = (): void => {
    const top = stack.pop()!;
    out.push({ name: top.name, cat: top.kind, ph: 'E', ts: us(top.end), pid: PID, tid: tidOf(cpu) });
  };
  for (const s of sorted) {
    while (stack.length && stack[stack.length - 1]!.end <= s.start) endTop();
    const parent = stack[stack.length - 1];
    const end = parent ? Math.min(s.end, parent.end) : s.end;
    out.push({
      name: s.name,
      cat: s.kind,
      ph: 'B',
      ts: us(s.start),
      pid: PID,
      tid: tidOf(cpu),
      args: { kind: s.kind, depth: s.depth },
    });
    stack.push({ end, name: s.name, kind: s.kind });
  }
  while (stack.length) endTop();
  return out;
}

function instantName(e: PksimEvent, pageNames: readonly string[]): string {
  const page = 'page' in e && typeof e.page === 'number' && e.page >= 0 ? (pageNames[e.page] ?? `page${e.page}`) : '';
  switch (e.type) {
    case 'map':
      return `${e.how}(${page})`;
    case 'unmap':
      return `${e.how}(${page})`;
    case 'fault':
      return `#PF key ${e.key} ${page}`.trim();
    case 'pardon':
      return `${e.silent ? 'silent pardon' : 'pardon'} key ${e.key}`;
    case 'warning':
      return e.printed ? `WARNING ${e.site}` : `WARNING (suppressed) ${e.site}`;
    case 'oops':
      return `Oops: ${e.message}`;
    case 'panic':
      return `panic: ${e.message}`;
    case 'access':
      return `stray ${e.write ? 'write' : 'read'} ${page} (${strayOutcome(e)})`;
    case 'grant':
    case 'revoke':
      return `${e.type}_access key ${e.key}`;
    case 'ipi':
      return `IPI -> cpu${e.target}: ${e.reason}`;
    case 'sleep':
      return `sleep: ${e.reason}`;
    case 'wakeup':
      return `wake up ${e.target}: ${e.reason}`;
    default:
      return e.type;
  }
}

const RIGHTS = ['', 'READ', 'WRITE', 'READ|WRITE'];
/** Fields that are the model's internal ids: a mapping's or a context's number means nothing to a reader. */
const INTERNAL = new Set(['loc', 'tick', 'cpu', 'ctx', 'ctxName', 'ctxKind', 'type', 'mapping', 'fromCtx', 'toCtx', 'depth']);

/** An instant's args, in the names the scenario uses: page and key names, addresses, rights. */
function instantArgs(e: PksimEvent, tick: number, pkrs: number, key: number, r: RunResult): Record<string, string | number | boolean> {
  const keyName = (k: number) => {
    const d = r.config.keys.find((x) => x.id === k);
    return d ? `${k} (${d.name})` : String(k);
  };
  const a: Record<string, string | number | boolean> = { tick, context: e.ctxName, kind: e.ctxKind, pkrs: hex32(pkrs) };
  if (key >= 0) a.key = keyName(key);
  if (e.loc) a.source = `${e.loc.file}:${e.loc.line}:${e.loc.col}`;
  for (const [k, v] of Object.entries(e)) {
    if (INTERNAL.has(k)) continue;
    if (k === 'page' && typeof v === 'number') a.page = v < 0 ? '(not present)' : (r.config.pages[v]?.name ?? String(v));
    else if (k === 'key' && typeof v === 'number') a.key = v < 0 ? 'none' : keyName(v);
    else if (k === 'rights' && typeof v === 'number') a.rights = RIGHTS[v & 3] || 'none';
    else if (k === 'errorCode' && typeof v === 'number') a.error_code = `0x${v.toString(16).padStart(4, '0')}`;
    else if (k === 'target' && typeof v === 'number') a.target = `cpu${v}`;
    else if (typeof v === 'number') a[k] = /pkrs|value|old/i.test(k) ? hex32(v) : v;
    else if (typeof v === 'string' || typeof v === 'boolean') {
      if (v !== '') a[k] = v;
    }
  }
  return a;
}

const FLOW_NAMES: Record<FlowKind, string> = { message: 'send -> recv', ipi: 'IPI', wakeup: 'wake-up', work: 'queue_work -> run', raise: 'raise -> entry' };

/** Flow events (ph s/f): an arrow from the cause's slice to the effect's, bound to the slices around them. */
function flowEvents(r: RunResult): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const f of flows(r.events)) {
    const from = r.events[f.from]!;
    const to = r.events[f.to]!;
    const name = `${FLOW_NAMES[f.kind]}: ${f.label}`;
    out.push({ name, cat: `flow,${f.kind}`, ph: 's', id: f.id, ts: from.tick, pid: PID, tid: tidOf(from.cpu) });
    out.push({ name, cat: `flow,${f.kind}`, ph: 'f', bp: 'e', id: f.id, ts: to.tick, pid: PID, tid: tidOf(to.cpu) });
  }
  return out;
}

export function toPerfetto(result: RunResult): ChromeTrace {
  const tl = buildTimeline(result);
  const keys = result.config.keys.map((k) => k.id);
  const pageKeys = result.config.pages.map((p) => p.key);
  const pageNames = result.config.pages.map((p) => p.name);
  const meta: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: `pksim ${result.scenario} [${runLabel(result)}]` } }];
  const tracks: TraceEvent[][] = [];
  for (let cpu = 0; cpu < tl.cpus; cpu++) {
    meta.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: tidOf(cpu), args: { name: `CPU ${cpu}` } });
    meta.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: PID, tid: tidOf(cpu), args: { sort_index: cpu } });
    tracks.push(sliceEvents(cpu, tl.spans));
  }
  tl.events.forEach((e, i) => {
    const t = markerType(e);
    if (!t || !tracks[e.cpu]) return;
    tracks[e.cpu]!.push({
      name: instantName(e, pageNames),
      cat: t,
      ph: 'i',
      s: 't',
      ts: us(tl.times[i]!),
      pid: PID,
      tid: tidOf(e.cpu),
      args: instantArgs(e, e.tick, tl.pkrsAt[i]!, eventKey(e, pageKeys), result),
    });
  });
  const counters: TraceEvent[] = [];
  tl.pkrs.forEach((segs, cpu) => {
    let last = '';
    for (const s of segs) {
      let rw = 0;
      let ro = 0;
      for (const k of keys) {
        const st = keyState(s.pkrs, k, result.config.cr4pks);
        if (st === 'rw') rw++;
        else if (st === 'readonly') ro++;
      }
      const sig = `${rw}/${ro}`;
      if (sig === last) continue;
      last = sig;
      counters.push({ name: `CPU ${cpu} open keys`, ph: 'C', ts: us(s.start), pid: PID, tid: tidOf(cpu), args: { rw, readonly: ro } });
    }
  });
  // Exposure: the protected pages a stray access from the CPU's context could reach unnoticed.
  // The events also change with the keys open: the counter only with the pages.
  const shownExposure = new Map<number, string>();
  for (const e of result.events) {
    if (e.type !== 'exposure') continue;
    const sig = `${e.pages}/${e.read}/${e.write}`;
    if (shownExposure.get(e.cpu) === sig || (!shownExposure.has(e.cpu) && sig === '0/0/0')) continue;
    shownExposure.set(e.cpu, sig);
    counters.push({ name: `CPU ${e.cpu} exposure`, ph: 'C', ts: e.tick, pid: PID, tid: tidOf(e.cpu), args: { pages: e.pages, read: e.read, write: e.write } });
  }
  for (let cpu = 0; cpu < tl.cpus; cpu++)
    if (!shownExposure.has(cpu)) counters.unshift({ name: `CPU ${cpu} exposure`, ph: 'C', ts: 0, pid: PID, tid: tidOf(cpu), args: { pages: 0, read: 0, write: 0 } });
  for (const f of flowEvents(result)) tracks[f.tid - 1]?.push(f);
  for (const tr of tracks) tr.sort((a, b) => a.ts - b.ts); // stable: keeps B/E order at equal ts
  return {
    traceEvents: [...meta, ...tracks.flat(), ...counters],
    displayTimeUnit: 'ns',
    otherData: {
      scenario: result.scenario,
      file: result.file,
      policy: runLabel(result),
      arch: result.config.arch + (archLayout(result.config.arch).caveat ? ` (${archLayout(result.config.arch).caveat})` : ''),
      stop: result.stop,
      timeUnit: '1 tick = 1 us',
    },
  };
}
