// The data the HTML viewer draws: computed here (in Node, testable) from RunResults, embedded
// in the report as JSON, drawn by viewer/. Compact on purpose: spans and bands are flat number
// arrays, names go through per-run tables, and only events that get a marker keep their fields.

import { archLayout } from '../arch/x86/layout.js';
import type { PksimEvent } from '../kernel/events.js';
import type { RunResult, RunSummary, ExpectationResult } from '../sim/result.js';
import { exposureSeries, scopeBands } from './scope.js';
import { FRAME_KINDS, SCOPES } from './fields.js';
import { logLines, packLog } from './runlog.js';
import { flows, type FlowKind } from './flows.js';
import { KEY_STATES, buildTimeline, eventKey, keyBands, markerType, resultSource, runLabel, strayOutcome, type MarkerType } from './timeline.js';

export { BAND_FIELDS, FRAME_KINDS, SPAN_FIELDS } from './fields.js';

export interface MarkerView {
  /** Time on the axis. */
  t: number;
  tick: number;
  cpu: number;
  /** What the marker shows; `flow` for an event drawn only as the end of an arrow (a send, a switch-in...). */
  type: MarkerType | 'flow';
  /** For strays: caught, warned or missed; for warnings: printed or suppressed. */
  sub: string;
  /** Index in RunView.contexts of the context charged (for the #PF handler: the one that faulted), -1 if none. */
  ctx: number;
  /** Hardware key the event is about, -1 if none. */
  key: number;
  /** PKRS to decode in the panel: the event's own (access, fault, pardon frame) or the CPU's. */
  pkrs: number;
  /** The event's own fields, minus the ones kept above. */
  ev: Record<string, unknown>;
}

export interface FlowView {
  kind: FlowKind;
  /** Indices in RunView.markers. */
  from: number;
  to: number;
  label: string;
}

export interface RunView {
  /** The design, as the CLI names it (policyLabel). */
  label: string;
  /** What the policy switch and the summary columns show: the label, with the scenario when several. */
  choice: string;
  scenario: string;
  file: string;
  policy: string;
  mode: string | null;
  stop: string;
  cpus: number;
  end: number;
  cr4pks: boolean;
  /** x86_64, or x86_32 with the note that PKS on it is hypothetical. */
  arch: string;
  archNote: string | null;
  wp: boolean;
  defaultPkrs: number;
  keys: { id: number; name: string; default: string }[];
  pages: string[];
  contexts: string[];
  /** Deepest frame per CPU (0 = only a task). */
  maxDepth: number[];
  spans: number[];
  bands: number[];
  /** Exposure over time: change points [tick, pages reachable unnoticed, summed over CPUs]. */
  exposure: number[];
  markers: MarkerView[];
  /** Arrows: a send to its recv, an IPI to its landing, a wake-up to the switch-in, queue_work to the work item, a raise to the entry (flows.ts), between markers. */
  flows: FlowView[];
  /** The run log (what `pksim run` prints): its lines joined by newlines, gzipped, base64 (runlog.ts). */
  log: string;
  summary: RunSummary;
  expectations: ExpectationResult[];
  /** Index into ViewModel.sources of the scenario source, -1 if the result carries none. */
  source: number;
}

export interface ViewModel {
  version: 1;
  title: string;
  runs: RunView[];
  sources: { file: string; lines: string[] }[];
}

