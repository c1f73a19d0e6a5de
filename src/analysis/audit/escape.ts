// Stage 4b: where does a mapped address go? Follows the value from the kmap() call through
// variables in the same function and reports stores, returns and calls that let it escape
// the mapping context.

import type { Node } from 'web-tree-sitter';
import { identifiersNamed, nodesOf, type FileModel, type FnInfo } from './calls.js';
import { isLoop, stripWrappers } from './parse.js';
import { makeCallees, type Callees } from './callees.js';
import type { HandBack } from './types.js';

let builtin: Callees | null = null;
function calleesOf(model: FileModel): Callees {
  return model.callees ?? (builtin ??= makeCallees());
}

export type Verdict = 'global' | 'unclear' | 'returned' | 'note';

export interface EscapeFact {
  verdict: Verdict;
  text: string;
  line: number;
  /** For a mapping handed to the caller: how (return value, out-parameter, caller's struct). */
  hand?: HandBack;
  /** Handed to a callee known to queue or keep it (not merely passed with a callback): another context may use it. */
  handoff?: true;
}

export interface EscapeReport {
  facts: EscapeFact[];
  /** Local variables that hold the address (the first is the one assigned from the call). */
  vars: string[];
  /** The call result is thrown away (mapping used through page_address() or not at all). */
  discarded: boolean;
  /** A tracked variable is assigned something other than the address later. */
  reassigned: boolean;
  /** A tracked variable is moved (+=, ++): kunmap_local() would need an address inside the page. */
  moved: boolean;
  /** The tracked variables that are reassigned or moved (the others can name the mapping). */
  unstable: Set<string>;
}

function isCallback(model: FileModel, arg: Node): string | null {
  const a = stripWrappers(arg);
  const t = a.type === 'pointer_expression' && a.text.startsWith('&') ? a.namedChild(0) : a;
  if (t?.type !== 'identifier') return null;
  if (model.fnByName.has(t.text) || /(_fn|_cb|_callback|_done|_end_io|_complete|_work|_handler)$/.test(t.text)) return t.text;
  return null;
}

/** Climb from a value through parentheses, casts and pointer arithmetic to where it is used. */
function climb(n: Node): Node {
  let cur = n;
  for (let p = cur.parent; p; cur = p, p = p.parent) {
    if (p.type === 'parenthesized_expression' || p.type === 'cast_expression') continue;
    // addr + off, addr - off, addr & PAGE_MASK: still an address in the mapping (addr & ~PAGE_MASK
    // is an offset, not an address).
    const op = p.type === 'binary_expression' ? p.childForFieldName('operator')?.text : undefined;
    if ((op === '+' || op === '-' || (op === '&' && p.childForFieldName('right')?.text === 'PAGE_MASK')) && p.childForFieldName('left')?.id === cur.id) continue;
    if (p.type === 'conditional_expression' && p.childForFieldName('condition')?.id !== cur.id) continue;
    break;
  }
  return cur;
}

/**
 * Where a field lvalue lives when it is on this function's stack: `s.f`, `s.a.b`, `iov[1].iov_base`
 * (a local struct, or an element of a local array of structs), or `p->f` with a local
 * `p = &s`. Null when it may outlive the call (a pointer from elsewhere, a global).
 */
function onStack(fn: FnInfo, lv: Node): { root: string; how: string } | null {
  let n = lv;
  let viaArray = false;
  for (;;) {
    if (n.type === 'field_expression') {
      const op = n.childForFieldName('operator')?.text ?? n.child(1)?.text;
      const base = stripWrappers(n.childForFieldName('argument')!);
      if (op === '->') {
        // p->f with a local `p = &s`: the struct is s.
        if (base.type !== 'identifier') return null;
        const v = fn.locals.get(base.text);
        const init = v?.node.descendantsOfType('init_declarator').find((d) => d && d.childForFieldName('declarator')?.text.replace(/^\*\s*/, '') === base.text);
        const val = init?.childForFieldName('value');
        const m = val ? /^&\s*(\w+)$/.exec(stripWrappers(val).text) : null;
        const s = m ? fn.locals.get(m[1]!) : undefined;
        if (!m || !s || s.isPointer) return null;
        return { root: m[1]!, how: `a field of local struct ${m[1]} (through ${base.text} = &${m[1]})` };
      }
      n = base;
    } else if (n.type === 'subscript_expression') {
      viaArray = true;
      n = stripWrappers(n.childForFieldName('argument')!);
    } else if (n.type === 'identifier') {
      const v = fn.locals.get(n.text);
      if (!v) return null;
      if (v.isArray && viaArray && !/\*/.test(v.type)) return { root: n.text, how: `a field of an element of local array ${n.text}[] on this function's stack` };
      if (!v.isPointer) return { root: n.text, how: `a field of local struct ${n.text}` };
      return null;
    } else return null;
  }
}

