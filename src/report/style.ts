// The report's stylesheet, inlined in the HTML. Colours come from palette.ts.

import { FRAME_COLORS, SCOPE_COLORS } from './palette.js';

const vars = (prefix: string, o: Record<string, string>): string =>
  Object.entries(o)
    .map(([k, v]) => `--${prefix}${k}:${v}`)
    .join(';');

export const REPORT_CSS = `
:root{--fg:#1d2330;--muted:#667085;--bg:#fff;--line:#d0d5dd;--panel:#f7f8fa;
${vars('', FRAME_COLORS)};
${vars('scope-', SCOPE_COLORS)}}
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:10px 16px 4px}
h1{font-size:18px;margin:0 0 2px}
h2{font-size:15px;margin:16px 0 6px}
#meta{color:var(--muted)}
#controls{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;padding:6px 16px;border-bottom:1px solid var(--line)}
#controls label{white-space:nowrap}
.group{display:flex;gap:4px;align-items:center}
button{font:inherit;padding:2px 8px;border:1px solid var(--line);background:#fff;border-radius:4px;cursor:pointer}
button.on{background:var(--fg);color:#fff;border-color:var(--fg)}
#legend{display:flex;flex-wrap:wrap;gap:4px 12px;padding:4px 16px;color:var(--muted)}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px;border:1px solid rgba(0,0,0,.2)}
#main,#lower{display:flex;align-items:stretch}
#timeline{flex:1;min-width:0;overflow:hidden;user-select:none;cursor:grab}
#timeline svg{display:block}
#panel{width:400px;flex:none;background:var(--panel);border-left:1px solid var(--line);padding:8px 12px;min-height:240px;max-height:360px;overflow:auto}
#events{width:400px;flex:none;border-left:1px solid var(--line);display:flex;flex-direction:column;max-height:80vh}
.bar{padding:4px 8px;border-bottom:1px solid var(--line);display:flex;gap:6px;align-items:center;flex-wrap:wrap}
#event-filter{width:110px}
#event-list{overflow:auto;flex:1;min-height:120px;font:12px/1.5 ui-monospace,Menlo,Consolas,monospace;position:relative}
.ev{display:grid;grid-template-columns:44px 22px 130px 1fr;gap:4px;padding:0 6px;cursor:pointer;white-space:nowrap;overflow:hidden}
.ev span{overflow:hidden;text-overflow:ellipsis}
.ev:hover{background:#eef2f6}
.ev.out{color:#98a2b3}
.ev.sel{background:#1d2330;color:#fff}
#log{flex:1;min-width:0;border-top:1px solid var(--line);display:flex;flex-direction:column}
#log-lines{overflow:auto;max-height:360px;font:12px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre;position:relative;padding:2px 0}
.ln{padding:0 8px}
.ln.linked{cursor:pointer}
.ln.linked:hover{background:#eef2f6}
.ln.hl{background:#fff3b0}
.tabs{flex-wrap:wrap;max-width:100%}
.lg{display:inline-flex;flex-wrap:wrap;gap:2px 10px;align-items:center;margin-right:14px}
.lg b{color:var(--fg);font-weight:600}
.sw.dot{border-radius:50%}
.axis-strip{fill:#f2f4f7;cursor:crosshair}
.cursor line{stroke:#101828;stroke-width:1.2;stroke-dasharray:4 3;pointer-events:none}
.cursor text{font-size:10px;font-weight:700;fill:#101828}
.flow{fill:none;stroke:#0e7c86;stroke-width:1.3;opacity:.85}
.flow:hover{stroke-width:2.5;opacity:1}
.flow-ipi{stroke-dasharray:5 3}
.flow-wakeup{stroke-dasharray:1.5 2.5}
.arrowhead{fill:#0e7c86}
.badge{font-size:10px;font-weight:700;fill:#101828;cursor:zoom-in}
.marker.hollow{stroke-width:1.6}
.marker.hl{stroke:#f5b700;stroke-width:2.4}
.marker.buried{opacity:.35}
.plot-base{stroke:var(--line)}
.plot-area{opacity:.75}
#summary-table{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
#panel h3{margin:0 0 6px;font-size:14px}
#panel table{border-collapse:collapse;width:100%}
#panel td,#panel th{padding:1px 6px 1px 0;text-align:left;vertical-align:top}
#panel pre{white-space:pre-wrap;background:#fff;border:1px solid var(--line);padding:4px 6px;margin:4px 0}
.hint{color:var(--muted)}
.lane-label{font-weight:600;fill:var(--fg)}
.key-label{fill:var(--muted);font-size:11px}
.span-label{fill:#fff;font-size:11px;pointer-events:none}
.axis text{fill:var(--muted);font-size:10px}
.axis line{stroke:var(--line)}
.span{stroke:#fff;stroke-width:.5}
.span.dim{opacity:.2}
.band{shape-rendering:crispEdges}
.marker{cursor:pointer;stroke:#000;stroke-width:.6}
.marker:hover,.marker.sel{stroke-width:2}
#tooltip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;padding:3px 7px;border-radius:3px;font-size:12px;display:none;max-width:420px;z-index:10}
#summary,#expectations{padding:0 16px 16px}
#summary table,#expectations table{border-collapse:collapse}
#summary th{background:#f7f8fa}
#summary td,#summary th,#expectations td,#expectations th{border:1px solid var(--line);padding:2px 8px;text-align:right}
#summary th:first-child,#summary td:first-child,#expectations td{text-align:left}
#summary th.cur{background:#eef2f6}
#summary tr.diff td{font-weight:600}
.bad{color:#b42318;font-weight:600}
.ok{color:#067647}
`;