function stripEvent(e: PksimEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'tick' || k === 'cpu' || k === 'ctx' || k === 'ctxName') continue;
    if (k === 'loc') {
      if (v) out.loc = { line: (v as { line: number }).line, col: (v as { col: number }).col };
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** PKRS that explains an event: the one checked (access, fault), the frame's after a pardon. */
function eventPkrs(e: PksimEvent, cpuPkrs: number): number {
  if (e.type === 'access' || e.type === 'fault') return e.pkrs >>> 0;
  if (e.type === 'pardon') return e.framePkrs >>> 0;
  return cpuPkrs >>> 0;
}

export function buildRunView(r: RunResult, sourceIndex: number, source = ''): RunView {
  const tl = buildTimeline(r);
  const contexts: string[] = [];
  const ctxIdx = new Map<string, number>();
  const ctxOf = (name: string): number => {
    if (!name) return -1;
    let i = ctxIdx.get(name);
    if (i === undefined) {
      i = contexts.length;
      contexts.push(name);
      ctxIdx.set(name, i);
    }
    return i;
  };
  for (const c of r.config.contexts) ctxOf(c.name);
  const keyIds = r.config.keys.map((k) => k.id);
  const pageKeys = r.config.pages.map((p) => p.key);
  const maxDepth = new Array<number>(tl.cpus).fill(0);
  const spans: number[] = [];
  for (const s of tl.spans) {
    maxDepth[s.cpu] = Math.max(maxDepth[s.cpu] ?? 0, s.depth);
    spans.push(s.cpu, s.start, s.end, s.depth, Math.max(0, FRAME_KINDS.indexOf(s.kind)), ctxOf(s.name), ctxOf(s.owner));
  }
  const bands: number[] = [];
  for (const b of scopeBands(r, tl, keyBands(tl, keyIds, r.config.cr4pks), keyIds)) {
    bands.push(b.cpu, keyIds.indexOf(b.key), b.start, b.end, KEY_STATES.indexOf(b.state), SCOPES.indexOf(b.scope));
  }

  const markers: MarkerView[] = [];
  const fl = flows(tl.events);
  const ends = new Set<number>();
  for (const f of fl) ends.add(f.from).add(f.to);
  const markerOf = new Map<number, number>();
  tl.events.forEach((e, i) => {
    const type = markerType(e) ?? (ends.has(i) ? 'flow' : null);
    if (!type) return;
    markerOf.set(i, markers.length);
    const sub = type === 'stray' ? (strayOutcome(e) ?? '') : e.type === 'warning' ? (e.printed ? 'printed' : 'suppressed') : '';
    markers.push({
      t: tl.times[i]!,
      tick: e.tick,
      cpu: e.cpu,
      type,
      sub,
      ctx: ctxOf(tl.owner[i]!),
      key: eventKey(e, pageKeys),
      pkrs: eventPkrs(e, tl.pkrsAt[i]!),
      ev: stripEvent(e),
    });
  });
  return {
    label: runLabel(r),
    choice: runLabel(r),
    scenario: r.scenario,
    file: r.file,
    policy: r.policy,
    mode: r.mode,
    stop: r.stop,
    cpus: tl.cpus,
    end: tl.end,
    cr4pks: r.config.cr4pks,
    arch: r.config.arch,
    archNote: archLayout(r.config.arch).caveat,
    wp: r.config.wp,
    defaultPkrs: r.config.defaultPkrs >>> 0,
    keys: r.config.keys.map((k) => ({ id: k.id, name: k.name, default: k.default })),
    pages: r.config.pages.map((p) => p.name),
    contexts,
    maxDepth,
    spans,
    bands,
    exposure: exposureSeries(r, tl.cpus),
    markers,
    flows: fl.map((f) => ({ kind: f.kind, from: markerOf.get(f.from)!, to: markerOf.get(f.to)!, label: f.label })),
    log: packLog(logLines(r, source)),
    summary: r.summary,
    expectations: r.expectations ?? [],
    source: sourceIndex,
  };
}

export function buildViewModel(results: readonly RunResult[], title?: string, sourcesByFile: Record<string, string> = {}): ViewModel {
  const sources: ViewModel['sources'] = [];
  const byText = new Map<string, number>();
  const runs = results.map((r) => {
    const text = resultSource(r) ?? (Object.hasOwn(sourcesByFile, r.file) ? sourcesByFile[r.file] : undefined);
    let idx = -1;
    if (text !== undefined) {
      const k = `${r.file}\u0000${text}`;
      idx = byText.get(k) ?? -1;
      if (idx < 0) {
        idx = sources.length;
        sources.push({ file: r.file, lines: text.split(/\r?\n/) });
        byText.set(k, idx);
      }
    }
    return buildRunView(r, idx, text ?? '');
  });
  const names = [...new Set(results.map((r) => r.scenario))];
  // A compare over several files: the switch names the scenario too (label stays the policy).
  if (names.length > 1) for (const run of runs) run.choice = `${run.scenario} · ${run.label}`;
  return { version: 1, title: title ?? (names.join(', ') || 'pksim'), runs, sources };
}
