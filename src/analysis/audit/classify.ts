// Stage 4c: put the stages together for one file: match unmaps to maps, walk the paths,
// follow the addresses, and give every kmap() site a class with reasons.

import type { Node, Tree } from 'web-tree-sitter';
import { buildModel, type CallInfo, type FileModel, type FnInfo } from './calls.js';
import { posOf } from './lines.js';
import { traceValue } from './escape.js';
import { firstError, inErrorRegion, norm } from './parse.js';
import { analysePaths, type PathEvent, type PathReport } from './paths.js';
import { putHelpers, type Scope, type ScopeFile } from './helpers.js';
import { planFixes } from './fix.js';
import { addrBase, firstElementUnmap, loopAlias, loopStores, pageAliases, pageOfAddr } from './shapes.js';
import { classifyKmap } from './decide.js';
import { analyseAtomic } from './atomic.js';
import type { Callees } from './callees.js';
import type { FileResult, Finding, Site, UnmapRef } from './types.js';
import type { SiteWork } from './work.js';

export type { SiteWork } from './work.js';

function pos(n: Node): { line: number; column: number } {
  return { line: n.startPosition.row + 1, column: n.startPosition.column + 1 };
}

const lines = (xs: number[]) => (xs.length === 1 ? `line ${xs[0]}` : `lines ${xs.join(', ')}`);

/** Does this file have a kmap() site that other files of the tree could decide? */
function needsTree(works: SiteWork[]): boolean {
  return works.some((w) => w.crossFile && w.site.class !== 'local');
}

export interface AnalyseOpts {
  fix?: boolean;
  atomic?: boolean;
  callees?: Callees;
  /** Whole-tree mode: the other files of the subsystem, for callers and put helpers. */
  others?: ScopeFile[];
  /** Whole-tree mode: functions assigned to struct members (see FileModel.members). */
  members?: FileModel['members'];
  dir?: string;
}

