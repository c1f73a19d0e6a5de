// The side panel (details of a marker, frame or band), the hover tooltip text, the summary
// and expectations tables.

import type { MarkerView, RunView, ViewModel } from '../src/report/model.js';
import { BAND_FIELDS, FRAME_KINDS, SCOPES, SPAN_FIELDS } from '../src/report/fields.js';
import { SCOPE_LABELS } from '../src/report/palette.js';
import { KEY_STATES } from '../src/report/timeline.js';
import { decodePkrs, describeKeyBits, hex32 } from '../src/arch/x86/pkrs.js';
import { clear, el, row } from './dom.js';

const HEX_FIELDS = /^(addr|errorCode|pkrs|framePkrs|savedPkrs|restoredPkrs|value|old)$/;

function fmt(k: string, v: unknown): string {
  if (typeof v === 'number' && HEX_FIELDS.test(k)) return hex32(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** What an event drawn only as an arrow's end is: a send, a recv, a raise, queue_work... */
function flowWhat(ev: Record<string, unknown>): string {
  switch (ev.type) {
    case 'message':
      return ev.dir === 'send' ? 'send' : 'recv';
    case 'work':
      return ev.phase === 'queue' ? 'queue_work' : `work ${String(ev.phase)}`;
    case 'switch':
      return 'switch in';
    case 'entry':
      return `${String(ev.kind)} entry`;
    default:
      return String(ev.type);
  }
}

export function markerTitle(run: RunView, m: MarkerView): string {
  const ev = m.ev;
  const what =
    m.type === 'stray'
      ? `stray ${ev.write ? 'write' : 'read'} (${m.sub})`
      : m.type === 'warning' && m.sub === 'suppressed'
        ? 'warning (suppressed by WARN_ONCE)'
        : m.type === 'report' || m.type === 'sleep'
          ? String(ev.type)
          : m.type === 'flow'
            ? flowWhat(ev)
            : m.type;
  return `${what} — tick ${m.tick}, CPU ${m.cpu}, ${run.contexts[m.ctx] ?? 'no context'}`;
}

function keyName(run: RunView, id: number): string {
  const k = run.keys.find((x) => x.id === id);
  return k ? `${k.name} (${id})` : String(id);
}

export function sourceLine(model: ViewModel, run: RunView, line: number): string | null {
  const src = model.sources[run.source];
  if (!src || line < 1) return null;
  return src.lines[line - 1] ?? null;
}

function pkrsBlock(panel: HTMLElement, run: RunView, pkrs: number): void {
  panel.appendChild(el('h3', {}, 'PKRS'));
  panel.appendChild(el('div', { id: 'pkrs-value' }, hex32(pkrs)));
  if (!run.cr4pks) panel.appendChild(el('p', { class: 'hint' }, 'CR4.PKS is clear: PKRS is not checked, nothing is protected.'));
  const t = el('table', { id: 'pkrs-table' });
  t.appendChild(row(['key', 'name', 'AD', 'WD', 'rights'], true));
  const declared = new Map(run.keys.map((k) => [k.id, k.name]));
  const others: string[] = [];
  for (const k of decodePkrs(pkrs)) {
    const name = declared.get(k.key);
    if (name === undefined && k.key !== 0) {
      if (k.ad || k.wd) others.push(`${k.key}:${k.ad ? 'AD' : ''}${k.wd ? 'WD' : ''}`);
      continue;
    }
    const tr = row([String(k.key), name ?? '(kernel)', k.ad ? '1' : '0', k.wd ? '1' : '0', describeKeyBits(k.ad, k.wd)]);
    tr.dataset.key = String(k.key);
    t.appendChild(tr);
  }
  panel.appendChild(t);
  if (others.length) panel.appendChild(el('p', { class: 'hint' }, `undeclared keys: ${others.join(' ')}`));
}

export function showMarker(panel: HTMLElement, model: ViewModel, run: RunView, m: MarkerView): void {
  clear(panel);
  panel.dataset.type = m.type;
  panel.appendChild(el('h3', { id: 'panel-title' }, markerTitle(run, m)));
  const t = el('table', { id: 'event-fields' });
  t.appendChild(row(['context', `${run.contexts[m.ctx] ?? '-'} (${String(m.ev.ctxKind ?? '')})`]));
  if (m.key >= 0) t.appendChild(row(['key', keyName(run, m.key)]));
  const page = m.ev.page;
  if (typeof page === 'number' && page >= 0) t.appendChild(row(['page', run.pages[page] ?? String(page)]));
  for (const [k, v] of Object.entries(m.ev)) {
    if (k === 'loc' || k === 'ctxKind' || k === 'page' || k === 'key' || v === undefined) continue;
    t.appendChild(row([k, fmt(k, v)]));
  }
  panel.appendChild(t);
  panel.appendChild(el('h3', {}, 'Source'));
  const loc = m.ev.loc as { line: number; col: number } | undefined;
  if (!loc) panel.appendChild(el('p', { class: 'hint' }, 'machine-internal event (no scenario statement)'));
  else {
    panel.appendChild(el('div', {}, `${run.file}:${loc.line}:${loc.col}`));
    const text = sourceLine(model, run, loc.line);
    if (text === null) panel.appendChild(el('p', { class: 'hint' }, '(the scenario source is not in this report)'));
    else panel.appendChild(el('pre', { id: 'source-line' }, `${String(loc.line).padStart(4)} | ${text}`));
  }
  pkrsBlock(panel, run, m.pkrs);
}

export function showSpan(panel: HTMLElement, run: RunView, i: number): void {
  const [cpu, s, e, depth, kind, ctx, owner] = run.spans.slice(i * SPAN_FIELDS, (i + 1) * SPAN_FIELDS);
  clear(panel);
  panel.dataset.type = 'frame';
  panel.appendChild(el('h3', { id: 'panel-title' }, `${FRAME_KINDS[kind!] ?? '?'} ${run.contexts[ctx!] ?? '?'}`));
  const t = el('table');
  t.appendChild(row(['CPU', String(cpu)]));
  t.appendChild(row(['depth', String(depth)]));
  if (owner !== ctx) t.appendChild(row(['handles a fault of', run.contexts[owner!] ?? '?']));
  t.appendChild(row(['from', String(s)]));
  t.appendChild(row(['to', String(e)]));
  panel.appendChild(t);
}

export function showBand(panel: HTMLElement, run: RunView, i: number): void {
  const [cpu, ki, s, e, state, scope] = run.bands.slice(i * BAND_FIELDS, (i + 1) * BAND_FIELDS);
  const whose = SCOPES[scope!] || 'closed';
  const k = run.keys[ki!];
  clear(panel);
  panel.dataset.type = 'band';
  panel.appendChild(el('h3', { id: 'panel-title' }, `key ${k?.name ?? '?'} ${KEY_STATES[state!] ?? '?'} on CPU ${cpu}`));
  const t = el('table');
  t.appendChild(row(['key', k ? `${k.name} (${k.id}), default ${k.default}` : '?']));
  t.appendChild(row(['whose', SCOPE_LABELS[whose]]));
  t.appendChild(row(['from', String(s)]));
  t.appendChild(row(['to', String(e)]));
  t.appendChild(row(['length', String(Math.round((e! - s!) * 1000) / 1000) + ' ticks']));
  panel.appendChild(t);
}

type Summary = RunView['summary'];

/** The summary, grouped: what happened to legitimate code, to strays, and what it cost. */
const GROUPS: { title: string; rows: [string, (s: Summary) => string, (keyof Summary)[]][] }[] = [
  {
    title: 'Legitimate accesses',
    rows: [
      ['accesses', (s) => String(s.legitAccesses), ['legitAccesses']],
      ['broken (oops)', (s) => String(s.legitBroken), ['legitBroken']],
      ['warned', (s) => String(s.legitWarned), ['legitWarned']],
      ['pardoned silently', (s) => String(s.legitSilent), ['legitSilent']],
    ],
  },
  {
    title: 'Strays',
    rows: [
      ['accesses', (s) => String(s.strayAccesses), ['strayAccesses']],
      ['caught / warned / missed', (s) => `${s.straysCaught} / ${s.straysWarned} / ${s.straysMissed}`, ['straysCaught', 'straysWarned', 'straysMissed']],
      ['exposure (read, write)', (s) => `${s.exposure} (${s.exposureRead}, ${s.exposureWrite})`, ['exposure', 'exposureRead', 'exposureWrite']],
      ['key open / of which unscoped', (s) => `${s.keyOpenTicks} / ${s.unscopedTicks}`, ['keyOpenTicks', 'unscopedTicks']],
    ],
  },
  {
    title: 'Cost and trouble',
    rows: [
      ['#PF', (s) => String(s.faults), ['faults']],
      ['PKRS writes (skipped)', (s) => `${s.pkrsWrites} (${s.pkrsWritesSkipped})`, ['pkrsWrites', 'pkrsWritesSkipped']],
      ['IPIs', (s) => String(s.ipis), ['ipis']],
      ['warnings (sites, suppressed)', (s) => `${s.warnings} (${s.warningSites}, ${s.warningsSuppressed})`, ['warnings', 'warningSites', 'warningsSuppressed']],
      ['oopses / panics', (s) => `${s.oopses} / ${s.panics}`, ['oopses', 'panics']],
      ['leaks, LIFO, reports', (s) => `${s.leaks}, ${s.lifoViolations}, ${s.reports}`, ['leaks', 'lifoViolations', 'reports']],
      ['pkmap sleeps', (s) => String(s.pkmapSleeps), ['pkmapSleeps']],
      ['ticks, finished', (s) => `${s.ticks}, ${s.finished ? 'yes' : 'no'}`, ['ticks', 'finished']],
    ],
  },
];

/** Every summary metric the grouped tables show (a test checks that none is left out). */
export const SUMMARY_METRICS: string[] = GROUPS.flatMap((g) => g.rows.flatMap((r) => r[2]));

/** The grouped summary of the runs given (the runs of the scenario shown), the current one marked. */
export function fillSummary(box: HTMLElement, model: ViewModel, runs: number[], current: number): void {
  clear(box);
  for (const g of GROUPS) {
    const t = el('table', { class: 'sum' });
    const head = row([g.title, ...runs.map((i) => model.runs[i]!.label)], true);
    runs.forEach((i, j) => {
      if (i === current) head.children[j + 1]?.classList.add('cur');
    });
    t.appendChild(head);
    for (const [name, fmt, metrics] of g.rows) {
      const values = runs.map((i) => fmt(model.runs[i]!.summary));
      const tr = row([name, ...values]);
      tr.dataset.metric = metrics.join(',');
      if (new Set(values).size > 1) tr.classList.add('diff');
      t.appendChild(tr);
    }
    box.appendChild(t);
  }
}

export function fillExpectations(section: HTMLElement, run: RunView): void {
  clear(section);
  if (!run.expectations.length) return;
  section.appendChild(el('h2', {}, `Expectations (${run.choice})`));
  const t = el('table');
  t.appendChild(row(['expectation', 'actual', 'result'], true));
  for (const x of run.expectations) {
    const tr = row([`${run.file}:${x.line}: ${x.text}`, String(x.actual), x.ok ? 'ok' : 'FAILED']);
    tr.lastElementChild?.setAttribute('class', x.ok ? 'ok' : 'bad');
    t.appendChild(tr);
  }
  section.appendChild(t);
}
