// Stage 4d: get/put helper pairs. A function that hands a kmap() mapping back to its caller
// (its return value, an out-parameter, or a field of a struct the caller passes in) is a
// "get" helper; a function that kunmap()s something derived from one of its parameters is a
// "put" helper. The site is local when every caller releases what it got with a put helper
// on every path and keeps the address to itself. Callers and put helpers are looked up in a
// scope of files: the site's own file, or (whole-tree mode) every file of its subsystem.

import type { Node } from 'web-tree-sitter';
import { type FnInfo } from './calls.js';
import { posOf } from './lines.js';
import { makeCallees, type Callees } from './callees.js';
import { traceValue } from './escape.js';
import type { HandBack } from './types.js';
import { stripWrappers } from './parse.js';
import { analysePaths, liveAt, type PathEvent } from './paths.js';
import { argAt, putHelpers, type PutHelper, type Scope, type ScopeFile } from './puts.js';

export { putHelpers, putReleases, type FoundHelper, type PutHelper, type Scope, type ScopeFile } from './puts.js';

export interface HelperVerdict {
  class: 'local' | 'global' | 'unclear';
  reasons: string[];
}

/** How a getter hands the mapping back. */
export type { HandBack } from './types.js';

interface Caller {
  n: Node;
  fn: FnInfo;
  file: ScopeFile;
}

const line = (n: Node) => n.startPosition.row + 1;

let builtinCallees: Callees | null = null;

/**
 * A function the subsystem assigns to an opening member of an operation pair in the callee data
 * (`.iomap_begin = erofs_iomap_begin`), whose ops also assign the closing member (`.iomap_end =
 * erofs_iomap_end`) a function that calls one of the put helpers: the core calls the closing
 * one after the opening one in the same task, so what the opening one hands over is released
 * there. The reason, or null.
 */
function pairedRelease(scope: Scope, fn: FnInfo, putNames: Set<string>): string | null {
  if (!/^\w+$/.test(fn.name)) return null;
  const known = scope.files[0]!.model.callees ?? (builtinCallees ??= makeCallees());
  for (const f of scope.files) {
    const src = f.model.source;
    if (!src.includes(fn.name)) continue;
    for (const m of src.matchAll(new RegExp(`\\.\\s*(\\w+)\\s*=\\s*&?\\s*${fn.name}\\b`, 'g'))) {
      const pair = known.pairOf(m[1]!);
      if (!pair) continue;
      const ops = enclosingBraces(src, m.index);
      if (!ops) continue;
      const end = new RegExp(`\\.\\s*${pair.fields[0]}\\s*=\\s*&?\\s*(\\w+)\\b`).exec(src.slice(ops.start, ops.end))?.[1];
      if (!end) continue;
      for (const g of scope.files) {
        const e = g.model.fnByName.get(end);
        if (!e) continue;
        const put = [...putNames].find((p) => g.model.callsTo(p).some((x) => g.model.fnOf(x)?.node.id === e.node.id));
        if (put) return `->${m[1]} of the ops at ${f.rel}:${posOf(src, m.index).line}, whose ->${pair.fields[0]} ${end}() calls ${put}(): ${pair.why} (${pair.origin})`;
      }
    }
  }
  return null;
}