export function analyseFile(rel: string, source: string, tree: Tree, opts: AnalyseOpts = {}): FileResult {
  const model = buildModel(tree, source);
  if (opts.callees) model.callees = opts.callees;
  if (opts.members) model.members = opts.members;
  const scope: Scope = { files: [{ rel, model }, ...(opts.others ?? [])], tree: Boolean(opts.others), dir: opts.dir ?? '.' };
  const res: FileResult = { file: rel, parsed: true, hasErrors: tree.rootNode.hasError, sites: [], findings: [], calls: {}, fixes: [] };
  for (const c of model.calls) res.calls[c.name] = (res.calls[c.name] ?? 0) + 1;
  if (model.unmapMacros.length) res.putMacros = true;
  else if (!opts.others && rel.endsWith('.c') && model.calls.some((c) => c.name === 'kunmap')) {
    const own = putHelpers({ files: [{ rel, model }], tree: false, dir: '.' }, '');
    if (own.every((h) => h.fn?.isStatic)) res.privateUnmaps = true;
  }
  const works: SiteWork[] = [];
  for (const c of model.calls) {
    if (c.name === 'kunmap' || c.name === 'kunmap_local' || c.name === 'kunmap_atomic') continue;
    const esc = traceValue(model, c.fn, c.node);
    const site: Site = {
      file: rel,
      ...pos(c.node),
      endLine: c.node.endPosition.row + 1,
      endColumn: c.node.endPosition.column + 1,
      call: c.name,
      class: c.name === 'kmap' ? 'unclear' : 'already-local',
      function: c.fn?.name ?? null,
      reason: '',
      reasons: [],
      arg: c.argText,
      addr: esc.vars[0] ?? null,
      unmaps: [],
      depth: 1,
      lifoOk: true,
      inErrorRegion: inErrorRegion(c.node),
    };
    if (c.viaMacro) site.viaMacro = c.viaMacro;
    works.push({ site, call: c, esc, unmapNodes: [] });
  }
  const finding = (f: Finding) => res.findings.push(f);
  // A kmap() converted to kmap_local_page() (or a kmap_atomic()) whose address still goes to
  // another context: that context may run after the kunmap_local(), or on another CPU.
  works.forEach((w, i) => {
    if (w.site.call === 'kmap') return;
    const h = w.esc.facts.find((f) => f.handoff);
    if (h)
      finding({
        kind: 'local-handed-off',
        ...pos(w.call.node),
        site: i,
        message: `${w.site.call}() address handed to another context: ${h.text} (line ${h.line}); a ${w.site.call}() mapping is valid only in the thread that made it, until it is unmapped: keep kmap(), or hand over the page and map it there`,
      });
  });

  // Match unmaps to sites, function by function, and walk the paths.
  const byFn = new Map<FnInfo, number[]>();
  works.forEach((w, i) => {
    if (!w.call.fn) return;
    const l = byFn.get(w.call.fn) ?? [];
    l.push(i);
    byFn.set(w.call.fn, l);
  });
  const pathReports = new Map<FnInfo, PathReport>();
  const unmatchedKunmaps: CallInfo[] = [];
  for (const u of model.calls) {
    if (u.name !== 'kunmap' && u.name !== 'kunmap_local' && u.name !== 'kunmap_atomic') continue;
    const here = (u.fn && byFn.get(u.fn)) || [];
    const argN = norm(u.argText);
    const base = addrBase(u.arg, u.argText);
    let matched: number[];
    if (u.name === 'kunmap') {
      // `pg = pages[i]; kunmap(pg);` in an exit loop releases what `kmap(pages[i])` mapped.
      const via = /^\w+$/.test(argN) ? loopAlias(u.node, argN) : null;
      matched = via
        ? here.filter((i) => {
            const w = works[i]!;
            if (w.site.call !== 'kmap') return false;
            const a = norm(w.site.arg);
            const held = [loopAlias(w.call.node, a), ...loopStores(w.call.node, a)].filter((x): x is string => !!x);
            return a === via || held.includes(via) || (a === argN && !held.length);
          })
        : here.filter((i) => works[i]!.site.call === 'kmap' && (pageAliases(u.fn, works[i]!.site.arg).has(argN) || firstElementUnmap(u.fn, works[i]!.site.arg, argN)));
      const viaAddr = pageOfAddr(u.argText);
      if (!matched.length && viaAddr) matched = here.filter((i) => works[i]!.site.call === 'kmap' && works[i]!.esc.vars.includes(viaAddr.replace(/[+-].*$/, '')));
      if (!matched.length) {
        const byAddr = here.filter((i) => works[i]!.esc.vars.includes(base));
        const local = here.filter((i) => works[i]!.site.call !== 'kmap' && norm(works[i]!.site.arg) === argN);
        const v = u.fn?.locals.get(base) ?? u.fn?.params.find((p) => p.name === base);
        if (byAddr.length) {
          finding({
            kind: 'kunmap-wrong-arg',
            ...pos(u.node),
            site: byAddr[0],
            message: `kunmap(${u.argText}) is given the address returned by ${works[byAddr[0]!]!.site.call}() at line ${works[byAddr[0]!]!.site.line}; kunmap() takes the struct page (${works[byAddr[0]!]!.site.arg})`,
          });
          matched = byAddr;
        } else if (local.length) {
          finding({
            kind: 'unmap-wrong-kind',
            ...pos(u.node),
            site: local[0],
            message: `kunmap(${u.argText}) releases a mapping made by ${works[local[0]!]!.site.call}() at line ${works[local[0]!]!.site.line}; that needs ${works[local[0]!]!.site.call === 'kmap_atomic' ? 'kunmap_atomic' : 'kunmap_local'}(address)`,
          });
          matched = local;
        } else if (v && /^\w+$/.test(argN) && !/\bpage\b|\bfolio\b/.test(v.type)) {
          finding({ kind: 'kunmap-wrong-arg', ...pos(u.node), message: `kunmap(${u.argText}): ${base} is declared '${v.type.trim()}', not a struct page *` });
        } else unmatchedKunmaps.push(u);
      }
    } else {
      matched = here.filter((i) => works[i]!.site.call !== 'kmap' && (works[i]!.esc.vars.includes(base) || norm(works[i]!.call.node.text) === base));
      if (!matched.length) {
        const k = here.filter((i) => works[i]!.site.call === 'kmap' && works[i]!.esc.vars.includes(base));
        if (k.length) {
          finding({
            kind: 'unmap-wrong-kind',
            ...pos(u.node),
            site: k[0],
            message: `${u.name}(${u.argText}) releases a mapping made by kmap() at line ${works[k[0]!]!.site.line}; that needs kunmap(${works[k[0]!]!.site.arg})`,
          });
          matched = k;
        }
      }
    }
    for (const i of matched) {
      const ref: UnmapRef = { ...pos(u.node), call: u.name, arg: u.argText };
      works[i]!.site.unmaps.push(ref);
      works[i]!.unmapNodes.push(u.node);
    }
    if (u.fn && matched.length) {
      (u as CallInfo & { matched?: number[] }).matched = matched;
    }
  }
  // The matched unmaps of each function, gathered in one pass (not one pass per function).
  const unmapsByFn = new Map<FnInfo, CallInfo[]>();
  for (const u of model.calls) {
    if (!u.fn || !(u as CallInfo & { matched?: number[] }).matched) continue;
    const l = unmapsByFn.get(u.fn);
    if (l) l.push(u);
    else unmapsByFn.set(u.fn, [u]);
  }
  for (const [fn, idxs] of byFn) {
    const events = new Map<number, PathEvent>();
    for (const i of idxs) events.set(works[i]!.call.node.id, { kind: 'map', site: i });
    for (const u of unmapsByFn.get(fn) ?? []) events.set(u.node.id, { kind: 'unmap', sites: (u as CallInfo & { matched: number[] }).matched });
    const guards = new Map<string, number[]>();
    for (const i of idxs) {
      const page = norm(works[i]!.site.arg);
      // `if (ppages) kunmap(*ppages);`: a NULL holder means nothing was mapped through it.
      const holder = /^\*?(\w+)(?:->\w+)*$/.exec(page)?.[1];
      const names = holder ? [...works[i]!.esc.vars, holder] : [...works[i]!.esc.vars];
      // `if (i < n) kunmap(A[i])`: with the index out of range no element of A is mapped.
      for (const u of works[i]!.site.unmaps) {
        const ix = /^(.+)\[(\w+)\]$/.exec(norm(u.arg));
        if (ix && (norm(works[i]!.site.arg) === norm(u.arg) || firstElementUnmap(fn, works[i]!.site.arg, norm(u.arg)))) names.push(ix[2]!);
      }
      for (const v of names) guards.set(v, [...(guards.get(v) ?? []), i]);
    }
    const nodes = [...idxs.map((i) => works[i]!.call.node), ...(unmapsByFn.get(fn) ?? []).map((u) => u.node)];
    pathReports.set(fn, analysePaths(fn.body, events, guards, undefined, nodes));
  }

  // LIFO: today (among kmap_local/kmap_atomic) and after converting kmap() sites.
  for (const [, rep] of pathReports) {
    for (const v of rep.lifo) {
      const w = works[v.site]!;
      const aboveSites = v.above.map((i) => works[i]!);
      const all = [w, ...aboveSites];
      const today = all.every((x) => x.site.call !== 'kmap');
      const names = [...new Set(aboveSites.map((x) => `${x.site.call}() at line ${x.site.line}`))].join(', ');
      if (today) {
        finding({
          kind: 'lifo-violation',
          ...pos(v.node),
          site: v.site,
          message: `${w.site.call}() mapping from line ${w.site.line} is released while ${names} is still mapped: kmap_local mappings must be released in reverse order`,
        });
      } else {
        for (const x of all) if (x.site.call === 'kmap') x.site.lifoOk = false;
        finding({
          kind: 'lifo-after-conversion',
          ...pos(v.node),
          site: v.site,
          message: `mapping from line ${w.site.line} is released before ${names}: after conversion to kmap_local_page() these unmaps must be reordered (reverse order of mapping)`,
        });
      }
    }
    for (const [i, d] of rep.depth) works[i]!.site.depth = d;
  }

  // Classify kmap() sites.
  // Unmatched kunmap() calls by the last component of their argument (`x->page` -> `page`).
  const byLeaf = new Map<string, CallInfo[]>();
  for (const u of unmatchedKunmaps) {
    if (!u.fn) continue;
    const leaf = norm(u.argText).replace(/^.*(->|\.)/, '');
    const l = byLeaf.get(leaf);
    if (l) l.push(u);
    else byLeaf.set(leaf, [u]);
  }
  for (const [wi, w] of works.entries()) {
    const s = w.site;
    const fnErr = !s.inErrorRegion && w.call.fn ? (w.call.fn.pseudo ? w.call.fn.node : firstError(w.call.fn.node)) : null;
    if (s.inErrorRegion)
      finding({
        kind: 'error-region',
        line: s.line,
        column: s.column,
        site: wi,
        message: `${s.call}() call sits in a region tree-sitter could not parse (a macro or #ifdef it cannot see through); the result is based on the part of the tree that parsed`,
      });
    else if (fnErr) {
      s.inErrorRegion = true;
      s.errorLine = fnErr.startPosition.row + 1;
      finding({
        kind: 'error-region',
        line: s.line,
        column: s.column,
        site: wi,
        message: `${s.call}() call is in ${w.call.fn!.name}(), which does not parse cleanly (line ${s.errorLine}: a macro or #ifdef tree-sitter cannot see through); the result is based on the part of the tree that parsed`,
      });
    }
    if (s.call !== 'kmap') {
      const live = (w.call.fn && pathReports.get(w.call.fn)?.liveAtReturn.get(wi)) || [];
      s.reason = res.findings.some((f) => f.kind === 'local-handed-off' && f.site === wi)
        ? `${s.call}() is thread-local, but its address leaves this thread [local-handed-off]`
        : `${s.call}() is already thread-local`;
      if (s.unmaps.length && live.length) {
        finding({
          kind: 'missing-unmap',
          line: s.line,
          column: s.column,
          site: wi,
          message: `${s.call}() mapping is released on some paths (${lines(s.unmaps.map((u) => u.line))}) but still live at the return on ${lines(live)}`,
        });
      }
      s.reasons = [s.reason];
      continue;
    }
    classifyKmap(scope, w, wi, pathReports, byLeaf, finding);
  }

  // Calls inside macro bodies that are not simple wrappers.
  for (const m of model.macroSites) {
    if (m.name !== 'kmap') continue;
    const p = posOf(source, m.index);
    const uses = model.callsTo(m.macro).length;
    const reason = `inside the body of macro ${m.macro}(), which expands at ${uses} call site(s) in this file; decide at each expansion`;
    res.sites.push({
      file: rel,
      ...p,
      endLine: p.line,
      endColumn: p.column + 4,
      call: 'kmap',
      class: 'unclear',
      function: null,
      reason,
      reasons: [reason],
      arg: '',
      addr: null,
      unmaps: [],
      depth: 1,
      lifoOk: true,
      inErrorRegion: false,
      viaMacro: m.macro,
    });
  }
  // Not unshift(...sites): a spread's size is bounded by the stack (140,000 sites overflowed it).
  res.sites = works.map((w) => w.site).concat(res.sites);
  if (!opts.others && needsTree(works)) {
    // The names other files must mention to matter: the undecided sites' functions and, two
    // levels up, their callers in this file (getter chains such as find_entry() -> get_page()).
    const names = new Set(works.filter((w) => w.crossFile && w.call.fn).map((w) => w.call.fn!.name));
    for (let k = 0; k < 2; k++) for (const n of [...names]) for (const c of model.callsTo(n)) if (model.fnOf(c)) names.add(model.fnOf(c)!.name);
    // A static function of a .c file cannot be named by another file: no need to look for it.
    res.defs = [...names].filter((n) => rel.endsWith('.h') || !model.fnByName.get(n)?.isStatic).sort();
  }
  // Planning is cheap and tells each local site whether --fix can convert it; the edits
  // themselves are only kept when asked for.
  const fixes = planFixes(model, works, pathReports);
  const atomicFixes = analyseAtomic(model, works, res.findings, Boolean(opts.fix && opts.atomic));
  if (opts.fix) res.fixes = [...fixes, ...atomicFixes];
  res.sites.sort((a, b) => a.line - b.line || a.column - b.column);
  res.findings.sort((a, b) => a.line - b.line || a.column - b.column);
  // Findings refer to sites by index: re-index after sorting.
  const order = new Map(works.map((w, i) => [i, res.sites.indexOf(w.site)]));
  for (const f of res.findings) if (f.site !== undefined) f.site = order.get(f.site);
  for (const fx of res.fixes) fx.site = order.get(fx.site) ?? fx.site;
  return res;
}
