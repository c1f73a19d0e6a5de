// The self-contained HTML report: a static skeleton (no user text in markup), the view model as
// JSON in <script type="application/json">, and the viewer script that draws it with DOM APIs
// (textContent only). A Content-Security-Policy forbids any network access and any script but
// the inlined viewer (by hash).

import { createHash } from 'node:crypto';
import type { RunResult } from '../sim/result.js';
import { buildViewModel, type ViewModel } from './model.js';
import { viewerScript } from './bundle.js';
import { REPORT_CSS } from './style.js';

export interface HtmlOptions {
  /** Page title; defaults to the scenario name(s). */
  title?: string;
  /** Scenario source text by file name, for results that carry no `source` of their own. */
  sources?: Record<string, string>;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators left raw. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderHtmlFromModel(model: ViewModel): string {
  const script = viewerScript();
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pksim">
<title>${escapeHtml(`pksim: ${model.title}`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1 id="title"></h1><div id="meta"></div></header>
<div id="controls">
<label id="scenario-pick">scenario <select id="scenario"></select></label>
<div class="group tabs" id="policies" role="tablist"></div>
<label>context <select id="ctx-filter"></select></label>
<div class="group" id="key-filter"></div>
<div class="group"><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">&minus;</button><button id="zoom-reset" title="whole run (0)">all</button><span id="range" class="hint"></span></div>
<div class="group"><span id="cursor-info"></span><button id="cursor-clear" title="remove both cursors">clear</button></div>
</div>
<div id="legend"></div>
<div id="main"><div id="timeline"></div><aside id="events"><div class="bar"><strong>Events</strong> <span id="event-count" class="hint"></span> <input id="event-filter" type="search" placeholder="filter" aria-label="filter events"> <select id="event-type" aria-label="event type"></select></div><div id="event-list"></div></aside></div>
<div id="lower"><section id="log"><div class="bar"><strong>Run log</strong> <span class="hint">click a line to show it on the timeline</span></div><div id="log-lines"></div></section><aside id="panel"><p class="hint">Click a marker, a frame or a band for details. Ctrl+wheel or +/&minus; zoom; drag, shift+wheel or arrow keys pan.</p></aside></div>
<section id="summary"><h2>Summary</h2><div id="summary-table"></div></section>
<section id="expectations"></section>
<div id="tooltip"></div>
<noscript>This report needs JavaScript to draw the timeline.</noscript>
<script type="application/json" id="pksim-data">${jsonForScript(model)}</script>
<script>${script}</script>
</body>
</html>
`;
}

/** One self-contained HTML file for one run, or several runs of a scenario (compare). */
export function renderHtml(results: RunResult[], opts: HtmlOptions = {}): string {
  if (results.length === 0) throw new Error('renderHtml: no results to render');
  return renderHtmlFromModel(buildViewModel(results, opts.title, opts.sources));
}
