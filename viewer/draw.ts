// Draws the timeline of one run as SVG: per CPU a marker strip, the stack of context frames and
// one band row per shown key (coloured by whose open key it is); under the lanes the exposure
// plot; over everything the flow arrows and the two cursors. Only what overlaps the visible
// range is drawn.

import type { RunView, ViewModel } from '../src/report/model.js';
import { BAND_FIELDS, FRAME_KINDS, SCOPES, SPAN_FIELDS } from '../src/report/fields.js';
import { KEY_STATES } from '../src/report/timeline.js';
import { EXPOSURE_COLOR } from '../src/report/palette.js';
import { svg } from './dom.js';
import { drawArrows, drawMarkers, MARK_H } from './marks.js';

export interface ViewState {
  run: number;
  t0: number;
  t1: number;
  /** Context name shown, or '' for all. */
  ctx: string;
  /** Key ids hidden. */
  keysOff: Set<number>;
  selected: number;
  /** Marker indices highlighted (from a log line). */
  highlight: Set<number>;
  /** The two measuring cursors (times), null when not set. */
  cursorA: number | null;
  cursorB: number | null;
}

export const GUTTER = 130;
export const AXIS_H = 24;
const ROW_H = 18;
const BAND_H = 11;
const LANE_GAP = 16;
const PLOT_H = 46;

/** Rows per CPU, the same for every run so that switching policy keeps the axes. */
export function laneDepths(model: ViewModel): number[] {
  const cpus = Math.max(...model.runs.map((r) => r.cpus));
  const out = new Array<number>(cpus).fill(0);
  for (const r of model.runs) r.maxDepth.forEach((d, i) => (out[i] = Math.max(out[i] ?? 0, d)));
  return out;
}

function niceStep(span: number, px: number): number {
  const raw = (span * 90) / Math.max(px, 1);
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
  for (const m of [1, 2, 5, 10]) if (p * m >= raw) return Math.max(p * m, 0.001);
  return p * 10;
}

function label(text: string, widthPx: number): string {
  const n = Math.floor((widthPx - 6) / 6.5);
  if (n < 2) return '';
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}

export interface Geometry {
  X: (t: number) => number;
  plotW: number;
  laneY: number[];
  height: number;
}

function exposurePlot(root: SVGSVGElement, run: RunView, st: ViewState, g: Geometry, top: number): void {
  const plot = svg('g', { class: 'exposure', 'data-max': 0 });
  const s = run.exposure;
  let max = 0;
  for (let i = 1; i < s.length; i += 2) max = Math.max(max, s[i]!);
  plot.dataset.max = String(max);
  plot.appendChild(svg('text', { class: 'lane-label', x: 6, y: top + 14 }, 'exposure'));
  plot.appendChild(svg('text', { class: 'key-label', x: 6, y: top + 28 }, `pages, max ${max}`));
  const base = top + PLOT_H - 4;
  plot.appendChild(svg('line', { class: 'plot-base', x1: GUTTER, x2: GUTTER + g.plotW, y1: base, y2: base }));
  if (max > 0) {
    const Y = (v: number): number => base - (v / max) * (PLOT_H - 10);
    const clamp = (t: number): number => Math.min(Math.max(g.X(t), GUTTER), GUTTER + g.plotW);
    let d = `M${clamp(st.t0)} ${base}`;
    let v = 0;
    for (let i = 0; i < s.length; i += 2) {
      const t = s[i]!;
      if (t > st.t1) break;
      if (t >= st.t0) d += `L${clamp(t)} ${Y(v)}L${clamp(t)} ${Y(s[i + 1]!)}`;
      v = s[i + 1]!;
    }
    d += `L${clamp(st.t1)} ${Y(v)}L${clamp(st.t1)} ${base}Z`;
    plot.appendChild(svg('path', { class: 'plot-area', d, fill: EXPOSURE_COLOR }));
  }
  root.appendChild(plot);
}

function cursors(root: SVGSVGElement, st: ViewState, g: Geometry): void {
  for (const [which, t] of [
    ['A', st.cursorA],
    ['B', st.cursorB],
  ] as const) {
    if (t === null || t < st.t0 || t > st.t1) continue;
    const x = g.X(t);
    const c = svg('g', { class: 'cursor', 'data-which': which, 'data-t': t });
    c.appendChild(svg('line', { x1: x, x2: x, y1: 2, y2: g.height }));
    c.appendChild(svg('text', { x: x + 3, y: 10 }, which));
    root.appendChild(c);
  }
}

