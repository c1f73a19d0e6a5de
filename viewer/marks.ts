// Markers and arrows. Markers that fall within a few pixels of each other on one CPU stack in up
// to three rows, the most important on top (an oops, a missed stray, a fault...); the rest of a
// pile stays in the DOM under the third and a count badge (+n) says how many, a click on it
// zooms in. Arrows join the two markers of a flow (flows.ts), centre to centre.

import type { MarkerView, RunView } from '../src/report/model.js';
import { MARKER_COLORS } from '../src/report/palette.js';
import { svg } from './dom.js';
import type { Geometry, ViewState } from './draw.js';

export const STACK_ROWS = 3;
const ROW = 11;
export const MARK_H = STACK_ROWS * ROW + 4;
/** Markers closer than this (pixels) on one CPU form a pile. */
const PILE_PX = 10;

const PRIORITY: Record<string, number> = {
  oops: 0,
  panic: 0,
  'stray:missed': 1,
  'stray:warned': 2,
  'stray:caught': 3,
  fault: 4,
  warning: 5,
  pardon: 6,
  ipi: 7,
  map: 8,
  unmap: 8,
  grant: 9,
  revoke: 9,
  report: 10,
  sleep: 11,
  flow: 12,
};

export function markerKey(m: MarkerView): string {
  return m.type === 'stray' ? `stray:${m.sub || 'missed'}` : m.type;
}

const priority = (m: MarkerView): number => PRIORITY[markerKey(m)] ?? 12;

export function markerColor(m: MarkerView): string {
  const k = markerKey(m);
  const palette = MARKER_COLORS as Record<string, string>;
  if (k === 'unmap') return palette.map!;
  if (k === 'revoke') return palette.grant!;
  if (k === 'panic') return palette.oops!;
  return palette[k] ?? palette.flow!;
}

function shape(m: MarkerView, x: number, y: number): SVGElement {
  const big = m.type === 'stray' || m.type === 'oops' || m.type === 'panic';
  const r = big ? 5.5 : 4.5;
  switch (m.type) {
    case 'fault':
    case 'stray':
      return svg('path', { d: `M${x} ${y - r}L${x + r} ${y}L${x} ${y + r}L${x - r} ${y}Z` });
    case 'warning':
    case 'pardon':
      return svg('path', { d: `M${x} ${y - r}L${x + r} ${y + r - 1}L${x - r} ${y + r - 1}Z` });
    case 'oops':
    case 'panic':
      return svg('rect', { x: x - r + 1, y: y - r + 1, width: 2 * r - 2, height: 2 * r - 2 });
    case 'flow':
      return svg('circle', { cx: x, cy: y, r: 2.5 });
    default:
      return svg('circle', { cx: x, cy: y, r: r - 1 });
  }
}

/** Where each drawn marker's centre is, by marker index. */
export type Drawn = Map<number, { x: number; y: number }>;

export function drawMarkers(lanes: SVGGElement[], run: RunView, st: ViewState, g: Geometry): Drawn {
  const drawn: Drawn = new Map();
  const perCpu: { m: MarkerView; i: number; x: number }[][] = lanes.map(() => []);
  run.markers.forEach((m, i) => {
    if (m.t < st.t0 || m.t > st.t1 || !lanes[m.cpu]) return;
    if (st.ctx && run.contexts[m.ctx] !== st.ctx) return;
    if (m.key >= 0 && st.keysOff.has(m.key)) return;
    perCpu[m.cpu]!.push({ m, i, x: g.X(m.t) });
  });
  perCpu.forEach((list, cpu) => {
    const lane = lanes[cpu]!;
    const top = g.laneY[cpu]! + 2 + ROW / 2;
    for (let a = 0; a < list.length;) {
      let b = a + 1;
      while (b < list.length && list[b]!.x - list[a]!.x < PILE_PX) b++;
      const pile = list.slice(a, b).sort((p, q) => priority(p.m) - priority(q.m) || p.i - q.i);
      const x = pile[0]!.x;
      // Drawn bottom-up so that the most important marker is painted last, on top.
      for (let j = pile.length - 1; j >= 0; j--) {
        const { m, i } = pile[j]!;
        const rowIdx = Math.min(j, STACK_ROWS - 1);
        const y = top + rowIdx * ROW;
        const el = shape(m, x, y);
        const hollow = m.type === 'unmap' || m.type === 'revoke';
        el.setAttribute('class', `marker${i === st.selected ? ' sel' : ''}${st.highlight.has(i) ? ' hl' : ''}${j >= STACK_ROWS ? ' buried' : ''}${hollow ? ' hollow' : ''}`);
        if (hollow) {
          el.setAttribute('fill', '#fff');
          el.style.stroke = markerColor(m);
        } else el.setAttribute('fill', markerColor(m));
        el.dataset.type = m.type;
        el.dataset.sub = m.sub;
        el.dataset.i = String(i);
        el.dataset.tick = String(m.tick);
        el.dataset.cx = String(x);
        el.dataset.cy = String(y);
        lane.appendChild(el);
        drawn.set(i, { x, y });
      }
      if (pile.length > STACK_ROWS) {
        const badge = svg('text', { class: 'badge', x: x + 7, y: top + (STACK_ROWS - 1) * ROW + 4 }, `+${pile.length - STACK_ROWS + 1}`);
        badge.dataset.t0 = String(Math.min(...pile.map((p) => p.m.t)));
        badge.dataset.t1 = String(Math.max(...pile.map((p) => p.m.t)));
        badge.dataset.n = String(pile.length);
        lane.appendChild(badge);
      }
      a = b;
    }
  });
  return drawn;
}

/** One arrow per flow whose two markers are drawn, from centre to centre. */
export function drawArrows(root: SVGSVGElement, run: RunView, drawn: Drawn): void {
  const g = svg('g', { class: 'flows' });
  run.flows.forEach((f, k) => {
    const a = drawn.get(f.from);
    const b = drawn.get(f.to);
    if (!a || !b) return;
    const dx = Math.max(12, Math.abs(b.x - a.x) / 2);
    const bend = a.y === b.y ? -14 : 0;
    const d = `M${a.x} ${a.y}C${a.x + dx} ${a.y + bend},${b.x - dx} ${b.y + bend},${b.x} ${b.y}`;
    const p = svg('path', { class: `flow flow-${f.kind}`, d, 'marker-end': 'url(#arrowhead)' });
    p.dataset.kind = f.kind;
    p.dataset.from = String(f.from);
    p.dataset.to = String(f.to);
    p.dataset.label = f.label;
    p.dataset.k = String(k);
    g.appendChild(p);
  });
  root.appendChild(g);
}
