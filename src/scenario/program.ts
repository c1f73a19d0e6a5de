// Compiles the statements of one program (a context's or a work item's) to Instr arrays,
// checking every operand against the scenario's tables and the program's own variables.

import type { Arg, CallStmt, Stmt } from './ast.js';
import type { DiagnosticCode } from './errors.js';
import type { Instr, Opcode, SrcLoc } from './ir.js';
import { RIGHT_READ, RIGHT_WRITE } from './ir.js';
import { T, type Tok, type Toks } from './lexer.js';
import { PAGE_SIZE, STATEMENTS, suggest, type ArgKind } from './stmts.js';
import { compileExpr } from './expr.js';

/** Longest program, after expanding helpers. */
export const MAX_PROGRAM = 1_000_000;
export const MAX_REPEAT = 1_000_000;

export type NameKind = 'key' | 'page' | 'channel' | 'completion' | 'context' | 'work';

/** What the program compiler needs from the scenario: name lookup and error reporting. */
export interface ScenarioScope {
  file: string;
  cpus: number;
  toks: Toks;
  /** Index into the table of that kind, or -1 after reporting an error at tok. */
  lookup(tok: Tok, want: NameKind): number;
  /** The kind a global name was declared as, if any. */
  kindOf(name: string): NameKind | undefined;
  /** Context kind of context index i. */
  contextKind(i: number): string;
  error(code: DiagnosticCode, tok: Tok, message: string): void;
}

interface Var {
  idx: number;
  /** How the variable was last assigned, in program order. */
  from: Opcode;
}

export interface CompiledProgram {
  vars: string[];
  loopSlots: number;
  program: Instr[];
}

// Names with a '%' cannot be written in a scenario, so they never clash with a user's variable.
const MEMCPY_TMP = '%memcpy';

export function loc(file: string, K: Toks, tok: Tok): SrcLoc {
  return { file, line: K.line[tok]!, col: K.col[tok]! };
}

/** The statement's tokens re-joined with kernel-style spacing: `p = kmap(buf)`. */
export function joinTokens(K: Toks, from: Tok, to: Tok): string {
  let s = '';
  for (let t = from; t < to; t++) {
    if (t > from) {
      const p = t - 1;
      const tight =
        (K.t[t] === T.Punct && (K.s[t]! === ')' || K.s[t]! === ',' || K.s[t]! === '|' || K.s[t]! === ':' || K.s[t]! === ';')) ||
        (K.s[t]! === '(' && K.t[p] === T.Ident) ||
        (K.t[p] === T.Punct && (K.s[p]! === '(' || K.s[p]! === '|' || K.s[p]! === ':' || K.s[p]! === '!'));
      if (!tight) s += ' ';
    }
    s += K.s[t]!;
  }
  return s;
}

