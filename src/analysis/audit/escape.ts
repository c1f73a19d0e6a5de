// Stage 4b: where does a mapped address go? Follows the value from the kmap() call through
// variables in the same function and reports stores, returns and calls that let it escape
// the mapping context.

import type { Node } from 'web-tree-sitter';
import type { FileModel, FnInfo } from './calls.js';
import { stripWrappers } from './parse.js';

export type Verdict = 'global' | 'unclear' | 'returned' | 'note';

export interface EscapeFact {
  verdict: Verdict;
  text: string;
  line: number;
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

/** Callees that are known to use a pointer synchronously and keep nothing. */
const SYNC = /^(mem(cpy|set|move|cmp|chr|scan|zero_explicit|cpy_(to|from)_page)|str\w*|copy_(to|from)_user\w*|__copy_\w+|copy_(to|from)_iter|copy_page\w*|clear_page|clear_user|flush_dcache_page|flush_kernel\w*|crc\w*|csum\w*|print\w*|pr_\w+|dev_(err|warn|info|dbg)|WARN\w*|BUG_ON|le\d+_to_cpu\w*|cpu_to_le\w+|be\d+_to_cpu\w*|get_unaligned\w*|put_unaligned\w*|sizeof|min|max|min_t|max_t|offset_in_page|virt_to_page|page_address|kfree|sg_virt|hex_dump\w*|print_hex_dump\w*|unlikely|likely|IS_ERR|PTR_ERR|ERR_PTR|ALIGN|memchr_inv|test_bit|set_bit|clear_bit|find_\w*bit\w*|__set_bit|__clear_bit|bitmap_\w+|kasan_\w+|kmsan_\w+|iov_iter_kvec|iov_iter_init|kernel_sendmsg\w*|kernel_recvmsg|sock_sendmsg|sock_recvmsg)$/;

/** Callees that hand what they are given to another context, or keep it. */
const ASYNC = /(queue_work|queue_delayed_work|schedule_work|schedule_delayed_work|INIT_WORK|INIT_DELAYED_WORK|kthread_\w+|tasklet_\w+|call_rcu|init_completion|^complete(_all)?$|submit_bio|bio_add_\w+|bio_init|^sg_set_buf$|^sg_init_one$|^sg_set_page$|^sg_init_table$|timer_setup|mod_timer|add_timer|^async_\w+|\w+_async$|list_add\w*|hlist_add\w*|llist_add|xa_store\w*|radix_tree_insert|idr_alloc\w*|kfifo_in\w*|\w*_enqueue\w*|\w*_submit\w*|\w*_queue\w*|\w*_set_callback|request_irq|swap\w*_push|\w*_register\w*)/;

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
    if (p.type === 'binary_expression' && /^[+-]$/.test(p.childForFieldName('operator')?.text ?? '') && p.childForFieldName('left')?.id === cur.id) continue;
    if (p.type === 'conditional_expression' && p.childForFieldName('condition')?.id !== cur.id) continue;
    break;
  }
  return cur;
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
  const fact = (verdict: Verdict, text: string, at: Node) => rep.facts.push({ verdict, text, line: line(at) });

  const useOf = (v: Node, what: string, struct: boolean) => {
    const top = climb(v);
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
        fact('returned', `${what} is returned to the caller (line ${line(p)})`, p);
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
      const base = stripWrappers(l.childForFieldName('argument')!);
      const op = l.childForFieldName('operator')?.text ?? l.child(1)?.text;
      if (op === '.' && base.type === 'identifier' && fn.locals.has(base.text) && !fn.locals.get(base.text)!.isPointer) {
        track(base.text, true);
        fact('note', `${what} is stored in ${l.text}, a field of local struct ${base.text}`, at);
      } else fact('global', `${what} is stored in struct field ${l.text}, which outlives the call`, at);
    } else if (l.type === 'subscript_expression') {
      const base = stripWrappers(l.childForFieldName('argument')!);
      if (base.type === 'identifier' && fn.locals.get(base.text)?.isArray) {
        fact('unclear', `${what} is stored in local array ${base.text}[]: convertible only if every element is unmapped in reverse order in this function`, at);
      } else fact('global', `${what} is stored in array ${l.text}, which outlives the call`, at);
    } else if (l.type === 'pointer_expression') {
      const base = stripWrappers(l.namedChild(0)!);
      const k = base.type === 'identifier' ? kindOfVar(fn, base.text) : 'global';
      if (k === 'param') fact('returned', `${what} is handed back through out-parameter ${l.text}`, at);
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
    if (callee.type !== 'identifier') {
      fact('unclear', `${what} is passed to indirect call ${name}(): target unknown`, call);
      return;
    }
    const cb = args.map((a) => (a.id === arg.id ? null : isCallback(model, a))).find((x) => x);
    if (ASYNC.test(name)) {
      fact('global', `${what} is passed to ${name}(), which hands it to another context or keeps it`, call);
      return;
    }
    if (cb) {
      fact('global', `${what} is passed to ${name}() together with callback ${cb}, which may run in another context`, call);
      return;
    }
    if (SYNC.test(name)) return;
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
  while (work.length) {
    const { name, struct } = work.shift()!;
    const what = struct ? `${name} (holding the address)` : `the address (in ${name})`;
    for (const id of fn.body.descendantsOfType('identifier')) {
      if (!id || id.text !== name) continue;
      if (id.parent?.type === 'init_declarator' && id.parent.childForFieldName('declarator')?.id === id.id) continue;
      if (id.parent?.type === 'pointer_declarator') continue;
      useOf(id, what, struct);
    }
  }
  return rep;
}

/** How a parameter of a same-file function is used: does it escape there? */
export function traceParam(model: FileModel, fn: FnInfo, param: string, depth: number): EscapeReport {
  const rep: EscapeReport = { facts: [], vars: [], discarded: false, reassigned: false, moved: false, unstable: new Set() };
  for (const id of fn.body.descendantsOfType('identifier')) {
    if (!id || id.text !== param) continue;
    // Reuse traceValue by treating each use of the parameter as the value.
    const r = traceValue(model, fn, id, depth);
    for (const f of r.facts) if (f.verdict === 'global' || f.verdict === 'unclear') rep.facts.push({ ...f, text: f.text.replace('the address', 'the parameter') });
  }
  return rep;
}
