// Draws the timeline of one run as SVG: per CPU a marker row, the stack of context frames and
// one band row per shown key. Only what overlaps the visible range is drawn.

import type { MarkerView, RunView, ViewModel } from '../src/report/model.js';
import { BAND_FIELDS, FRAME_KINDS, SPAN_FIELDS } from '../src/report/fields.js';
import { KEY_STATES } from '../src/report/timeline.js';
import { svg } from './dom.js';

export interface ViewState {
  run: number;
  t0: number;
  t1: number;
  /** Context name shown, or '' for all. */
  ctx: string;
  /** Key ids hidden. */
  keysOff: Set<number>;
  selected: number;
}

export const GUTTER = 130;
const AXIS_H = 24;
const MARK_H = 14;
const ROW_H = 18;
const BAND_H = 11;
const LANE_GAP = 16;

export const MARKER_COLORS: Record<string, string> = {
  map: '#2e90fa',
  unmap: '#9ec5fe',
  fault: '#d92d20',
  warning: '#f79009',
  pardon: '#fec84b',
  oops: '#101828',
  panic: '#101828',
  'stray:caught': '#12b76a',
  'stray:warned': '#f79009',
  'stray:missed': '#7a0916',
  stray: '#7a0916',
  grant: '#7f56d9',
  revoke: '#c3b5fd',
  ipi: '#667085',
  sleep: '#d0d5dd',
  report: '#98a2b3',
};

export function markerColor(m: MarkerView): string {
  return MARKER_COLORS[m.sub ? `${m.type}:${m.sub}` : m.type] ?? MARKER_COLORS[m.type] ?? '#000';
}

function markerShape(m: MarkerView, x: number, y: number): SVGElement {
  const r = 4.5;
  switch (m.type) {
    case 'fault':
    case 'stray':
      return svg('path', { d: `M${x} ${y - r}L${x + r} ${y}L${x} ${y + r}L${x - r} ${y}Z` });
    case 'warning':
    case 'pardon':
      return svg('path', { d: `M${x} ${y - r}L${x + r} ${y + r}L${x - r} ${y + r}Z` });
    case 'oops':
    case 'panic':
      return svg('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r });
    default:
      return svg('circle', { cx: x, cy: y, r: r - 1 });
  }
}

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

export function drawTimeline(model: ViewModel, st: ViewState, width: number): SVGSVGElement {
  const run: RunView = model.runs[st.run]!;
  const depths = laneDepths(model);
  const keys = run.keys.map((k, i) => ({ ...k, i })).filter((k) => !st.keysOff.has(k.id));
  const plotW = Math.max(100, width - GUTTER - 24);
  const scale = plotW / (st.t1 - st.t0);
  const X = (t: number): number => GUTTER + (t - st.t0) * scale;
  const clampX = (t: number): number => Math.min(Math.max(X(t), GUTTER), GUTTER + plotW);
  const laneH = depths.map((d) => MARK_H + (d + 1) * ROW_H + keys.length * BAND_H);
  const height = AXIS_H + laneH.reduce((a, h) => a + h + LANE_GAP, 0);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-run': st.run });
  root.dataset.t0 = String(st.t0);
  root.dataset.t1 = String(st.t1);

  const axis = svg('g', { class: 'axis' });
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
    const [cpu, ki, s, e, state] = bd.slice(i, i + BAND_FIELDS) as [number, number, number, number, number];
    const j = row.get(ki);
    if (j === undefined || e < st.t0 || s > st.t1 || !lanes[cpu]) continue;
    const x0 = clampX(s);
    const stateName = KEY_STATES[state] ?? 'closed';
    const yy = laneY[cpu]! + MARK_H + (depths[cpu]! + 1) * ROW_H + j * BAND_H;
    const r = svg('rect', { class: 'band', x: x0, y: yy, width: Math.max(1, clampX(e) - x0), height: BAND_H - 1, fill: `var(--${stateName})` });
    r.dataset.key = String(run.keys[ki]!.id);
    r.dataset.state = stateName;
    r.dataset.cpu = String(cpu);
    r.dataset.t0 = String(s);
    r.dataset.t1 = String(e);
    r.dataset.i = String(i / BAND_FIELDS);
    lanes[cpu].appendChild(r);
  }

  run.markers.forEach((m, i) => {
    if (m.t < st.t0 || m.t > st.t1 || !lanes[m.cpu]) return;
    if (st.ctx && run.contexts[m.ctx] !== st.ctx) return;
    if (m.key >= 0 && st.keysOff.has(m.key)) return;
    const shape = markerShape(m, X(m.t), laneY[m.cpu]! + MARK_H / 2);
    shape.setAttribute('class', i === st.selected ? 'marker sel' : 'marker');
    shape.setAttribute('fill', markerColor(m));
    shape.dataset.type = m.type;
    shape.dataset.sub = m.sub;
    shape.dataset.i = String(i);
    lanes[m.cpu]!.appendChild(shape);
  });
  return root;
}