/**
 * `s = head; head = s->next;` before the store into `s->f`: this thread took the struct off a
 * shared free list (under whatever lock guards it) and owns it until it puts it back, so no
 * other context reaches the field meanwhile. The reason, or null.
 */
function takenOffList(fn: FnInfo, lv: Node, at: Node): string | null {
  let n = lv;
  let arrow = false;
  while (n.type === 'field_expression') {
    arrow = (n.childForFieldName('operator')?.text ?? n.child(1)?.text) === '->';
    n = stripWrappers(n.childForFieldName('argument')!);
  }
  if (n.type !== 'identifier' || !arrow || !fn.locals.get(n.text)?.isPointer) return null;
  const v = n.text;
  let head: string | null = null;
  let takeLine = 0;
  for (const a of nodesOf(fn, 'assignment_expression')) {
    if (!a || a.startIndex >= at.startIndex || a.childForFieldName('operator')?.text !== '=') continue;
    const l = stripWrappers(a.childForFieldName('left')!).text;
    const r = stripWrappers(a.childForFieldName('right')!).text.replace(/\s+/g, '');
    if (l === v && /^\w+$/.test(r) && kindOfVar(fn, r) === 'global') head = r;
    else if (head && l === head && r === `${v}->next`) takeLine = line(a);
  }
  return head && takeLine ? `a struct this thread took off the shared list ${head} (line ${takeLine}) and owns until it puts it back` : null;
}

/** The parameter a field lvalue hangs off (`buf->base`, `p->a.b`), or -1. */
function paramRoot(fn: FnInfo, lv: Node): number {
  let n = lv;
  while (n.type === 'field_expression' || n.type === 'subscript_expression') n = stripWrappers(n.childForFieldName('argument')!);
  return n.type === 'identifier' ? fn.params.findIndex((p) => p.name === n.text && p.isPointer) : -1;
}

/** `s->next_in = p; ... zlib_deflate(s, ...)`: a later call that reads the field before it returns. */
function consumedBy(model: FileModel, fn: FnInfo, holder: string, field: string, at: Node): string | null {
  const known = calleesOf(model);
  for (const c of nodesOf(fn, 'call_expression')) {
    if (!c || c.startIndex < at.endIndex) continue;
    const name = c.childForFieldName('function')?.text ?? '';
    const e = known.consumes(name, field);
    if (!e) continue;
    const args = c.childForFieldName('arguments')?.namedChildren ?? [];
    if (args.some((a) => a && stripWrappers(a).text.replace(/^&\s*/, '') === holder)) return `${name}() consumes before returning (line ${c.startPosition.row + 1}): ${e.why}`;
  }
  return null;
}

function kindOfVar(fn: FnInfo, name: string): 'local' | 'param' | 'global' {
  if (fn.locals.has(name)) return 'local';
  if (fn.params.some((p) => p.name === name)) return 'param';
  return 'global';
}

function line(n: Node): number {
  return n.startPosition.row + 1;
}

/**
 * Follow the value produced by `value` (a call node) in `fn`.
 * depth limits how far calls to functions defined in the same file are followed.
 */
