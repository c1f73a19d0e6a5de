// Entry of the report viewer: reads the embedded view model, builds the controls (scenario
// picker, design tabs, filters, legend), and redraws the timeline on zoom, pan, filter, design
// switch and cursor moves; keeps the event list and the run log in step with it.

import type { ViewModel } from '../src/report/model.js';
import { FRAME_KINDS } from '../src/report/fields.js';
import { FRAME_COLORS, MARKER_COLORS, MARKER_LABELS, SCOPE_COLORS, SCOPE_LABELS, EXPOSURE_COLOR } from '../src/report/palette.js';
import { byId, clear, el } from './dom.js';
import { AXIS_H, GUTTER, drawTimeline, type ViewState } from './draw.js';
import { fillEvents, fillLog, selectEvent, showLogFor, syncEvents, unpackLog } from './list.js';
import { fillExpectations, fillSummary, markerTitle, showBand, showMarker, showSpan } from './panel.js';

const model = JSON.parse(byId('pksim-data').textContent ?? '{}') as ViewModel;
const END = Math.max(1, ...model.runs.map((r) => r.end));
const st: ViewState = { run: 0, t0: 0, t1: END, ctx: '', keysOff: new Set(), selected: -1, highlight: new Set(), cursorA: null, cursorB: null };
const timeline = byId('timeline');
const panel = byId('panel');
const tooltip = byId('tooltip');
const events = byId('event-list');
const logBox = byId('log-lines');
const filter = { text: '', type: '' };
const scenarios = [...new Set(model.runs.map((r) => r.scenario))];
const logs = new Map<number, string[]>();
let frame = 0;

function run() {
  return model.runs[st.run]!;
}

/** The runs of the scenario shown. */
function siblings(): number[] {
  return model.runs.map((r, i) => (r.scenario === run().scenario ? i : -1)).filter((i) => i >= 0);
}

