// The report's stylesheet, inlined in the HTML.

export const REPORT_CSS = `
:root{--fg:#1d2330;--muted:#667085;--bg:#fff;--line:#d0d5dd;--panel:#f7f8fa;
--user:#4e79a7;--kthread:#59a14f;--worker:#76b7b2;--softirq:#f28e2b;--hardirq:#e15759;--nmi:#b07aa1;--exception:#9c755f;
--rw:#e8554e;--readonly:#f4c542;--closed:#d9e3ea}
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
#main{display:flex;align-items:flex-start}
#timeline{flex:1;min-width:0;overflow:hidden;user-select:none;cursor:grab}
#timeline svg{display:block}
#panel{width:340px;flex:none;background:var(--panel);border-left:1px solid var(--line);padding:8px 12px;min-height:240px;max-height:80vh;overflow:auto}
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
#summary td,#summary th,#expectations td,#expectations th{border:1px solid var(--line);padding:2px 8px;text-align:right}
#summary th:first-child,#summary td:first-child,#expectations td{text-align:left}
#summary th.cur{background:#eef2f6}
#summary tr.diff td{font-weight:600}
.bad{color:#b42318;font-weight:600}
.ok{color:#067647}
`;
