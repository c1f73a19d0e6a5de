// Entry of the report viewer: reads the embedded view model, builds the controls and redraws
// the timeline on zoom, pan, filter and policy switch.

import type { ViewModel } from '../src/report/model.js';
import { FRAME_KINDS } from '../src/report/fields.js';
import { KEY_STATES } from '../src/report/timeline.js';
import { byId, clear, el } from './dom.js';
import { GUTTER, MARKER_COLORS, drawTimeline, type ViewState } from './draw.js';
import { fillExpectations, fillSummary, markerTitle, showBand, showMarker, showSpan } from './panel.js';

const model = JSON.parse(byId('pksim-data').textContent ?? '{}') as ViewModel;
const END = Math.max(1, ...model.runs.map((r) => r.end));
const st: ViewState = { run: 0, t0: 0, t1: END, ctx: '', keysOff: new Set(), selected: -1 };
const timeline = byId('timeline');
const panel = byId('panel');
const tooltip = byId('tooltip');
let frame = 0;

function run() {
  return model.runs[st.run]!;
}

function render(): void {
  frame = 0;
  const t0 = performance.now();
  clear(timeline);
  timeline.appendChild(drawTimeline(model, st, timeline.clientWidth || 900));
  byId('range').textContent = `ticks ${st.t0.toFixed(1)}–${st.t1.toFixed(1)} of ${END}`;
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
}

function schedule(): void {
  if (!frame) frame = requestAnimationFrame(render);
}

function setView(t0: number, t1: number): void {
  const minSpan = 0.5;
  let span = Math.min(Math.max(t1 - t0, minSpan), END);
  let a = Math.max(0, Math.min(t0, END - span));
  if (!Number.isFinite(a) || !Number.isFinite(span)) [a, span] = [0, END];
  st.t0 = a;
  st.t1 = a + span;
  schedule();
}

function zoom(factor: number, at = (st.t0 + st.t1) / 2): void {
  setView(at - (at - st.t0) * factor, at + (st.t1 - at) * factor);
}

function tAt(clientX: number): number {
  const svgEl = timeline.querySelector('svg');
  const r = timeline.getBoundingClientRect();
  const plotW = Math.max(100, (svgEl?.clientWidth ?? r.width) - GUTTER - 24);
  return st.t0 + ((clientX - r.left - GUTTER) / plotW) * (st.t1 - st.t0);
}

function header(): void {
  const r = run();
  byId('title').textContent = r.scenario;
  byId('meta').textContent =
    `${r.file} · policy ${r.label} · ${r.cpus} CPU${r.cpus > 1 ? 's' : ''} · ${r.summary.ticks} ticks · stopped: ${r.stop}` +
    (r.cr4pks ? '' : ' · CR4.PKS off') +
    ` · ${r.arch}` +
    (r.archNote ? ` (${r.archNote})` : '');
  document.querySelectorAll<HTMLButtonElement>('#policies button').forEach((b) => {
    b.classList.toggle('on', Number(b.dataset.run) === st.run);
  });
  fillSummary(byId('summary-table'), model, st.run);
  fillExpectations(byId('expectations'), r);
}

function controls(): void {
  const pol = byId('policies');
  pol.appendChild(el('span', { class: 'hint' }, model.runs.length > 1 ? 'policy' : 'policy:'));
  model.runs.forEach((r, i) => {
    const b = el('button', { type: 'button' }, r.choice);
    b.dataset.run = String(i);
    b.addEventListener('click', () => {
      st.run = i;
      st.selected = -1;
      clear(panel);
      panel.appendChild(el('p', { class: 'hint' }, `Showing ${r.choice}. Click a marker, a frame or a band for details.`));
      header();
      render();
    });
    pol.appendChild(b);
  });
  const ctxSel = byId<HTMLSelectElement>('ctx-filter');
  ctxSel.appendChild(el('option', { value: '' }, 'all'));
  const names = [...new Set(model.runs.flatMap((r) => r.contexts))];
  for (const n of names) ctxSel.appendChild(el('option', { value: n }, n));
  ctxSel.addEventListener('change', () => {
    st.ctx = ctxSel.value;
    render();
  });
  const keys = byId('key-filter');
  keys.appendChild(el('span', { class: 'hint' }, 'keys'));
  const seen = new Set<number>();
  for (const k of model.runs.flatMap((r) => r.keys)) {
    if (seen.has(k.id)) continue;
    seen.add(k.id);
    const box = el('input', { type: 'checkbox', 'data-key': String(k.id) });
    box.checked = true;
    box.addEventListener('change', () => {
      if (box.checked) st.keysOff.delete(k.id);
      else st.keysOff.add(k.id);
      render();
    });
    const lab = el('label');
    lab.append(box, ` ${k.name}`);
    keys.appendChild(lab);
  }
  byId('zoom-in').addEventListener('click', () => zoom(0.5));
  byId('zoom-out').addEventListener('click', () => zoom(2));
  byId('zoom-reset').addEventListener('click', () => setView(0, END));
  const legend = byId('legend');
  const sw = (color: string, text: string): void => {
    const s = el('span');
    const box = el('span', { class: 'sw' });
    box.style.background = color;
    s.append(box, text);
    legend.appendChild(s);
  };
  for (const k of FRAME_KINDS) sw(`var(--${k})`, k);
  for (const k of KEY_STATES) sw(`var(--${k})`, k === 'rw' ? 'key open rw' : k === 'readonly' ? 'key read-only' : 'key closed');
  for (const [k, c] of Object.entries(MARKER_COLORS)) if (k !== 'stray' && k !== 'panic') sw(c, k.replace(':', ' '));
}