export function compileProgram(scope: ScenarioScope, body: Stmt[], userTask: boolean): CompiledProgram {
  const K = scope.toks;
  const vars: string[] = [];
  const varMap = new Map<string, Var>();
  const program: Instr[] = [];
  let loopSlots = 0;
  let tooLong = false;

  const mk = (op: Opcode, at: Tok, text: string): Instr => ({
    op,
    dst: -1,
    src: -1,
    page: -1,
    arg: -1,
    ref: -1,
    target: -1,
    loc: loc(scope.file, K, at),
    text,
    expr: null,
  });
  const emit = (i: Instr, at: Tok) => {
    if (program.length >= MAX_PROGRAM) {
      if (!tooLong) scope.error('PKS007', at, `program too long (more than ${MAX_PROGRAM} instructions)`);
      tooLong = true;
      return;
    }
    program.push(i);
  };
  const slot = (name: string, from: Opcode): number => {
    let v = varMap.get(name);
    if (!v) {
      v = { idx: vars.length, from };
      vars.push(name);
      varMap.set(name, v);
    }
    v.from = from;
    return v.idx;
  };

  const single = (a: Arg, what: string): Tok | null => {
    if (a.length > 1) {
      scope.error('PKS018', a[1]!, `'|' only combines READ and WRITE; expected ${what}`);
      return null;
    }
    return a[0]!;
  };
  const name = (a: Arg, what: string): Tok | null => {
    const t = single(a, what);
    if (t !== null && K.t[t] !== T.Ident) {
      scope.error('PKS018', t, `expected ${what}, found the number ${K.s[t]!}`);
      return null;
    }
    return t;
  };
  const number = (a: Arg, what: string, max: number): number => {
    const t = single(a, what);
    if (t === null) return 0;
    if (K.t[t] !== T.Num) {
      scope.error('PKS018', t, `expected ${what} (a number), found '${K.s[t]!}'`);
      return 0;
    }
    if (K.num(t) > max) scope.error('PKS006', t, `${what} ${K.s[t]!} out of range (0..${max})`);
    return K.num(t);
  };
  const pointer = (a: Arg, call: string, need: Opcode | null): number => {
    const t = name(a, 'a pointer variable');
    if (t === null) return -1;
    const v = varMap.get(K.s[t]!);
    if (!v) {
      const k = scope.kindOf(K.s[t]!);
      if (k === 'page') scope.error('PKS008', t, `'${K.s[t]!}' is a page, not a pointer: map it first (p = kmap_local_page(${K.s[t]!}))`);
      else if (k) scope.error('PKS008', t, `'${K.s[t]!}' is a ${k}, not a pointer`);
      else scope.error('PKS016', t, `pointer '${K.s[t]!}' is used before it is assigned in this program`);
      return -1;
    }
    if (need && v.from !== need) {
      const made = need === 'kmap_local' ? 'kmap_local_page' : 'kmap_atomic';
      const hint = v.from === 'kmap_local' ? '; use kunmap_local()' : v.from === 'kmap_atomic' ? '; use kunmap_atomic()' : '';
      scope.error('PKS017', t, `${call}() of '${K.s[t]!}', which was not assigned from ${made}() in this program${hint}`);
    }
    return v.idx;
  };
  const page = (a: Arg, call: string): number => {
    const t = name(a, 'a page');
    if (t === null) return -1;
    if (varMap.has(K.s[t]!) && scope.kindOf(K.s[t]!) === undefined) {
      scope.error(
        'PKS008',
        t,
        call === 'kunmap' ? `kunmap() takes the page, not the address: '${K.s[t]!}' is a pointer` : `${call}() takes a page, but '${K.s[t]!}' is a pointer`,
      );
      return -1;
    }
    return scope.lookup(t, 'page');
  };
  const rights = (a: Arg): number => {
    let r = 0;
    for (const t of a) {
      if (K.s[t]! === 'READ') r |= RIGHT_READ;
      else if (K.s[t]! === 'WRITE') r |= RIGHT_WRITE;
      else scope.error('PKS014', t, `expected READ, WRITE or READ|WRITE, found '${K.s[t]!}'`);
    }
    return r;
  };
  const context = (a: Arg, want: ArgKind, call: string): number => {
    const t = name(a, want === 'softirq' ? 'a softirq' : 'a hardirq or nmi');
    if (t === null) return -1;
    const i = scope.lookup(t, 'context');
    if (i < 0) return -1;
    const kind = scope.contextKind(i);
    const ok = want === 'softirq' ? kind === 'softirq' : kind === 'hardirq' || kind === 'nmi';
    if (!ok) scope.error('PKS008', t, `${call}() needs ${want === 'softirq' ? 'a softirq' : 'a hardirq or nmi'}, but '${K.s[t]!}' is a ${kind === 'user' ? 'task' : kind}`);
    return i;
  };

  const call = (st: CallStmt) => {
    const fname = K.s[st.name]!;
    const sig = STATEMENTS.get(fname);
    if (!sig) {
      const s = suggest(fname, STATEMENTS.keys());
      scope.error('PKS011', st.name, `unknown statement '${fname}'${s ? `; did you mean '${s}'?` : ''}`);
      return;
    }
    if (st.dst !== null && sig.dst === 'no') scope.error('PKS019', st.dst, `${fname}() returns nothing to assign to '${K.s[st.dst]!}'`);
    if (st.dst === null && sig.dst === 'must') scope.error('PKS019', st.name, `the result of ${fname}() must be assigned: p = ${fname}(...)`);
    if (sig.userOnly && !userTask) scope.error('PKS020', st.name, `${fname}() is only for a user task (task NAME cpu N { ... })`);
    const n = st.args.length;
    if (n < sig.required || n > sig.args.length) {
      const want = sig.required === sig.args.length ? `${sig.required}` : `${sig.required} or ${sig.args.length}`;
      const at = n > sig.args.length ? st.args[sig.args.length]![0]! : st.close;
      scope.error('PKS018', at, `${fname}() takes ${want} argument${want === '1' ? '' : 's'}, not ${n}`);
      return;
    }
    const text = joinTokens(scope.toks, st.from, st.to);
    const ins = mk(sig.op, st.dst ?? st.name, text);
    ins.arg = sig.defaultArg;
    for (let i = 0; i < n; i++) {
      const a = st.args[i]!;
      const kind = sig.args[i]!;
      switch (kind) {
        case 'page':
          ins.page = page(a, fname);
          break;
        case 'ptr':
          ins.src = pointer(a, fname, null);
          break;
        case 'local':
          ins.src = pointer(a, fname, 'kmap_local');
          break;
        case 'atomic':
          ins.src = pointer(a, fname, 'kmap_atomic');
          break;
        case 'off':
          ins.arg = number(a, 'offset', PAGE_SIZE - 1);
          break;
        case 'cpu': {
          ins.arg = number(a, 'CPU', scope.cpus - 1);
          break;
        }
        case 'rights':
          ins.arg = rights(a);
          break;
        case 'key':
        case 'work': {
          const t = name(a, `a ${kind}`);
          if (t !== null) ins.ref = scope.lookup(t, kind);
          break;
        }
        case 'chan':
        case 'comp': {
          const want = kind === 'chan' ? 'channel' : 'completion';
          const t = name(a, `a ${want}`);
          if (t !== null) ins.ref = scope.lookup(t, want);
          break;
        }
        case 'softirq':
        case 'irq':
          ins.ref = context(a, kind, fname);
          break;
      }
    }
    if (st.dst !== null) {
      const k = scope.kindOf(K.s[st.dst]!);
      if (k) scope.error('PKS009', st.dst, `'${K.s[st.dst]!}' is a ${k}; a pointer variable needs another name`);
      ins.dst = slot(K.s[st.dst]!, sig.op);
    }
    if (sig.expand) {
      // memcpy_to_page(): kmap_local_page(), the copy, kunmap_local(), all at this statement.
      const tmp = slot(MEMCPY_TMP, 'kmap_local');
      const map = mk('kmap_local', st.name, `${text} [kmap_local_page]`);
      map.dst = tmp;
      map.page = ins.page;
      const unmap = mk('kunmap_local', st.name, `${text} [kunmap_local]`);
      unmap.src = tmp;
      ins.src = tmp;
      ins.page = -1;
      ins.text = `${text} [${sig.expand}]`;
      emit(map, st.name);
      emit(ins, st.name);
      emit(unmap, st.name);
      return;
    }
    emit(ins, st.name);
  };

  const block = (stmts: Stmt[], depth: number) => {
    for (const st of stmts) {
      if (st.kind === 'call') {
        call(st);
        continue;
      }
      if (st.kind === 'assert') {
        const ins = mk('assert', st.tok, joinTokens(K, st.from, st.to));
        ins.expr = compileExpr(scope, st.expr, true);
        emit(ins, st.tok);
        continue;
      }
      const count = K.num(st.count);
      if (count < 1 || count > MAX_REPEAT) scope.error('PKS006', st.count, `repeat count ${K.s[st.count]!} out of range (1..${MAX_REPEAT})`);
      loopSlots = Math.max(loopSlots, depth + 1);
      const head = mk('loop', st.tok, `repeat ${K.s[st.count]!}`);
      head.ref = depth;
      head.arg = count;
      emit(head, st.tok);
      const first = program.length;
      block(st.body, depth + 1);
      const end = mk('endloop', st.close, `end of repeat ${K.s[st.count]!}`);
      end.ref = depth;
      end.target = first;
      emit(end, st.close);
    }
  };
  block(body, 0);
  return { vars, loopSlots, program };
}
