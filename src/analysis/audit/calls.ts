// Stage 3: find the functions, the audited calls (directly or through wrapper macros), and
// kmap-family calls hidden in macro bodies, in one parsed file.

import type { Node, Tree } from 'web-tree-sitter';
import { isAuditedCall, type CallName } from './types.js';
import type { Callees } from './callees.js';

export interface VarInfo {
  name: string;
  type: string; // type text as written, with pointer stars from the declarator
  isArray: boolean;
  isPointer: boolean;
  node: Node; // the declaration or parameter_declaration
}

export interface FnInfo {
  name: string;
  node: Node; // function_definition
  body: Node;
  isStatic: boolean;
  params: VarInfo[];
  locals: Map<string, VarInfo>;
  /** True when the function header did not parse (a macro such as SYSCALL_DEFINE): params unknown. */
  pseudo?: boolean;
}

export interface CallInfo {
  node: Node; // call_expression
  name: CallName;
  fn: FnInfo | null;
  arg: Node | null; // first argument node (null when the call came through a macro)
  argText: string; // first argument as text, after macro substitution
  viaMacro?: string;
}

/** A function-like macro that kunmap()s what one of its parameters names (a put helper). */
export interface UnmapMacro {
  name: string;
  params: string[];
  arg: string; // the kunmap() argument as written in the body
  line: number;
}

export interface MacroSite {
  macro: string;
  name: CallName;
  index: number; // offset in the file of the call name
}

export interface FileModel {
  tree: Tree;
  /** What is known about callees outside the file (set by the driver; built-in list when absent). */
  callees?: Callees;
  /**
   * Whole-tree mode: the functions assigned to a struct member anywhere in the subsystem
   * (`.readsect = ftl_readsect`), when every assignment names a function defined there.
   */
  members?: Map<string, { fn: FnInfo; model: FileModel; where: string }[]>;
  source: string;
  fns: FnInfo[];
  fnByName: Map<string, FnInfo>;
  calls: CallInfo[];
  macroSites: MacroSite[];
  /** Function-like macros whose body kunmap()s something: put helpers written as macros. */
  unmapMacros: UnmapMacro[];
  /** Calls of a function or macro by name (identifier callees only), for caller lookups. */
  callsTo(name: string): Node[];
  /** The function a node is in. */
  fnOf(n: Node): FnInfo | null;
}

/** The identifier a declarator declares: `*const foo[4]` -> foo. */
export function declaratorName(d: Node | null): { name: string; ptr: boolean; arr: boolean } | null {
  let ptr = false;
  let arr = false;
  let n = d;
  while (n) {
    // Each .type is a call into tree-sitter's wasm: read once per node.
    const t = n.type;
    if (t === 'identifier' || t === 'field_identifier') return { name: n.text, ptr, arr };
    if (t === 'pointer_declarator') ptr = true;
    if (t === 'array_declarator') arr = true;
    if (
      t === 'function_declarator' ||
      t === 'parenthesized_declarator' ||
      t === 'init_declarator' ||
      t === 'pointer_declarator' ||
      t === 'array_declarator' ||
      t === 'attributed_declarator'
    ) {
      n = n.childForFieldName('declarator') ?? n.namedChild(0);
    } else return null;
  }
  return null;
}

function varsOf(decl: Node): VarInfo[] {
  const type = decl.childForFieldName('type')?.text ?? '';
  const out: VarInfo[] = [];
  for (const d of decl.childrenForFieldName('declarator')) {
    const dn = declaratorName(d);
    if (dn) out.push({ name: dn.name, type: type + (dn.ptr ? ' *' : ''), isArray: dn.arr, isPointer: dn.ptr || dn.arr, node: decl });
  }
  return out;
}

function fnInfo(def: Node): FnInfo | null {
  const body = def.childForFieldName('body');
  let d = def.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  if (!body || !d) return null;
  const name = declaratorName(d.childForFieldName('declarator'))?.name;
  if (!name) return null;
  const fd = d;
  let params: VarInfo[] | null = null;
  let locals: Map<string, VarInfo> | null = null;
  // Parameters and locals are only needed for the few functions with calls: computed on demand.
  return {
    name,
    node: def,
    body,
    get isStatic() {
      return def.namedChildren.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
    },
    get params() {
      if (!params) {
        params = [];
        for (const p of fd.childForFieldName('parameters')?.namedChildren ?? []) if (p && p.type === 'parameter_declaration') for (const v of varsOf(p)) params.push(v);
      }
      return params;
    },
    get locals() {
      if (!locals) {
        locals = new Map();
        for (const decl of body.descendantsOfType('declaration')) if (decl) for (const v of varsOf(decl)) locals.set(v.name, v);
      }
      return locals;
    },
  };
}