export function traceValue(model: FileModel, fn: FnInfo | null, value: Node, depth = 2): EscapeReport {
  const rep: EscapeReport = { facts: [], vars: [], discarded: false, reassigned: false, moved: false, unstable: new Set() };
  if (!fn) {
    rep.facts.push({ verdict: 'global', text: 'used outside any function (a static initialiser)', line: line(value) });
    return rep;
  }
  const work: { name: string; struct: boolean }[] = [];
  const seenVars = new Set<string>();
  const track = (name: string, struct: boolean) => {
    if (seenVars.has(name)) return;
    seenVars.add(name);
    if (!struct) rep.vars.push(name);
    work.push({ name, struct });
  };
  const fact = (verdict: Verdict, text: string, at: Node, hand?: HandBack) => rep.facts.push({ verdict, text, line: line(at), ...(hand ? { hand } : {}) });
  const handoff = (text: string, at: Node) => rep.facts.push({ verdict: 'global', text, line: line(at), handoff: true });

  const useOf = (v: Node, what: string, struct: boolean) => {
    let top = climb(v);
    // &req.work, &req.a.b: the address of a member is the address of the aggregate holding the
    // mapping (the callee gets back to it with container_of()), as &req is.
    if (struct) {
      let m = top;
      while (m.parent?.type === 'field_expression' && m.parent.childForFieldName('argument')?.id === m.id && m.parent.child(1)?.text === '.') m = climb(m.parent);
      if (m.id !== top.id && m.parent?.type === 'pointer_expression' && m.parent.text.startsWith('&')) top = m;
    }
    const p = top.parent;
    if (!p) return;
    if (struct && !(p.type === 'pointer_expression' && p.text.startsWith('&')) && p.type !== 'argument_list') return;
    switch (p.type) {
      case 'expression_statement':
        if (v.id === value.id) rep.discarded = true;
        return;
      case 'init_declarator': {
        if (p.childForFieldName('value')?.id !== top.id) return;
        const dn = p.childForFieldName('declarator');
        let d = dn;
        while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
        if (d && fn.locals.has(d.text)) track(d.text, false);
        else fact('global', `${what} initialises ${dn?.text ?? '?'}, which outlives the function`, p);
        return;
      }
      case 'assignment_expression': {
        const left = p.childForFieldName('left')!;
        if (left.id === top.id) {
          if (v.id !== value.id && !struct && p.childForFieldName('operator')?.text !== '=') {
            rep.moved = true;
            rep.unstable.add(v.text);
          }
          if (v.id !== value.id && p.childForFieldName('operator')?.text === '=' && !struct) {
            const r = p.childForFieldName('right')!;
            if (!(r.startIndex <= value.startIndex && value.endIndex <= r.endIndex)) {
              rep.reassigned = true;
              rep.unstable.add(v.text);
            }
          }
          return;
        }
        storeInto(left, what, p);
        return;
      }
      case 'update_expression':
        if (!struct) {
          rep.moved = true;
          rep.unstable.add(v.text);
        }
        return;
      case 'return_statement':
        fact('returned', `${what} is returned to the caller (line ${line(p)})`, p, { kind: 'return' });
        return;
      case 'initializer_list':
      case 'initializer_pair': {
        let decl: Node | null = p;
        while (decl && decl.type !== 'init_declarator' && decl.type !== 'compound_literal_expression') decl = decl.parent;
        const d = decl?.type === 'init_declarator' ? decl.childForFieldName('declarator') : null;
        if (d?.type === 'identifier' && fn.locals.has(d.text)) {
          track(d.text, true);
          fact('note', `${what} is stored in local aggregate ${d.text}`, p);
        } else fact('unclear', `${what} is placed in an aggregate initialiser`, p);
        return;
      }
      case 'pointer_expression':
        if (p.text.startsWith('&')) {
          // &ctx passed somewhere: handled as a use of the aggregate / address of the variable.
          useOfAddress(p, what, struct);
        }
        return;
      case 'argument_list':
        callArg(p.parent!, top, what, struct);
        return;
      default:
        return;
    }
  };

  const storeInto = (left: Node, what: string, at: Node) => {
    const l = stripWrappers(left);
    if (l.type === 'identifier') {
      const k = kindOfVar(fn, l.text);
      if (k === 'local') track(l.text, false);
      else if (k === 'param') fact('unclear', `${what} is assigned to parameter ${l.text}`, at);
      else fact('global', `${what} is stored in global ${l.text}`, at);
    } else if (l.type === 'field_expression') {
      const frame = onStack(fn, l);
      const field = l.childForFieldName('field')?.text ?? '';
      const holder = stripWrappers(l.childForFieldName('argument')!);
      const consumer = consumedBy(model, fn, holder.text, field, at);
      const owned = frame ? null : takenOffList(fn, l, at);
      if (frame) {
        track(frame.root, true);
        fact('note', `${what} is stored in ${l.text}, ${frame.how}: storage that dies with this frame`, at);
      } else if (owned) {
        fact('note', `${what} is stored in ${l.text}, ${owned}`, at);
      } else if (consumer) {
        fact('note', `${what} is stored in ${l.text}, which ${consumer}`, at);
      } else {
        // A field of a struct the caller passes in: global unless every caller's is on its stack (classify decides).
        const p = paramRoot(fn, l);
        fact('global', `${what} is stored in struct field ${l.text}, which outlives the call`, at, p >= 0 ? { kind: 'struct', param: p } : undefined);
      }
    } else if (l.type === 'subscript_expression') {
      const base = stripWrappers(l.childForFieldName('argument')!);
      if (base.type === 'identifier' && fn.locals.get(base.text)?.isArray) {
        fact('unclear', `${what} is stored in local array ${base.text}[]: convertible only if every element is unmapped in reverse order in this function`, at);
      } else fact('global', `${what} is stored in array ${l.text}, which outlives the call`, at);
    } else if (l.type === 'pointer_expression') {
      const base = stripWrappers(l.namedChild(0)!);
      const k = base.type === 'identifier' ? kindOfVar(fn, base.text) : 'global';
      if (k === 'param')
        fact('returned', `${what} is handed back through out-parameter ${l.text}`, at, { kind: 'out', param: fn.params.findIndex((p) => p.name === base.text) });
      else fact('global', `${what} is stored through pointer ${l.text}`, at);
    } else fact('unclear', `${what} is stored in ${l.text}`, at);
  };

  const useOfAddress = (amp: Node, what: string, struct: boolean) => {
    const top = climb(amp);
    if (top.parent?.type === 'argument_list') return callArg(top.parent.parent!, top, struct ? what : `the address of ${what}`, true);
    if (!struct) fact('unclear', `the address of ${what} is taken (${amp.text})`, amp);
  };

  const callArg = (call: Node, arg: Node, what: string, struct: boolean) => {
    const callee = call.childForFieldName('function')!;
    const name = callee.text;
    const args = call.childForFieldName('arguments')?.namedChildren.filter((x): x is Node => !!x && x.type !== 'comment') ?? [];
    if (/^k(un)?map/.test(name)) return; // unmaps are matched separately
    const known = calleesOf(model);
    if (callee.type !== 'identifier') {
      const member = callee.type === 'field_expression' ? callee.childForFieldName('field')?.text : undefined;
      const e = member ? known.lookup(`->${member}`) : null;
      if (e?.kind === 'sync') fact('note', `${what} is passed to indirect call ${name}(): ${e.why} (${e.origin})`, call);
      else if (e?.kind === 'async') handoff(`${what} is passed to indirect call ${name}(): ${e.why} (${e.origin})`, call);
      else {
        // Every function the tree assigns to this member: the pointer is as safe as the worst.
        const targets = member ? model.members?.get(member) : undefined;
        const idx = args.findIndex((a) => a.id === arg.id);
        if (targets?.length && idx >= 0 && depth > 0) {
          let bad: { f: EscapeFact; t: string } | null = null;
          for (const t of targets) {
            const p = t.fn.params[idx];
            if (!p) {
              bad = { f: { verdict: 'unclear', text: `${t.fn.name}() has no parameter ${idx + 1}`, line: 0 }, t: t.where };
              break;
            }
            const f = traceParam(t.model, t.fn, p.name, depth - 1).facts.find((x) => x.verdict === 'global' || x.verdict === 'unclear');
            if (f && (!bad || f.verdict === 'global')) bad = { f, t: t.where };
          }
          const list = targets.map((t) => `${t.where} ${t.fn.name}()`).join(', ');
          if (!bad) fact('note', `${what} is passed to indirect call ${name}(); every function assigned to ->${member} (${list}) uses it only until it returns`, call);
          else fact(bad.f.verdict, `${what} is passed to indirect call ${name}(); in ${bad.t}, ${bad.f.text}`, call);
        } else fact('unclear', `${what} is passed to indirect call ${name}(): target unknown`, call);
      }
      return;
    }
    const cb = args.map((a) => (a.id === arg.id ? null : isCallback(model, a))).find((x) => x);
    const e = known.lookup(name);
    if (e?.kind === 'async') {
      handoff(`${what} is passed to ${name}(), which hands it to another context or keeps it: ${e.why}`, call);
      return;
    }
    if (cb) {
      // Not a handoff for local-handed-off: iterators call their callback synchronously
      // (iterate_and_advance, INDIRECT_CALL_1, gnttab_foreach_grant_in_range).
      fact('global', `${what} is passed to ${name}() together with callback ${cb}, which may run in another context`, call);
      return;
    }
    if (e?.kind === 'sync') return;
    const target = model.fnByName.get(name);
    const idx = args.findIndex((a) => a.id === arg.id);
    if (target && depth > 0 && idx >= 0 && target.params[idx]) {
      const inner = traceParam(model, target, target.params[idx].name, depth - 1);
      const bad = inner.facts.find((f) => f.verdict === 'global' || f.verdict === 'unclear');
      if (bad) fact(bad.verdict, `${what} is passed to ${name}(); there, ${bad.text} (line ${bad.line})`, call);
      return;
    }
    if (struct) {
      fact('unclear', `${what} is reachable from an argument of ${name}(), which is not in this file`, call);
      return;
    }
    fact('note', `${what} is passed to ${name}() (assumed synchronous)`, call);
  };

  useOf(value, 'the address', false);
  // The identifiers are grouped by name once per function (identifiersNamed).
  let assigns: (Node | null)[] | undefined;
  while (work.length) {
    const { name, struct } = work.shift()!;
    const what = struct ? `${name} (holding the address)` : `the address (in ${name})`;
    for (const id of identifiersNamed(fn, name)) {
      if (id.parent?.type === 'init_declarator' && id.parent.childForFieldName('declarator')?.id === id.id) continue;
      if (id.parent?.type === 'pointer_declarator') continue;
      if (!reaches(fn.body, value, id, name, seenVars, (assigns ??= nodesOf(fn, 'assignment_expression')))) continue;
      useOf(id, what, struct);
    }
  }
  return rep;
}

