// The event list beside the timeline (filterable by text and type, scrolled to the view) and the
// run log under it (the text `pksim run` prints, inflated from the report), both linked to the
// timeline: a row or a log line moves the view there, a marker shows its row and log lines.

import type { MarkerView, RunView } from '../src/report/model.js';
import { logTicks } from '../src/report/logticks.js';
import { clear, el } from './dom.js';
import { markerTitle } from './panel.js';

/** Rows drawn at most; the rest is announced (filter or zoom to see them). */
const MAX_ROWS = 5000;

function detail(run: RunView, m: MarkerView): string {
  const ev = m.ev;
  const parts: string[] = [];
  const page = ev.page;
  if (typeof page === 'number' && page >= 0) parts.push(run.pages[page] ?? String(page));
  for (const k of ['how', 'reason', 'message', 'what', 'detail', 'target', 'work', 'name', 'to', 'dir'] as const) {
    const v = ev[k];
    if (typeof v === 'string' && v) parts.push(v);
  }
  if (typeof ev.addr === 'string' && ev.addr) parts.push(ev.addr);
  return parts.join(' ');
}

export function eventText(run: RunView, m: MarkerView): string {
  return `${m.tick} CPU${m.cpu} ${run.contexts[m.ctx] ?? ''} ${m.type === 'flow' ? String(m.ev.type) : m.type} ${m.sub} ${detail(run, m)}`;
}

export interface ListState {
  text: string;
  type: string;
}

/** Fills the list with the run's markers that pass the filter; returns how many passed. */
export function fillEvents(list: HTMLElement, run: RunView, f: ListState, selected: number): number {
  clear(list);
  const needle = f.text.trim().toLowerCase();
  let n = 0;
  run.markers.forEach((m, i) => {
    if (f.type && m.type !== f.type) return;
    if (needle && !eventText(run, m).toLowerCase().includes(needle)) return;
    n++;
    if (n > MAX_ROWS) return;
    const row = el('div', { class: i === selected ? 'ev sel' : 'ev' });
    row.dataset.i = String(i);
    row.dataset.t = String(m.t);
    row.dataset.type = m.type;
    row.append(
      el('span', { class: 'ev-tick' }, String(m.tick)),
      el('span', { class: 'ev-cpu' }, String(m.cpu)),
      el('span', { class: 'ev-what' }, markerTitle(run, m).split(' — ')[0] ?? m.type),
      el('span', { class: 'ev-detail' }, `${run.contexts[m.ctx] ?? ''} ${detail(run, m)}`),
    );
    list.appendChild(row);
  });
  if (n > MAX_ROWS) list.appendChild(el('div', { class: 'hint' }, `${n - MAX_ROWS} more: filter to see them`));
  if (n === 0) list.appendChild(el('div', { class: 'hint' }, 'no event matches'));
  return n;
}

/** Dims the rows outside [t0, t1] and scrolls the list to the selected row, or to the first row at or after t0. */
export function syncEvents(list: HTMLElement, t0: number, t1: number): void {
  const rows = Array.from(list.querySelectorAll<HTMLElement>('.ev'));
  for (const row of rows) {
    const t = Number(row.dataset.t);
    row.classList.toggle('out', t < t0 || t > t1);
  }
  // The selected row stays in sight while it is in view; otherwise the first row of the view.
  const sel = rows.find((row) => row.classList.contains('sel') && !row.classList.contains('out'));
  const first = rows.find((row) => Number(row.dataset.t) >= t0);
  if (sel) list.scrollTop = sel.offsetTop - list.offsetTop - list.clientHeight / 3;
  else if (first) list.scrollTop = first.offsetTop - list.offsetTop;
}

export function selectEvent(list: HTMLElement, i: number): void {
  list.querySelectorAll('.ev.sel').forEach((r) => r.classList.remove('sel'));
  const row = list.querySelector<HTMLElement>(`.ev[data-i="${i}"]`);
  if (row) {
    row.classList.add('sel');
    list.scrollTop = row.offsetTop - list.offsetTop - list.clientHeight / 3;
  }
}

/** Inflates a run's packed log (base64 of gzip, runlog.ts). */
export async function unpackLog(b64: string): Promise<string[]> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const text = await new Response(stream).text();
  return text.split('\n');
}

/** The CPU a log line names (`cpu1`, `CPU: 1`, ftrace's `[001]`), or -1. */
function lineCpu(line: string): number {
  const m = /\bcpu(\d+)\b|CPU: (\d+)|\[(\d{3})\]/i.exec(line);
  if (!m) return -1;
  return Number(m[1] ?? m[2] ?? m[3]);
}

export function fillLog(box: HTMLElement, lines: string[]): void {
  clear(box);
  const ticks = logTicks(lines);
  lines.forEach((l, i) => {
    const d = el('div', { class: ticks[i]! >= 0 ? 'ln linked' : 'ln' }, l || ' ');
    d.dataset.tick = String(ticks[i]);
    d.dataset.cpu = String(lineCpu(l));
    d.dataset.n = String(i + 1);
    box.appendChild(d);
  });
}

/** Highlights the log lines of a marker's tick (on its CPU when the line names one) and shows the first. */
export function showLogFor(box: HTMLElement, m: MarkerView): number {
  box.querySelectorAll('.ln.hl').forEach((l) => l.classList.remove('hl'));
  const lines = Array.from(box.querySelectorAll<HTMLElement>(`.ln[data-tick="${m.tick}"]`)).filter((l) => {
    const cpu = Number(l.dataset.cpu);
    return cpu < 0 || cpu === m.cpu;
  });
  for (const l of lines) l.classList.add('hl');
  const n = lines.length;
  const first = lines[0];
  if (first) box.scrollTop = first.offsetTop - box.offsetTop - 20;
  return n;
}