const bodyNodes = new WeakMap<FnInfo, Map<string, (Node | null)[]>>();

/**
 * `fn.body.descendantsOfType(types)`, walked once per function and types: the escape trace
 * asks for the same lists for every site and every use of a parameter. Do not modify the list.
 */
export function nodesOf(fn: FnInfo, types: string | string[]): (Node | null)[] {
  let m = bodyNodes.get(fn);
  if (!m) bodyNodes.set(fn, (m = new Map<string, (Node | null)[]>()));
  const key = typeof types === 'string' ? types : types.join(',');
  let l = m.get(key);
  if (!l) m.set(key, (l = fn.body.descendantsOfType(types)));
  return l;
}

const byName = new WeakMap<FnInfo, Map<string, Node[]>>();

/** The identifiers of the function's body whose text is `name`, in tree order (read once per function). */
export function identifiersNamed(fn: FnInfo, name: string): Node[] {
  let m = byName.get(fn);
  if (!m) {
    byName.set(fn, (m = new Map<string, Node[]>()));
    for (const id of nodesOf(fn, 'identifier')) {
      if (!id) continue;
      const t = id.text;
      const l = m.get(t);
      if (l) l.push(id);
      else m.set(t, [id]);
    }
  }
  return m.get(name) ?? [];
}

/** Function-like macros whose whole body is one audited call, e.g. `#define map_buf(b) kmap((b)->page)`. */
interface Wrapper {
  name: CallName;
  params: string[];
  argTemplate: string;
}