function loopsOf(n: Node, stop: Node): Node[] {
  const out: Node[] = [];
  for (let p = n.parent; p && p.id !== stop.id; p = p.parent) if (isLoop(p.type)) out.push(p);
  return out;
}

/**
 * Can the value stored at `value` still be in `name` at the use `use`? Not when the use comes
 * before it and no loop runs both, nor after a plain reassignment of `name` that runs once
 * (outside the loops around `value`) in a block that also holds the use. A cheap stand-in
 * for reaching definitions, enough to keep a later `c = buf->tail + base` from inheriting
 * what happens to the mapped address.
 */
function reaches(body: Node, value: Node, use: Node, name: string, tracked: Set<string>, assigns: (Node | null)[]): boolean {
  const vLoops = loopsOf(value, body);
  if (use.endIndex <= value.startIndex && !vLoops.some((l) => l.startIndex <= use.startIndex && use.endIndex <= l.endIndex)) return false;
  for (const a of assigns) {
    if (!a || a.startIndex <= value.endIndex || a.startIndex >= use.startIndex) continue;
    if (a.childForFieldName('operator')?.text !== '=' || stripWrappers(a.childForFieldName('left')!).text !== name) continue;
    const r = a.childForFieldName('right')!;
    if (r.startIndex <= value.startIndex && value.endIndex <= r.endIndex) continue;
    if ([...tracked].some((t) => new RegExp(`\\b${t}\\b`).test(r.text))) continue; // c = c + n, save = c: still the mapping
    if (vLoops.some((l) => l.startIndex <= a.startIndex && a.endIndex <= l.endIndex)) continue;
    const block = a.parent?.parent;
    if (block && block.startIndex <= use.startIndex && use.endIndex <= block.endIndex) return false;
  }
  return true;
}

/** How a parameter of a same-file function is used: does it escape there? */
export function traceParam(model: FileModel, fn: FnInfo, param: string, depth: number): EscapeReport {
  const rep: EscapeReport = { facts: [], vars: [], discarded: false, reassigned: false, moved: false, unstable: new Set() };
  for (const id of identifiersNamed(fn, param)) {
    // Reuse traceValue by treating each use of the parameter as the value.
    const r = traceValue(model, fn, id, depth);
    for (const f of r.facts) if (f.verdict === 'global' || f.verdict === 'unclear') rep.facts.push({ ...f, text: f.text.replace('the address', 'the parameter') });
  }
  return rep;
}