/** The `{ ... }` around offset `at` (an initialiser), by brace counting; null if unbalanced. */
function enclosingBraces(src: string, at: number): { start: number; end: number } | null {
  let d = 0;
  let start = -1;
  for (let i = at; i >= 0 && at - i < 20_000; i--) {
    if (src[i] === '}') d++;
    else if (src[i] === '{' && d-- === 0) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  d = 0;
  for (let i = start; i < src.length && i - start < 40_000; i++) {
    if (src[i] === '{') d++;
    else if (src[i] === '}' && --d === 0) return { start, end: i + 1 };
  }
  return null;
}

function callersOf(scope: Scope, getter: FnInfo): Caller[] {
  const out: Caller[] = [];
  for (const file of scope.files) {
    for (const n of file.model.callsTo(getter.name)) {
      const fn = file.model.fnOf(n);
      if (fn && fn.node.id !== getter.node.id) out.push({ n, fn, file });
    }
  }
  return out;
}

/** `&cmd->iov_data[i]` -> cmd */
function rootOf(t: string): string | null {
  return /^[&*(\s]*(\w+)/.exec(t)?.[1] ?? null;
}

function argRoots(call: Node): string[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).map((x) => (x ? rootOf(x.text) : null)).filter((x): x is string => !!x);
}

/** The variable a call's result is assigned to (`err = get(...)`, `int err = get(...)`). */
function resultVar(n: Node): string | null {
  let top = n;
  while (top.parent && (top.parent.type === 'parenthesized_expression' || top.parent.type === 'cast_expression')) top = top.parent;
  const p = top.parent;
  if (p?.type === 'assignment_expression' && p.childForFieldName('right')?.id === top.id) return stripWrappers(p.childForFieldName('left')!).text;
  if (p?.type === 'init_declarator' && p.childForFieldName('value')?.id === top.id) return p.childForFieldName('declarator')?.text.replace(/^\*+\s*/, '') ?? null;
  return null;
}

function scopeWords(scope: Scope, getter: FnInfo): string {
  if (scope.tree) return `in ${scope.dir}/`;
  return `in this file${getter.isStatic ? '' : ` (${getter.name}() is not static: callers in other files are not seen without the whole-tree pass)`}`;
}

/**
 * The put helpers whose unmap has the shape of the getter's map: `kmap(bh->b_page)` pairs
 * with helpers that kunmap `x->b_page`, `kmap(page)` with those that kunmap a page parameter.
 * All of them when none fits (the reason then lists them all).
 */
function fitting(scope: Scope, getter: FnInfo, puts: PutHelper[]): PutHelper[] {
  const m = scope.files[0]!.model.calls.find((c) => c.name === 'kmap' && c.fn?.node.id === getter.node.id);
  if (!m) return puts;
  const arg = m.argText.replace(/\s+/g, '');
  const field = /->(\w+)$/.exec(arg)?.[1];
  if (!field && !/^\w+$/.test(arg)) return puts; // sg_page(sg) and the like: no shape to compare
  const fit = puts.filter((p) => p.unmaps === '?' || (field ? p.unmaps.endsWith(`->${field}`) : p.unmaps === '$'));
  return fit.length ? fit : puts;
}

export function checkHelperPair(scope: Scope, getter: FnInfo, how: HandBack, depth = 2, given?: PutHelper[]): HelperVerdict {
  const puts = given ?? fitting(scope, getter, putHelpers(scope, getter.name));
  const callers = callersOf(scope, getter);
  if (!callers.length) {
    return {
      class: 'unclear',
      reasons: [
        `${getter.name}() hands the mapping to its callers, and none is ${scopeWords(scope, getter)}${puts.length ? `; put helper ${puts.map((p) => `${p.where} ${p.name}()`).join(', ')} unmaps it` : ''}`,
      ],
    };
  }
  if (!puts.length) {
    // Without a put helper nothing can be local, but a caller that keeps the address decides global.
    if (how.kind === 'return') {
      for (const { n, fn: c, file } of callers) {
        const g = traceValue(file.model, c, n, 0).facts.find((f) => f.verdict === 'global');
        if (g)
          return {
            class: 'global',
            reasons: [
              `caller ${file.rel === scope.files[0]!.rel ? '' : file.rel + ':' + line(n) + ' '}${c.name}() ${g.text.replace(/^the address( \(in \w+\))?/, `keeps the address from ${getter.name}()$1:`)} (line ${g.line})`,
            ],
          };
      }
    }
    return {
      class: 'unclear',
      reasons: [`${getter.name}() hands the mapping to its callers, and no put helper ${scope.tree ? `in ${scope.dir}/` : 'in this file'} kunmap()s a page it is given`],
    };
  }
  const putNames = new Set(puts.map((p) => p.name));
  const putList = [...putNames].join('/');
  const bad: string[] = [];
  let global = false;
  const good: string[] = [];
  for (const { n, fn: c, file } of callers) {
    const m = file.model;
    const at = file.rel === scope.files[0]!.rel ? `${c.name}()` : `${file.rel}:${line(n)} ${c.name}()`;
    // The caller may also kunmap() the page it got directly (minix/sysv rename): a kunmap()
    // counts when its argument is what the getter handed back (an &out argument or the result).
    const handed = new Set([...argRoots(n).filter((_, k) => argAt(n, k)?.type === 'pointer_expression'), resultVar(n) ?? '']);
    const putCalls = [...putNames, 'kunmap'].flatMap((p) =>
      m.callsTo(p).filter((x) => m.fnOf(x)?.node.id === c.node.id && (p !== 'kunmap' || argRoots(x).some((r) => handed.has(r)))),
    );
    const errVars = new Set<string>();
    const guards = new Map<string, number[]>();
    if (how.kind === 'return') {
      const esc = traceValue(m, c, n, 0);
      const g = esc.facts.find((f) => f.verdict === 'global');
      if (g) {
        global = true;
        bad.push(`caller ${at} ${g.text.replace(/^the address( \(in \w+\))?/, `keeps the address from ${getter.name}()$1:`)} (line ${g.line})`);
        continue;
      }
      const r = esc.facts.find((f) => f.verdict === 'returned');
      if (r) {
        // A chain of getters (find_entry() calling get_page()): check the outer getter's callers.
        const outer = depth > 0 ? checkHelperPair(scope, c, { kind: 'return' }, depth - 1, puts) : null;
        if (outer?.class === 'local') good.push(`${c.name}() (itself a getter whose callers all put)`);
        else if (outer?.class === 'global') {
          global = true;
          bad.push(`caller ${at} passes the mapping on (line ${r.line}): ${outer.reasons.join('; ')}`);
        } else bad.push(`caller ${at} passes the mapping on to its own callers (line ${r.line})${outer ? ': ' + outer.reasons.join('; ') : ''}`);
        continue;
      }
      for (const v of esc.vars) guards.set(v, [0]);
    } else {
      // Handed back through the caller's storage: `&local` must be passed, or the caller's own
      // parameter (then the caller is a getter of the same kind, checked one level up).
      const a = argAt(n, how.param);
      // Its own parameter, or (for a struct) a struct inside what that parameter points to:
      // `&it->buf` lives wherever the caller's caller keeps `it`.
      const ownRoot = a && (a.type === 'identifier' ? a.text : how.kind === 'struct' ? /^&\s*(\w+)\s*->[\w.>-]+$/.exec(a.text.replace(/\s+/g, ''))?.[1] : undefined);
      const own = ownRoot ? c.params.findIndex((p) => p.name === ownRoot) : -1;
      const local = a && a.type === 'pointer_expression' && a.text.startsWith('&') ? stripWrappers(a.namedChild(0)!) : null;
      const lv = local?.type === 'identifier' ? c.locals.get(local.text) : undefined;
      if (own >= 0 && !putCalls.length) {
        const outer = depth > 0 ? checkHelperPair(scope, c, { kind: how.kind, param: own }, depth - 1, puts) : null;
        if (outer?.class === 'local') good.push(`${c.name}() (passes its caller's ${a!.text} on; its callers all put)`);
        else {
          if (outer?.class === 'global') global = true;
          bad.push(`caller ${at} passes its own parameter ${a!.text} on${outer ? ': ' + outer.reasons.join('; ') : ''}`);
        }
        continue;
      }
      if (!lv || (how.kind === 'struct' && lv.isPointer)) {
        // A struct that outlives the caller is still fine when the caller puts what it holds
        // (a put called on the same object) on every path before it returns.
        // "Same object": the put is given something the getter call was also given (cmd for
        // iscsit_map_iovec(cmd, iov, ...) / iscsit_unmap_iovec(cmd)).
        const roots = new Set(argRoots(n));
        const same = putCalls.filter((p) => p.childForFieldName('function')?.text !== 'kunmap' && argRoots(p).some((r) => roots.has(r)));
        if (how.kind !== 'struct' || !same.length || !a) {
          bad.push(`caller ${at} passes ${a?.text ?? 'nothing'}, not the address of a variable on its own stack`);
          continue;
        }
        putCalls.length = 0;
        for (const x of same) putCalls.push(x);
      }
      errVars.add(resultVar(n) ?? n.text.replace(/\s+/g, ''));
    }
    if (!putCalls.length) {
      // `->iomap_begin` hands the mapping to the core, which calls the same ops' `->iomap_end` next.
      const closer = pairedRelease(scope, c, putNames);
      if (closer) good.push(`${at} (${closer})`);
      else bad.push(`caller ${at} never calls ${putList}()`);
      continue;
    }
    const events = new Map<number, PathEvent>([[n.id, { kind: 'map', site: 0 }]]);
    // A struct holds one mapping at a time: its put releases it however often it was refilled.
    for (const p of putCalls) events.set(p.id, { kind: 'unmap', sites: [0], ...(how.kind === 'struct' ? { all: true } : {}) });
    for (const v of errVars) guards.set(v, [0]);
    const live = liveAt(analysePaths(c.body, events, guards, errVars, [n, ...putCalls]), 0, c.body);
    if (live.length) bad.push(`caller ${at} does not call ${putList}() on the path returning at line ${live.join(', ')}`);
    else good.push(at);
  }
  if (global) return { class: 'global', reasons: bad };
  if (bad.length) return { class: 'unclear', reasons: bad };
  const closed = getter.isStatic || scope.tree;
  return {
    class: closed ? 'local' : 'unclear',
    reasons: [
      `get/put helper pair ${getter.name}()/${putList}() (${puts.map((p) => `${p.where} ${p.name}() unmaps it`).join(', ')}): every caller ${scope.tree ? `in ${scope.dir}/` : 'in this file'} (${good.join(', ')}) releases the mapping on every path and keeps the address to itself${closed ? '' : ` (${getter.name}() is not static: callers in other files are not seen without the whole-tree pass)`}`,
    ],
  };
}