// Not after `->` or `.`: `(o)->func->kmap(o)` calls a struct member that happens to be
// named kmap, not the kernel function.
const CALL_IN_TEXT = /(?<!(?:->|\.)\s*)\b(kmap_local_page|kmap_local_folio|kmap_atomic|kmap|kunmap_local|kunmap_atomic|kunmap)\s*\(/g;

/**
 * Build the model of one file. Calls are located from the text (a regex for the names) and
 * then looked up in the tree, so that big files cost a parse, not a walk over every node.
 */
export function buildModel(tree: Tree, source: string): FileModel {
  const root = tree.rootNode;
  const fns: FnInfo[] = [];
  const fnByName = new Map<string, FnInfo>();
  const fnById = new Map<number, FnInfo>();
  for (const def of root.descendantsOfType('function_definition')) {
    if (!def) continue;
    const f = fnInfo(def);
    if (f) {
      fns.push(f);
      fnById.set(def.id, f);
      if (!fnByName.has(f.name)) fnByName.set(f.name, f);
    }
  }
  // A function whose header is a macro (SYSCALL_DEFINE3(...) { ... }) does not parse as a
  // function_definition: its outermost block stands in for it, named from the header text.
  const pseudo = new Map<number, FnInfo>();
  const fnOf = (n: Node): FnInfo | null => {
    let outer: Node | null = null;
    let def: Node | null = null;
    // The outermost definition: `list_for_each(x) { ... }` inside a body parses as a nested
    // (K&R style) function definition, which is really a loop of the enclosing function.
    for (let p: Node | null = n.parent; p; p = p.parent) {
      const t = p.type;
      if (t === 'function_definition') def = p;
      if (t === 'compound_statement' || (t === 'ERROR' && !outer)) outer = p;
    }
    if (def && fnById.has(def.id)) return fnById.get(def.id)!;
    if (!outer) return null;
    let f = pseudo.get(outer.id);
    if (!f) {
      const head =
        outer.type === 'ERROR' ? source.slice(outer.startIndex, outer.startIndex + 400).split('{')[0]! : source.slice(Math.max(0, outer.startIndex - 400), outer.startIndex);
      const cut = head.slice(Math.max(head.lastIndexOf(';'), head.lastIndexOf('}')) + 1);
      const m = /(\w+)\s*\(\s*(\w*)/.exec(cut.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''));
      const name = m ? (/^(COMPAT_)?SYSCALL_DEFINE/.test(m[1]!) ? `${m[1]}(${m[2]})` : m[1]!) : `<block at line ${outer.startPosition.row + 1}>`;
      const body = outer;
      let locals: Map<string, VarInfo> | null = null;
      f = {
        name,
        node: outer,
        body,
        isStatic: false,
        params: [],
        pseudo: true,
        get locals() {
          if (!locals) {
            locals = new Map();
            for (const decl of body.descendantsOfType('declaration')) if (decl) for (const v of varsOf(decl)) locals.set(v.name, v);
          }
          return locals;
        },
      };
      pseudo.set(outer.id, f);
    }
    return f;
  };
  /** The call_expression whose callee identifier starts at `index`, if the text there is one. */
  const callAt = (index: number, name: string): Node | null => {
    const id = root.descendantForIndex(index, index + name.length);
    if (!id || id.type !== 'identifier' || id.text !== name) return null;
    const call = id.parent;
    if (call?.type !== 'call_expression' || call.childForFieldName('function')?.id !== id.id) return null;
    return call;
  };
  const callsCache = new Map<string, Node[]>();
  // Where each name is followed by `(`: one scan of the text, built on the first lookup, so
  // that looking up the callers of every function of a big file stays linear.
  let named: Map<string, number[]> | null = null;
  const callsTo = (name: string): Node[] => {
    let l = callsCache.get(name);
    if (l) return l;
    if (!named) {
      named = new Map();
      for (const m of source.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
        const at = named.get(m[1]!);
        if (at) at.push(m.index);
        else named.set(m[1]!, [m.index]);
      }
    }
    l = [];
    for (const at of named.get(name) ?? []) {
      const c = callAt(at, name);
      if (c) l.push(c);
    }
    callsCache.set(name, l);
    return l;
  };
  // Macros whose body mentions an audited call: wrappers (the whole body is the call) are
  // followed to their uses; other bodies are reported as macro sites.
  const wrappers = new Map<string, Wrapper>();
  const macroSites: MacroSite[] = [];
  const unmapMacros: UnmapMacro[] = [];
  const seenMacros = new Set<number>();
  const calls: CallInfo[] = [];
  const argsOf = (c: Node) => c.childForFieldName('arguments')?.namedChildren.filter((x): x is Node => x !== null && x.type !== 'comment') ?? [];
  for (const m of source.matchAll(CALL_IN_TEXT)) {
    const name = m[1] as CallName;
    const at = m.index;
    const c = callAt(at, name);
    if (c) {
      const args = argsOf(c);
      calls.push({ node: c, name, fn: fnOf(c), arg: args[0] ?? null, argText: args[0]?.text ?? '' });
      continue;
    }
    const n = root.descendantForIndex(at, at + name.length);
    const value = n?.type === 'preproc_arg' ? n : null;
    const def = value?.parent;
    if (!value || def?.type !== 'preproc_function_def' || seenMacros.has(def.id)) continue;
    seenMacros.add(def.id);
    const mname = def.childForFieldName('name')?.text ?? '';
    if (isAuditedCall(mname)) continue;
    const params = (def.childForFieldName('parameters')?.namedChildren ?? []).map((p) => p?.text ?? '');
    const body = value.text.trim();
    const whole = /^\(?\s*(kmap_local_page|kmap_local_folio|kmap_atomic|kmap|kunmap_local|kunmap_atomic|kunmap)\s*\(([\s\S]*)\)\s*\)?$/.exec(body);
    if (whole && balanced(whole[2]!)) {
      wrappers.set(mname, { name: whole[1] as CallName, params, argTemplate: whole[2]! });
      if (whole[1] === 'kunmap') unmapMacros.push({ name: mname, params, arg: whole[2]!.trim(), line: def.startPosition.row + 1 });
      continue;
    }
    for (const mm of value.text.matchAll(CALL_IN_TEXT)) {
      macroSites.push({ macro: mname, name: mm[1] as CallName, index: value.startIndex + mm.index });
      if (mm[1] === 'kunmap') {
        const a = /^\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/.exec(value.text.slice(mm.index + mm[0].length - 1));
        if (a) unmapMacros.push({ name: mname, params, arg: a[1]!.trim(), line: def.startPosition.row + 1 });
      }
    }
  }
  for (const [mname, w] of wrappers) {
    for (const c of callsTo(mname)) {
      const args = argsOf(c);
      let text = w.argTemplate;
      w.params.forEach((p, i) => {
        if (args[i]) text = text.replace(new RegExp(`\\b${p.replace(/[^\w]/g, '')}\\b`, 'g'), args[i].text);
      });
      calls.push({ node: c, name: w.name, fn: fnOf(c), arg: null, argText: text.trim(), viaMacro: mname });
    }
  }
  calls.sort((a, b) => a.node.startIndex - b.node.startIndex);
  return { tree, source, fns, fnByName, calls, macroSites, unmapMacros, callsTo, fnOf };
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}
