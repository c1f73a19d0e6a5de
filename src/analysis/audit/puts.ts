// Stage 4d (part): put helpers in a scope of files. A "put" helper is a function (or a
// function-like macro) that kunmap()s something derived from one of its parameters, or that
// passes a parameter on to one; found once per scope, and per getter only when the getter (or
// a function calling it) is among them.

import type { Node } from 'web-tree-sitter';
import { nodesOf, type FileModel, type FnInfo } from './calls.js';
import { stripWrappers } from './parse.js';
export interface ScopeFile {
  rel: string;
  model: FileModel;
}

/** Files to look in: the site's file first. `tree` is false in per-file mode (for the wording). */
export interface Scope {
  files: ScopeFile[];
  tree: boolean;
  dir: string; // the directory searched in tree mode
}

export interface PutHelper {
  name: string;
  where: string; // file:line of its kunmap() (or of its call of another put helper)
  param: number; // the parameter it releases
  unmaps: string; // what it kunmap()s, with $ for that parameter: `$->b_page`, `$`
}

const line = (n: Node) => n.startPosition.row + 1;

/**
 * Functions (and static inline helpers in headers) that kunmap() something derived from a
 * parameter, and functions that pass a parameter on to one (minix_delete_entry() ends in
 * dir_put_page()). Neither the getter itself nor a function that calls it counts.
 */
export function putHelpers(scope: Scope, getter: string): FoundHelper[] {
  // The search without exclusions is done once per scope; a getter gets its own search only
  // when it (or a function that calls it) is among the helpers found, so that asking for every
  // function of a big file stays linear.
  let all = allHelpers.get(scope);
  if (!all) allHelpers.set(scope, (all = searchPutHelpers(scope, () => false)));
  const callers = new Map<ScopeFile, Set<number>>();
  const callsGetter = (f: ScopeFile, fn: FnInfo) => {
    let ids = callers.get(f);
    if (!ids) {
      ids = new Set();
      for (const x of f.model.callsTo(getter)) {
        const c = f.model.fnOf(x);
        if (c) ids.add(c.node.id);
      }
      callers.set(f, ids);
    }
    return ids.has(fn.node.id);
  };
  const excluded = (f: ScopeFile, fn: FnInfo) => fn.name === getter || callsGetter(f, fn);
  if (!all.some((h) => h.fn && excluded(h.file, h.fn))) return all;
  return searchPutHelpers(scope, excluded);
}

/** A helper with the function that defines it (null for a macro). */
export type FoundHelper = PutHelper & { file: ScopeFile; fn: FnInfo | null };
const allHelpers = new WeakMap<Scope, FoundHelper[]>();
const mappers = new WeakMap<FileModel, { kmap: Set<number>; any: Set<number> }>();

/** The functions of a file that call kmap(), and those that call any kmap*() (node ids). */
function mappersOf(model: FileModel): { kmap: Set<number>; any: Set<number> } {
  let m = mappers.get(model);
  if (!m) {
    m = { kmap: new Set(), any: new Set() };
    for (const x of model.calls) {
      if (!x.fn) continue;
      if (x.name === 'kmap') m.kmap.add(x.fn.node.id);
      if (x.name.startsWith('kmap')) m.any.add(x.fn.node.id);
    }
    mappers.set(model, m);
  }
  return m;
}

