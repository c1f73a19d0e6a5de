// Stage 4d: get/put helper pairs. A function that returns a kmap() mapping (through its
// return value or an out-parameter) is a "get" helper; a function that kunmap()s something
// derived from one of its parameters is a "put" helper. The site is local when every caller
// in the file releases what it got with a put helper on every path and keeps the address to
// itself.

import type { Node } from 'web-tree-sitter';
import type { FileModel, FnInfo } from './calls.js';
import type { SiteWork } from './classify.js';
import { traceValue } from './escape.js';
import { analysePaths, type PathEvent } from './paths.js';

export interface HelperVerdict {
  class: 'local' | 'global' | 'unclear';
  reasons: string[];
}

function putHelpers(model: FileModel, getter: FnInfo): FnInfo[] {
  const out: FnInfo[] = [];
  for (const c of model.calls) {
    if (c.name !== 'kunmap' || !c.fn || c.fn === getter || out.includes(c.fn)) continue;
    const params = c.fn.params.map((p) => p.name);
    if (params.some((p) => new RegExp(`\\b${p}\\b`).test(c.argText))) out.push(c.fn);
  }
  return out;
}

function enclosingFn(model: FileModel, n: Node): FnInfo | null {
  return model.fnOf(n);
}

export function checkHelperPair(model: FileModel, getter: FnInfo, _w: SiteWork | null, depth = 2, given?: FnInfo[]): HelperVerdict {
  const puts = given ?? putHelpers(model, getter);
  const callers = model.callsTo(getter.name).map((n) => ({ n, fn: enclosingFn(model, n) })).filter((c) => c.fn && c.fn !== getter);
  const where = getter.isStatic ? '' : ` (${getter.name}() is not static: callers in other files are not seen)`;
  if (!callers.length) {
    return { class: 'unclear', reasons: [`${getter.name}() hands the mapping to its callers, and none is in this file${where}`] };
  }
  if (!puts.length) {
    return { class: 'unclear', reasons: [`${getter.name}() hands the mapping to its callers, and no put helper in this file kunmap()s a page it is given`] };
  }
  const putNames = new Set(puts.map((p) => p.name));
  const bad: string[] = [];
  let global = false;
  const good: string[] = [];
  for (const { n, fn } of callers) {
    const c = fn!;
    const putCalls = [...putNames].flatMap((p) => model.callsTo(p).filter((x) => enclosingFn(model, x) === c));
    const esc = traceValue(model, c, n, 0);
    const g = esc.facts.find((f) => f.verdict === 'global');
    if (g) {
      global = true;
      bad.push(`caller ${c.name}() ${g.text.replace(/^the address/, `keeps the address from ${getter.name}():`)} (line ${g.line})`);
      continue;
    }
    const r = esc.facts.find((f) => f.verdict === 'returned');
    if (r) {
      // A chain of getters (find_entry() calling get_page()): check the outer getter's callers.
      const outer = depth > 0 && !putCalls.length ? checkHelperPair(model, c, null, depth - 1, puts) : null;
      if (outer?.class === 'local') good.push(`${c.name}() (itself a getter whose callers all put)`);
      else if (outer?.class === 'global') {
        global = true;
        bad.push(`caller ${c.name}() passes the mapping on (line ${r.line}): ${outer.reasons.join('; ')}`);
      } else bad.push(`caller ${c.name}() passes the mapping on to its own callers (line ${r.line})${outer ? ': ' + outer.reasons.join('; ') : ''}`);
      continue;
    }
    if (!putCalls.length) {
      bad.push(`caller ${c.name}() (line ${n.startPosition.row + 1}) never calls ${[...putNames].join('/')}()`);
      continue;
    }
    const events = new Map<number, PathEvent>([[n.id, { kind: 'map', site: 0 }]]);
    for (const p of putCalls) events.set(p.id, { kind: 'unmap', sites: [0] });
    const guards = new Map(esc.vars.map((v) => [v, [0]]));
    const live = analysePaths(c.body, events, guards).liveAtReturn.get(0) ?? [];
    if (live.length) bad.push(`caller ${c.name}() does not call ${[...putNames].join('/')}() on the path returning at line ${live.join(', ')}`);
    else good.push(`${c.name}()`);
  }
  if (global) return { class: 'global', reasons: bad };
  if (bad.length) return { class: 'unclear', reasons: bad };
  return {
    class: getter.isStatic ? 'local' : 'unclear',
    reasons: [
      `get/put helper pair ${getter.name}()/${[...putNames].join('/')}(): every caller in this file (${good.join(', ')}) releases the mapping on every path and keeps the address to itself${where}`,
    ],
  };
}
