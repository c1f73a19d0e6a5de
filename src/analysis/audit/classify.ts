// Stage 4c: put the stages together for one file: match unmaps to maps, walk the paths,
// follow the addresses, and give every kmap() site a class with reasons.

import type { Node, Tree } from 'web-tree-sitter';
import { buildModel, posOf, type CallInfo, type FileModel, type FnInfo } from './calls.js';
import { traceValue } from './escape.js';
import { firstError, inErrorRegion, norm } from './parse.js';
import { analysePaths, liveAt, MAX_NESTING, type PathEvent, type PathReport } from './paths.js';
import { checkHelperPair, putHelpers, type HandBack, type Scope, type ScopeFile } from './helpers.js';
import { planFixes } from './fix.js';
import {
  addrBase,
  clip,
  derivedReturn,
  firstElementUnmap,
  loopAlias,
  loopPaired,
  loopStores,
  pageAliases,
  pageHandedBack,
  pageOfAddr,
  putCallsFor,
  sameRangeUnmapLoops,
} from './shapes.js';
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
    pathReports.set(fn, analysePaths(fn.body, events, guards));
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
      s.reason = `${s.call}() is already thread-local`;
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

function classifyKmap(scope: Scope, w: SiteWork, idx: number, pathReports: Map<FnInfo, PathReport>, byLeaf: Map<string, CallInfo[]>, finding: (f: Finding) => void): void {
  const s = w.site;
  const fn = w.call.fn;
  const facts = w.esc.facts;
  const glob = facts.filter((f) => f.verdict === 'global');
  const unc = facts.filter((f) => f.verdict === 'unclear');
  const ret = facts.filter((f) => f.verdict === 'returned');
  const notes = facts.filter((f) => f.verdict === 'note');
  const live = (fn && pathReports.get(fn)?.liveAtReturn.get(idx)) || [];
  const R: string[] = [];
  const unmapLines = s.unmaps.map((u) => u.line);
  const partial = s.unmaps.length > 0 && live.length > 0;
  const elsewhere = () => {
    const leaf = norm(s.arg).replace(/^.*(->|\.)/, '');
    return (byLeaf.get(leaf) ?? []).filter((u) => u.fn !== fn);
  };
  if (s.viaMacro) R.push(`kmap() is reached through macro ${s.viaMacro}()`);
  if (s.inErrorRegion) R.push(s.errorLine ? `${fn?.name ?? 'the function'}() does not parse cleanly at line ${s.errorLine}` : 'the call sits in an unparsed (ERROR) region');
  const pair = (hand: HandBack) => {
    w.crossFile = true;
    const h = checkHelperPair(scope, fn!, hand);
    s.fixable = false;
    s.fixNote = 'get/put helper pair: convert the helpers and their callers by hand';
    return h;
  };
  const handedPage = fn && (!s.unmaps.length || partial) ? pageHandedBack(fn, s.arg) : null;
  const structHand = glob.length && glob.every((f) => f.hand?.kind === 'struct' && f.hand.param === (glob[0]!.hand as { param: number }).param) ? glob[0]!.hand! : null;
  const stackPair = fn && structHand && !s.unmaps.length ? pair(structHand) : null;
  if (fn && pathReports.get(fn)?.tooDeep) {
    s.class = 'unclear';
    R.push(`${fn.name}() nests statements or expressions more than ${MAX_NESTING} levels deep: its paths are not walked`);
  } else if (!fn) {
    s.class = 'global';
    pushAll(
      R,
      facts.map((f) => f.text),
    );
  } else if (stackPair?.class === 'local') {
    // The struct is the caller's local: its storage dies with the caller's frame.
    s.class = 'local';
    pushAll(
      R,
      glob.map((f) => `${f.text.replace(/, which outlives the call$/, '')}, a struct its callers pass in and release before they return (line ${f.line})`),
    );
    pushAll(R, stackPair.reasons);
  } else if (glob.length) {
    s.class = 'global';
    pushAll(
      R,
      glob.map((f) => `${f.text} (line ${f.line})`),
    );
    // The first caller that breaks the pair, shortened: the full chain is for --verbose readers of the JSON.
    if (stackPair?.reasons[0]) R.push(`not shown to be released by every caller: ${clip(stackPair.reasons[0], 200)}`);
    if (partial) R.push(`kunmap() only on some paths (${lines(unmapLines)}); on the path returning at ${lines(live)} the mapping stays live after ${fn.name}() returns`);
    else if (!s.unmaps.length) {
      const e = elsewhere();
      if (e.length) R.push(`unmapped in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))})`);
    }
  } else if (ret.length && (!s.unmaps.length || partial)) {
    const h = pair(ret[0]!.hand ?? { kind: 'return' });
    s.class = h.class;
    pushAll(
      R,
      ret.map((f) => f.text),
    );
    if (partial) R.push(`kunmap() only on the paths at ${lines(unmapLines)}, e.g. error paths; other paths hand the mapping back`);
    pushAll(R, h.reasons);
  } else if (handedPage) {
    const h = pair(handedPage.hand);
    s.class = h.class;
    R.push(`the page '${s.arg}' is handed back to the caller still mapped (${handedPage.what}, line ${handedPage.line || s.line})`);
    if (partial) R.push(`kunmap() only on the paths at ${lines(unmapLines)}, e.g. error paths`);
    pushAll(R, h.reasons);
  } else if (!s.unmaps.length && putCallsFor(scope, fn, s.arg).length) {
    // Released by a put helper (kunmap() + put_page()) called here, maybe defined in a header.
    const pc = putCallsFor(scope, fn, s.arg);
    const events = new Map<number, PathEvent>([
      [w.call.node.id, { kind: 'map', site: 0 }],
      ...pc.map((x) => [x.node.id, { kind: 'unmap', sites: [0] }] as [number, PathEvent]),
    ]);
    const page = norm(s.arg);
    const still = liveAt(analysePaths(fn.body, events, /^\w+$/.test(page) ? new Map([[page, [0]]]) : new Map<string, number[]>()), 0, fn.body);
    const who = [...new Set(pc.map((x) => `${x.put.where} ${x.put.name}()`))].join(', ');
    s.fixable = false;
    s.fixNote = `released by put helper ${pc[0]!.put.name}(): convert the helper and its callers together`;
    if (!still.length) {
      s.class = 'local';
      R.push(`the mapping stays in ${fn.name}() and is released on every path by put helper ${who} unmaps it (${lines(pc.map((x) => x.node.startPosition.row + 1))})`);
    } else {
      s.class = 'unclear';
      R.push(
        `released by put helper ${who} unmaps it (${lines(pc.map((x) => x.node.startPosition.row + 1))}), but the walk sees the mapping live at the return on ${lines(still)}`,
      );
    }
  } else if (!s.unmaps.length && derivedReturn(fn, w.esc.vars)) {
    // `return get_entry(..., kaddr)`: a pointer into the mapping goes back to the caller.
    const h = pair({ kind: 'return' });
    s.class = h.class;
    R.push(`a pointer derived from the address is returned to the caller (line ${derivedReturn(fn, w.esc.vars)})`);
    pushAll(R, h.reasons);
  } else if (!s.unmaps.length) {
    const e = elsewhere();
    if (e.length) {
      s.class = 'global';
      R.push(
        `not unmapped in ${fn.name}(): kunmap(${e[0]!.argText}) is in ${[...new Set(e.map((u) => u.fn!.name + '()'))].join(', ')} (${lines(e.map((u) => u.node.startPosition.row + 1))}), a different function reached from elsewhere`,
      );
    } else {
      s.class = 'unclear';
      w.crossFile = true;
      R.push(`no kunmap() of ${s.arg || 'the page'} in ${fn.name}() or elsewhere in this file (missing, or done by another file)`);
    }
  } else if (unc.length) {
    s.class = 'unclear';
    // An indirect call's targets may be assigned in other files of the subsystem.
    if (unc.some((f) => /indirect call .*target unknown/.test(f.text))) w.crossFile = true;
    pushAll(
      R,
      unc.map((f) => `${f.text} (line ${f.line})`),
    );
    if (partial) R.push(`kunmap() at ${lines(unmapLines)}; the walk sees the mapping live at the return on ${lines(live)}`);
  } else if (partial && loopPaired(w)) {
    const same = sameRangeUnmapLoops(w);
    const events = new Map<number, PathEvent>([
      [w.call.node.id, { kind: 'map', site: 0 }],
      ...same.map((l) => [l.id, { kind: 'unmap', sites: [0], all: true }] as [number, PathEvent]),
    ]);
    const still = same.length ? liveAt(analysePaths(fn.body, events), 0, fn.body) : [0];
    if (!still.length) {
      s.class = 'local';
      R.push(
        `mapped in a loop and unmapped in a loop over the same range (${lines(same.map((l) => l.startPosition.row + 1))}) that every path reaches: the mappings stay in ${fn.name}()`,
      );
      s.fixable = false;
      s.fixNote = `one mapping per loop iteration is held at once: kmap_local_page() allows a bounded number (KM_MAX_IDX) and needs the unmap loop reversed`;
    } else {
      s.class = 'unclear';
      R.push(`mapped in one loop and unmapped in another (${lines(unmapLines)}): the number of maps and unmaps cannot be matched statically`);
    }
  } else if (partial) {
    s.class = 'unclear';
    R.push(`not unmapped on every path: kunmap() at ${lines(unmapLines)}, but the mapping is still live at the return on ${lines(live)}`);
    finding({
      kind: 'missing-unmap',
      line: s.line,
      column: s.column,
      site: idx,
      message: `kmap(${s.arg}) is unmapped on some paths (${lines(unmapLines)}) but still mapped at the return on ${lines(live)}`,
    });
  } else {
    s.class = 'local';
    const where = w.esc.discarded ? 'the mapping is used only' : s.addr ? `the address (${w.esc.vars.join(', ')}) stays` : 'the address is used only';
    R.push(`${where} in ${fn.name}() and is unmapped on every path (${lines(unmapLines)})`);
  }
  if (s.class === 'local') for (const n of notes) R.push(`${n.text} (line ${n.line})`);
  if (s.class === 'global' && glob.length) s.escapes = glob.map((f) => ({ line: f.line, text: f.text }));
  if (s.class !== 'local' && unc.length && s.class !== 'unclear')
    pushAll(
      R,
      unc.map((f) => `also: ${f.text} (line ${f.line})`),
    );
  if (s.depth > 1) R.push(`nested: ${s.depth} mappings live at once here`);
  if (!s.lifoOk) R.push('unmaps would need reordering for kmap_local (LIFO)');
  s.reasons = R;
  s.reason = R.join('; ');
}

/** `to.push(...xs)` without the spread, whose size is bounded by the stack. */
function pushAll<T>(to: T[], xs: readonly T[]): void {
  for (const x of xs) to.push(x);
}
