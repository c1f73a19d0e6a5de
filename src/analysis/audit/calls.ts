// Stage 3: find the functions, the audited calls (directly or through wrapper macros), and
// kmap-family calls hidden in macro bodies, in one parsed file.

import type { Node, Tree } from 'web-tree-sitter';
import { isAuditedCall, type CallName } from './types.js';

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
}

export interface CallInfo {
  node: Node; // call_expression
  name: CallName;
  fn: FnInfo | null;
  arg: Node | null; // first argument node (null when the call came through a macro)
  argText: string; // first argument as text, after macro substitution
  viaMacro?: string;
}

export interface MacroSite {
  macro: string;
  name: CallName;
  index: number; // offset in the file of the call name
}

export interface FileModel {
  tree: Tree;
  source: string;
  fns: FnInfo[];
  fnByName: Map<string, FnInfo>;
  calls: CallInfo[];
  macroSites: MacroSite[];
  /** Every call_expression by callee name (identifier callees only), for caller lookups. */
  callsByCallee: Map<string, Node[]>;
}

/** The identifier a declarator declares: `*const foo[4]` -> foo. */
export function declaratorName(d: Node | null): { name: string; ptr: boolean; arr: boolean } | null {
  let ptr = false;
  let arr = false;
  let n = d;
  while (n) {
    if (n.type === 'identifier' || n.type === 'field_identifier') return { name: n.text, ptr, arr };
    if (n.type === 'pointer_declarator') ptr = true;
    if (n.type === 'array_declarator') arr = true;
    if (n.type === 'function_declarator' || n.type === 'parenthesized_declarator' || n.type === 'init_declarator' || n.type === 'pointer_declarator' || n.type === 'array_declarator' || n.type === 'attributed_declarator') {
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
  const params: VarInfo[] = [];
  for (const p of d.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p && p.type === 'parameter_declaration') params.push(...varsOf(p));
  }
  const locals = new Map<string, VarInfo>();
  for (const decl of body.descendantsOfType('declaration')) if (decl) for (const v of varsOf(decl)) locals.set(v.name, v);
  const isStatic = def.namedChildren.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
  return { name, node: def, body, isStatic, params, locals };
}

/** Function-like macros whose whole body is one audited call, e.g. `#define map_buf(b) kmap((b)->page)`. */
interface Wrapper {
  name: CallName;
  params: string[];
  argTemplate: string;
}

const CALL_IN_TEXT = /\b(kmap_local_page|kmap_local_folio|kmap_atomic|kmap|kunmap_local|kunmap_atomic|kunmap)\s*\(/g;

export function buildModel(tree: Tree, source: string): FileModel {
  const root = tree.rootNode;
  const fns: FnInfo[] = [];
  const fnByName = new Map<string, FnInfo>();
  for (const def of root.descendantsOfType('function_definition')) {
    if (!def) continue;
    const f = fnInfo(def);
    if (f) {
      fns.push(f);
      if (!fnByName.has(f.name)) fnByName.set(f.name, f);
    }
  }
  // Wrapper macros and calls inside macro bodies.
  const wrappers = new Map<string, Wrapper>();
  const macroSites: MacroSite[] = [];
  for (const m of root.descendantsOfType('preproc_function_def')) {
    if (!m) continue;
    const mname = m.childForFieldName('name')?.text ?? '';
    const value = m.childForFieldName('value');
    if (!value || isAuditedCall(mname)) continue;
    const params = (m.childForFieldName('parameters')?.namedChildren ?? []).map((p) => p?.text ?? '');
    const body = value.text.trim();
    const whole = /^\(?\s*(kmap_local_page|kmap_local_folio|kmap_atomic|kmap|kunmap_local|kunmap_atomic|kunmap)\s*\(([\s\S]*)\)\s*\)?$/.exec(body);
    if (whole && balanced(whole[2]!)) {
      wrappers.set(mname, { name: whole[1] as CallName, params, argTemplate: whole[2]! });
      continue;
    }
    for (const mm of value.text.matchAll(CALL_IN_TEXT)) {
      macroSites.push({ macro: mname, name: mm[1] as CallName, index: value.startIndex + mm.index! });
    }
  }
  const fnOf = (n: Node): FnInfo | null => {
    for (let p: Node | null = n.parent; p; p = p.parent) if (p.type === 'function_definition') return fns.find((f) => f.node.id === p!.id) ?? null;
    return null;
  };
  const calls: CallInfo[] = [];
  const callsByCallee = new Map<string, Node[]>();
  for (const c of root.descendantsOfType('call_expression')) {
    if (!c) continue;
    const callee = c.childForFieldName('function');
    if (!callee || callee.type !== 'identifier') continue;
    const name = callee.text;
    let list = callsByCallee.get(name);
    if (!list) callsByCallee.set(name, (list = []));
    list.push(c);
    const args = c.childForFieldName('arguments')?.namedChildren.filter((x): x is Node => x !== null && x.type !== 'comment') ?? [];
    if (isAuditedCall(name)) {
      calls.push({ node: c, name, fn: fnOf(c), arg: args[0] ?? null, argText: args[0]?.text ?? '' });
    } else {
      const w = wrappers.get(name);
      if (w) {
        let text = w.argTemplate;
        w.params.forEach((p, i) => {
          if (args[i]) text = text.replace(new RegExp(`\\b${p.replace(/[^\w]/g, '')}\\b`, 'g'), args[i]!.text);
        });
        calls.push({ node: c, name: w.name, fn: fnOf(c), arg: null, argText: text.trim(), viaMacro: name });
      }
    }
  }
  return { tree, source, fns, fnByName, calls, macroSites, callsByCallee };
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}

/** 1-based line and column of a character offset. */
export function posOf(source: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = source.indexOf('\n'); i !== -1 && i < index; i = source.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: index - last };
}