export function drawTimeline(model: ViewModel, st: ViewState, width: number): SVGSVGElement {
  const run: RunView = model.runs[st.run]!;
  const depths = laneDepths(model);
  const keys = run.keys.map((k, i) => ({ ...k, i })).filter((k) => !st.keysOff.has(k.id));
  const plotW = Math.max(100, width - GUTTER - 24);
  const scale = plotW / (st.t1 - st.t0);
  const X = (t: number): number => GUTTER + (t - st.t0) * scale;
  const clampX = (t: number): number => Math.min(Math.max(X(t), GUTTER), GUTTER + plotW);
  const laneH = depths.map((d) => MARK_H + (d + 1) * ROW_H + keys.length * BAND_H);
  const lanesH = laneH.reduce((a, h) => a + h + LANE_GAP, 0);
  const height = AXIS_H + lanesH + PLOT_H;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-run': st.run });
  root.dataset.t0 = String(st.t0);
  root.dataset.t1 = String(st.t1);
  const defs = svg('defs');
  const head = svg('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  head.appendChild(svg('path', { d: 'M0 0L10 5L0 10Z', class: 'arrowhead' }));
  defs.appendChild(head);
  root.appendChild(defs);

  const axis = svg('g', { class: 'axis' });
  axis.appendChild(svg('rect', { class: 'axis-strip', x: GUTTER, y: 0, width: plotW, height: AXIS_H }));
  const step = niceStep(st.t1 - st.t0, plotW);
  for (let t = Math.ceil(st.t0 / step) * step; t <= st.t1; t += step) {
    const x = X(t);
    axis.appendChild(svg('line', { x1: x, x2: x, y1: AXIS_H - 6, y2: height }));
    axis.appendChild(svg('text', { x: x + 2, y: AXIS_H - 9 }, String(Math.round(t * 1000) / 1000)));
  }
  axis.appendChild(svg('text', { x: 6, y: AXIS_H - 9 }, 'tick'));
  root.appendChild(axis);

  const lanes: SVGGElement[] = [];
  const laneY: number[] = [];
  let y = AXIS_H;
  depths.forEach((d, cpu) => {
    const g = svg('g', { class: 'lane', 'data-cpu': cpu });
    g.appendChild(svg('text', { class: 'lane-label', x: 6, y: y + MARK_H + 12 }, `CPU ${cpu}`));
    const bandTop = y + MARK_H + (d + 1) * ROW_H;
    keys.forEach((k, j) => {
      g.appendChild(svg('text', { class: 'key-label', x: 14, y: bandTop + j * BAND_H + 9 }, `key ${k.name} (${k.id})`));
    });
    root.appendChild(g);
    lanes.push(g);
    laneY.push(y);
    y += laneH[cpu]! + LANE_GAP;
  });

  const sp = run.spans;
  for (let i = 0; i < sp.length; i += SPAN_FIELDS) {
    const [cpu, s, e, depth, kind, ctx, owner] = sp.slice(i, i + SPAN_FIELDS) as [number, number, number, number, number, number, number];
    if (e < st.t0 || s > st.t1 || !lanes[cpu]) continue;
    const name = run.contexts[ctx] ?? '?';
    const kindName = FRAME_KINDS[kind] ?? 'user';
    const x0 = clampX(s);
    const w = Math.max(1, clampX(e) - x0);
    const yy = laneY[cpu]! + MARK_H + depth * ROW_H;
    const ownerName = run.contexts[owner] ?? name;
    const cls = st.ctx && st.ctx !== name && st.ctx !== ownerName ? 'span dim' : 'span';
    const r = svg('rect', { class: cls, x: x0, y: yy, width: w, height: ROW_H - 2, fill: `var(--${kindName})` });
    r.dataset.kind = kindName;
    r.dataset.ctx = name;
    r.dataset.owner = ownerName;
    r.dataset.i = String(i / SPAN_FIELDS);
    lanes[cpu].appendChild(r);
    const text = label(name, w);
    if (text) lanes[cpu].appendChild(svg('text', { class: 'span-label', x: x0 + 3, y: yy + 12 }, text));
  }

  const bd = run.bands;
  const row = new Map(keys.map((k, j) => [k.i, j]));
  for (let i = 0; i < bd.length; i += BAND_FIELDS) {
    const [cpu, ki, s, e, state, scope] = bd.slice(i, i + BAND_FIELDS) as [number, number, number, number, number, number];
    const j = row.get(ki);
    if (j === undefined || e < st.t0 || s > st.t1 || !lanes[cpu]) continue;
    const x0 = clampX(s);
    const stateName = KEY_STATES[state] ?? 'closed';
    const scopeName = SCOPES[scope] || 'closed';
    const yy = laneY[cpu]! + MARK_H + (depths[cpu]! + 1) * ROW_H + j * BAND_H;
    // Read-only: the lower half of the row, in the colour of whose key it is.
    const h = stateName === 'readonly' ? (BAND_H - 1) / 2 : BAND_H - 1;
    const r = svg('rect', { class: 'band', x: x0, y: yy + (BAND_H - 1 - h), width: Math.max(1, clampX(e) - x0), height: h, fill: `var(--scope-${scopeName})` });
    r.dataset.key = String(run.keys[ki]!.id);
    r.dataset.state = stateName;
    r.dataset.scope = SCOPES[scope] ?? '';
    r.dataset.cpu = String(cpu);
    r.dataset.t0 = String(s);
    r.dataset.t1 = String(e);
    r.dataset.i = String(i / BAND_FIELDS);
    lanes[cpu].appendChild(r);
  }

  const geo: Geometry = { X, plotW, laneY, height };
  exposurePlot(root, run, st, geo, AXIS_H + lanesH);
  const drawn = drawMarkers(lanes, run, st, geo);
  drawArrows(root, run, drawn);
  cursors(root, st, geo);
  return root;
}