function render(): void {
  frame = 0;
  const t0 = performance.now();
  clear(timeline);
  timeline.appendChild(drawTimeline(model, st, timeline.clientWidth || 900));
  byId('range').textContent = `ticks ${st.t0.toFixed(1)}–${st.t1.toFixed(1)} of ${END}`;
  syncEvents(events, st.t0, st.t1);
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

/** Centres the view on t, zooming in to at most 40 ticks. */
function jumpTo(t: number): void {
  const span = Math.min(st.t1 - st.t0, 40);
  setView(t - span / 2, t + span / 2);
}

function tAt(clientX: number): number {
  const svgEl = timeline.querySelector('svg');
  const r = timeline.getBoundingClientRect();
  const plotW = Math.max(100, (svgEl?.clientWidth ?? r.width) - GUTTER - 24);
  return st.t0 + ((clientX - r.left - GUTTER) / plotW) * (st.t1 - st.t0);
}

function cursorInfo(): void {
  const f = (t: number | null): string => (t === null ? '–' : (Math.round(t * 1000) / 1000).toString());
  const info = byId('cursor-info');
  const { cursorA: a, cursorB: b } = st;
  info.textContent =
    `A ${f(a)} · B ${f(b)}` + (a !== null && b !== null ? ` · Δ ${Math.round(Math.abs(b - a) * 1000) / 1000} ticks` : ' · click the tick axis for A, shift+click for B');
  info.dataset.delta = a !== null && b !== null ? String(Math.abs(b - a)) : '';
}

function showRunLog(): void {
  const i = st.run;
  const have = logs.get(i);
  if (have) {
    fillLog(logBox, have);
    document.body.dataset.logReady = String(i);
    return;
  }
  delete document.body.dataset.logReady;
  clear(logBox);
  logBox.appendChild(el('div', { class: 'hint' }, 'inflating the log…'));
  void unpackLog(model.runs[i]!.log).then((lines) => {
    logs.set(i, lines);
    if (st.run === i) showRunLog();
  });
}

function refreshEvents(): void {
  const n = fillEvents(events, run(), filter, st.selected);
  byId('event-count').textContent = `${n} of ${run().markers.length}`;
  syncEvents(events, st.t0, st.t1);
}

function header(): void {
  const r = run();
  byId('title').textContent = r.scenario;
  byId('meta').textContent =
    `${r.file} · policy ${r.label} · ${r.cpus} CPU${r.cpus > 1 ? 's' : ''} · ${r.summary.ticks} ticks · stopped: ${r.stop}` +
    (r.cr4pks ? '' : ' · CR4.PKS off') +
    ` · ${r.arch}` +
    (r.archNote ? ` (${r.archNote})` : '');
  const pol = byId('policies');
  clear(pol);
  pol.appendChild(el('span', { class: 'hint' }, 'design'));
  for (const i of siblings()) {
    const b = el('button', { type: 'button', role: 'tab' }, model.runs[i]!.label);
    b.dataset.run = String(i);
    b.classList.toggle('on', i === st.run);
    b.addEventListener('click', () => choose(i));
    pol.appendChild(b);
  }
  byId<HTMLSelectElement>('scenario').value = String(scenarios.indexOf(r.scenario));
  fillSummary(byId('summary-table'), model, siblings(), st.run);
  fillExpectations(byId('expectations'), r);
  refreshEvents();
  showRunLog();
}

function choose(i: number): void {
  const r = model.runs[i]!;
  st.run = i;
  st.selected = -1;
  st.highlight.clear();
  clear(panel);
  panel.appendChild(el('p', { class: 'hint' }, `Showing ${r.choice}. Click a marker, a frame or a band for details.`));
  header();
  render();
}

function legend(): void {
  const box = byId('legend');
  const group = (title: string): HTMLElement => {
    const g = el('span', { class: 'lg' });
    g.appendChild(el('b', {}, title));
    box.appendChild(g);
    return g;
  };
  const sw = (g: HTMLElement, color: string, text: string, cls = 'sw'): void => {
    const s = el('span', { class: 'lg-item' });
    const b = el('span', { class: cls });
    b.style.background = color;
    b.dataset.color = color;
    s.append(b, text);
    g.appendChild(s);
  };
  const frames = group('frames');
  for (const k of FRAME_KINDS) sw(frames, FRAME_COLORS[k], k === 'exception' ? '#PF handler' : k);
  const bands = group('key band (read-only: half height)');
  for (const [k, c] of Object.entries(SCOPE_COLORS)) sw(bands, c, SCOPE_LABELS[k as keyof typeof SCOPE_COLORS]);
  const marks = group('markers');
  for (const [k, c] of Object.entries(MARKER_COLORS)) sw(marks, c, MARKER_LABELS[k as keyof typeof MARKER_COLORS], k === 'flow' ? 'sw dot' : 'sw');
  const plot = group('under the lanes');
  sw(plot, EXPOSURE_COLOR, 'exposure: pages a stray could reach unnoticed');
}

function controls(): void {
  const sel = byId<HTMLSelectElement>('scenario');
  scenarios.forEach((s, i) => sel.appendChild(el('option', { value: String(i) }, s)));
  byId('scenario-pick').hidden = scenarios.length < 2;
  sel.addEventListener('change', () => {
    const name = scenarios[Number(sel.value)];
    const label = run().label;
    const same = model.runs.findIndex((r) => r.scenario === name && r.label === label);
    choose(same >= 0 ? same : model.runs.findIndex((r) => r.scenario === name));
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
  byId('cursor-clear').addEventListener('click', () => {
    st.cursorA = st.cursorB = null;
    cursorInfo();
    render();
  });
  const text = byId<HTMLInputElement>('event-filter');
  text.addEventListener('input', () => {
    filter.text = text.value;
    refreshEvents();
  });
  const type = byId<HTMLSelectElement>('event-type');
  type.appendChild(el('option', { value: '' }, 'all types'));
  for (const t of [...new Set(model.runs.flatMap((r) => r.markers.map((m) => m.type)))].sort()) type.appendChild(el('option', { value: t }, t));
  type.addEventListener('change', () => {
    filter.type = type.value;
    refreshEvents();
  });
  legend();
  cursorInfo();
}

function selectMarker(i: number, from: 'timeline' | 'list'): void {
  const m = run().markers[i];
  if (!m) return;
  st.selected = i;
  showMarker(panel, model, run(), m);
  if (from === 'list') jumpTo(m.t);
  else {
    timeline.querySelectorAll('.marker.sel').forEach((x) => x.classList.remove('sel'));
    timeline.querySelector(`.marker[data-i="${i}"]`)?.classList.add('sel');
  }
  selectEvent(events, i);
  showLogFor(logBox, m);
}

function interactions(): void {
  let moved = false;
  timeline.addEventListener('click', (ev) => {
    if (moved) return;
    const t = ev.target as SVGElement;
    const box = timeline.getBoundingClientRect();
    if (ev.clientY - box.top < AXIS_H && ev.clientX - box.left > GUTTER) {
      const at = tAt(ev.clientX);
      if (ev.shiftKey) st.cursorB = at;
      else st.cursorA = at;
      cursorInfo();
      render();
      return;
    }
    if (t.classList?.contains('badge')) {
      const a = Number(t.dataset.t0);
      const b = Number(t.dataset.t1);
      setView(a - 0.5, b + 0.5);
      return;
    }
    const i = Number(t.dataset?.i);
    if (!t.classList || Number.isNaN(i)) return;
    if (t.classList.contains('marker')) selectMarker(i, 'timeline');
    else if (t.classList.contains('span')) showSpan(panel, run(), i);
    else if (t.classList.contains('band')) showBand(panel, run(), i);
  });
  events.addEventListener('click', (ev) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>('.ev');
    if (row) selectMarker(Number(row.dataset.i), 'list');
  });
  logBox.addEventListener('click', (ev) => {
    const line = (ev.target as HTMLElement).closest<HTMLElement>('.ln');
    const tick = Number(line?.dataset.tick ?? -1);
    if (!line || tick < 0) return;
    logBox.querySelectorAll('.ln.hl').forEach((l) => l.classList.remove('hl'));
    line.classList.add('hl');
    const cpu = Number(line.dataset.cpu);
    st.highlight = new Set(run().markers.flatMap((m, i) => (m.tick === tick && (cpu < 0 || m.cpu === cpu) ? [i] : [])));
    jumpTo(tick + 0.5);
  });
  timeline.addEventListener('mousemove', (ev) => {
    const t = ev.target as SVGElement;
    const m = t.classList?.contains('marker') ? run().markers[Number(t.dataset.i)] : undefined;
    const text = m
      ? markerTitle(run(), m)
      : t.classList?.contains('span')
        ? `${t.dataset.kind} ${t.dataset.ctx}`
        : t.classList?.contains('band')
          ? `key ${t.dataset.key}: ${t.dataset.state}${t.dataset.scope ? ` (${t.dataset.scope})` : ''}`
          : t.classList?.contains('flow')
            ? `${t.dataset.kind}: ${t.dataset.label}`
            : t.classList?.contains('badge')
              ? `${t.dataset.n} markers here: click to zoom in`
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
  timeline.addEventListener('mousedown', (ev) => {
    drag = { x: ev.clientX, t0: st.t0, t1: st.t1 };
    moved = false;
  });
  window.addEventListener('mouseup', () => (drag = null));
  window.addEventListener('mousemove', (ev) => {
    if (!drag || Math.abs(ev.clientX - drag.x) < 3) return;
    moved = true;
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