function searchPutHelpers(scope: Scope, excluded: (f: ScopeFile, fn: FnInfo) => boolean): FoundHelper[] {
  const out: FoundHelper[] = [];
  const names = new Set<string>();
  const add = (h: FoundHelper) => {
    out.push(h);
    names.add(h.name);
  };
  for (const f of scope.files) {
    for (const c of f.model.calls) {
      if (c.name !== 'kunmap' || !c.fn || names.has(c.fn.name)) continue;
      // A function that maps as well as unmaps (ni_read_frame()), or that uses the getter, does
      // its own pairing: it is no put helper.
      if (mappersOf(f.model).kmap.has(c.fn.node.id) || excluded(f, c.fn)) continue;
      let i = c.fn.params.findIndex((p) => new RegExp(`\\b${p.name}\\b`).test(c.argText));
      if (i >= 0)
        add({
          name: c.fn.name,
          where: `${f.rel}:${line(c.node)}`,
          param: i,
          unmaps: c.argText.replace(/\s+/g, '').replace(new RegExp(`\\b${c.fn.params[i]!.name}\\b`, 'g'), '$'),
          file: f,
          fn: c.fn,
        });
      else if ((i = derivedFromParam(c.fn, c.argText)) >= 0) add({ name: c.fn.name, where: `${f.rel}:${line(c.node)}`, param: i, unmaps: '?', file: f, fn: c.fn });
    }
  }
  const found = out.length;
  // Put helpers written as macros: #define put_dir_page(p) do { kunmap(p); put_page(p); } while (0)
  const macros: PutHelper[] = [];
  for (const f of scope.files) {
    for (const mac of f.model.unmapMacros) {
      const i = mac.params.findIndex((p) => new RegExp(`\\b${p}\\b`).test(mac.arg));
      if (i >= 0 && !names.has(mac.name) && !macros.some((p) => p.name === mac.name))
        macros.push({
          name: mac.name,
          where: `${f.rel}:${mac.line}`,
          param: i,
          unmaps: mac.arg
            .replace(/\s+/g, '')
            .replace(/^\((.*)\)$/, '$1')
            .replace(new RegExp(`\\(?\\b${mac.params[i]}\\b\\)?`, 'g'), '$'),
        });
    }
  }
  const list: (PutHelper | FoundHelper)[] = [...out.slice(0, found), ...macros];
  for (const m of macros) names.add(m.name);
  for (let round = 0; round < 2; round++) {
    for (const p of [...list]) {
      for (const f of scope.files) {
        for (const n of f.model.callsTo(p.name)) {
          const fn = f.model.fnOf(n);
          const a = argAt(n, p.param);
          if (!fn || names.has(fn.name) || a?.type !== 'identifier') continue;
          // A user of the pair (it also gets or maps) is not itself a put helper.
          if (excluded(f, fn) || mappersOf(f.model).any.has(fn.node.id)) continue;
          const i = fn.params.findIndex((q) => q.name === a.text);
          if (i >= 0) {
            const h = { name: fn.name, where: `${f.rel}:${line(n)}`, param: i, unmaps: p.unmaps, file: f, fn };
            list.push(h);
            names.add(h.name);
          }
        }
      }
    }
  }
  // Macro helpers have no function to exclude: they are kept as found helpers of their file.
  return list.map((h) => ('fn' in h ? h : { ...h, file: scope.files[0]!, fn: null }));
}

/** `sg = cmd->first_data_sg; ... kunmap(sg_page(&sg[i]))`: the parameter a local in `text` was set from, or -1. */
function derivedFromParam(fn: FnInfo, text: string): number {
  for (const a of nodesOf(fn, ['assignment_expression', 'init_declarator'])) {
    if (!a) continue;
    const l = a.childForFieldName(a.type === 'init_declarator' ? 'declarator' : 'left')?.text.replace(/^\*+\s*/, '');
    const r = a.childForFieldName(a.type === 'init_declarator' ? 'value' : 'right')?.text;
    if (!l || !r || !/^\w+$/.test(l) || !new RegExp(`\\b${l}\\b`).test(text)) continue;
    const i = fn.params.findIndex((p) => new RegExp(`\\b${p.name}\\b`).test(r));
    if (i >= 0) return i;
  }
  return -1;
}

/** What a call of a put helper releases: `qnx6_put_page(page)` -> `page`. */
export function putReleases(p: PutHelper, call: Node): string | null {
  const a = argAt(call, p.param);
  return a ? p.unmaps.replace(/\$/g, a.text.replace(/\s+/g, '')) : null;
}

export function argAt(call: Node, i: number): Node | null {
  const args = call.childForFieldName('arguments')?.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment') ?? [];
  return args[i] ? stripWrappers(args[i]) : null;
}
