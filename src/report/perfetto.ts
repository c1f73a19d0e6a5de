// Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing open): one process
// for the machine, one thread track per CPU with nested B/E slices for the context frames,
// instant events for faults, warnings, pardons, oopses, strays and mappings, and a counter
// track per CPU with the number of declared keys open (read/write and read-only).
// One tick is one microsecond and timestamps are whole microseconds (the timeline's spread of
// events within a tick, k/n, is float noise in JSON: 7.7780000000000005); events of one tick
// share its timestamp and keep their order, which trace viewers respect for equal times.

import { archLayout } from '../arch/x86/layout.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult } from '../sim/result.js';
import { hex32 } from '../arch/x86/pkrs.js';
import { buildTimeline, eventKey, keyState, markerType, runLabel, strayOutcome, type Span } from './timeline.js';

export { runLabel };

export interface TraceEvent {
  name: string;
  ph: 'B' | 'E' | 'i' | 'C' | 'M';
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
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
      args: { kind: s.kind, ctx: s.ctx, depth: s.depth },
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

function instantArgs(e: PksimEvent, tick: number, pkrs: number, key: number): Record<string, string | number | boolean> {
  const a: Record<string, string | number | boolean> = { tick, ctx: e.ctxName, kind: e.ctxKind, pkrs: hex32(pkrs) };
  if (key >= 0) a.key = key;
  if (e.loc) a.source = `${e.loc.file}:${e.loc.line}:${e.loc.col}`;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'loc' || k === 'tick' || k === 'cpu' || k === 'ctxName' || k === 'ctxKind' || k === 'type') continue;
    if (typeof v === 'number') a[k] = /pkrs|addr/i.test(k) ? hex32(v) : v;
    else if (typeof v === 'string' || typeof v === 'boolean') a[k] = v;
  }
  return a;
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
      args: instantArgs(e, e.tick, tl.pkrsAt[i]!, eventKey(e, pageKeys)),
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