function interactions(): void {
  timeline.addEventListener('click', (ev) => {
    const t = ev.target as SVGElement;
    const i = Number(t.dataset?.i);
    if (!t.classList || Number.isNaN(i)) return;
    if (t.classList.contains('marker')) {
      st.selected = i;
      showMarker(panel, model, run(), run().markers[i]!);
      timeline.querySelectorAll('.marker.sel').forEach((m) => m.classList.remove('sel'));
      t.classList.add('sel');
    } else if (t.classList.contains('span')) showSpan(panel, run(), i);
    else if (t.classList.contains('band')) showBand(panel, run(), i);
  });
  timeline.addEventListener('mousemove', (ev) => {
    const t = ev.target as SVGElement;
    const m = t.classList?.contains('marker') ? run().markers[Number(t.dataset.i)] : undefined;
    const text = m
      ? markerTitle(run(), m)
      : t.classList?.contains('span')
        ? `${t.dataset.kind} ${t.dataset.ctx}`
        : t.classList?.contains('band')
          ? `key ${t.dataset.key}: ${t.dataset.state}`
          : '';
    tooltip.style.display = text ? 'block' : 'none';
    tooltip.textContent = text;
    tooltip.style.left = `${ev.clientX + 12}px`;
    tooltip.style.top = `${ev.clientY + 12}px`;
  });
  timeline.addEventListener('mouseleave', () => (tooltip.style.display = 'none'));
  timeline.addEventListener(
    'wheel',
    (ev) => {
      // Ctrl/⌘ + wheel (and trackpad pinch) zooms at the pointer; shift + wheel or a horizontal
      // swipe pans; a plain wheel keeps scrolling the page.
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        zoom(ev.deltaY > 0 ? 1.25 : 0.8, tAt(ev.clientX));
      } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        ev.preventDefault();
        const d = ((ev.deltaX || ev.deltaY) / 500) * (st.t1 - st.t0);
        setView(st.t0 + d, st.t1 + d);
      }
    },
    { passive: false },
  );
  let drag: { x: number; t0: number; t1: number } | null = null;
  timeline.addEventListener('mousedown', (ev) => (drag = { x: ev.clientX, t0: st.t0, t1: st.t1 }));
  window.addEventListener('mouseup', () => (drag = null));
  window.addEventListener('mousemove', (ev) => {
    if (!drag || Math.abs(ev.clientX - drag.x) < 3) return;
    const w = Math.max(100, timeline.clientWidth - GUTTER - 24);
    const d = ((drag.x - ev.clientX) / w) * (drag.t1 - drag.t0);
    setView(drag.t0 + d, drag.t1 + d);
  });
  window.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    const w = st.t1 - st.t0;
    if (ev.key === '+' || ev.key === '=') zoom(0.5);
    else if (ev.key === '-') zoom(2);
    else if (ev.key === '0') setView(0, END);
    else if (ev.key === 'ArrowLeft') setView(st.t0 - w / 5, st.t1 - w / 5);
    else if (ev.key === 'ArrowRight') setView(st.t0 + w / 5, st.t1 + w / 5);
  });
  window.addEventListener('resize', schedule);
}

controls();
header();
interactions();
render();
document.body.dataset.loadMs = performance.now().toFixed(0);
document.body.dataset.ready = '1';
