// The parsed form of a scenario, before names are resolved. Every node keeps its tokens so
// that semantic errors can point at the exact spot.

import type { Tok } from './lexer.js';

/** An argument: one atom, or atoms joined by '|' (READ|WRITE). */
export type Arg = Tok[];

export interface CallStmt {
  kind: 'call';
  /** `x = ...`: the assigned variable, or null. */
  dst: Tok | null;
  name: Tok;
  args: Arg[];
  /** The closing ')'. */
  close: Tok;
  /** Token index range [from, to) of the statement, for its normalized text. */
  from: number;
  to: number;
}

export interface RepeatStmt {
  kind: 'repeat';
  tok: Tok;
  count: Tok;
  body: Stmt[];
  /** The closing '}'. */
  close: Tok;
}

/** An expression of `assert` and `invariant`: numbers, calls of the machine's counters, ! && || and comparisons. */
export type ExprAst =
  { kind: 'num'; tok: Tok } | { kind: 'fn'; name: Tok; args: Arg[]; close: Tok } | { kind: 'not'; tok: Tok; e: ExprAst } | { kind: 'bin'; op: Tok; l: ExprAst; r: ExprAst };

/** `assert EXPR` at a point of a program. */
export interface AssertStmt {
  kind: 'assert';
  tok: Tok;
  expr: ExprAst;
  from: number;
  to: number;
}

export type Stmt = CallStmt | RepeatStmt | AssertStmt;

export type TriggerAst = { kind: 'on'; tok: Tok; channel: Tok } | { kind: 'tick'; tok: Tok; tick: Tok } | { kind: 'any'; tok: Tok };

export interface SettingDecl {
  kind: 'setting';
  kw: Tok;
  value: Tok;
}
export interface KeyAst {
  kind: 'key';
  kw: Tok;
  name: Tok;
  id: Tok;
  dflt: Tok | null;
}
export interface PageAst {
  kind: 'page';
  kw: Tok;
  name: Tok;
  key: Tok | null;
  mem: Tok | null;
}
export interface NameAst {
  kind: 'channel' | 'completion';
  kw: Tok;
  name: Tok;
}
export interface ContextAst {
  kind: 'context';
  /** task, kthread, worker, softirq, hardirq or nmi. */
  kw: Tok;
  name: Tok;
  cpu: Tok;
  trigger: TriggerAst | null;
  /** Null for a worker, which runs work items only. */
  body: Stmt[] | null;
}
export interface WorkAst {
  kind: 'work';
  kw: Tok;
  name: Tok;
  worker: Tok;
  body: Stmt[];
}
export interface ExpectAst {
  kind: 'expect';
  kw: Tok;
  policy: Tok | null;
  mode: Tok | null;
  metric: Tok;
  op: Tok | null;
  value: Tok | null;
  from: number;
  to: number;
}

/** `invariant EXPR` at top level: checked in every state. */
export interface InvariantAst {
  kind: 'invariant';
  kw: Tok;
  expr: ExprAst;
  from: number;
  to: number;
}

export type Decl = SettingDecl | KeyAst | PageAst | NameAst | ContextAst | WorkAst | ExpectAst | InvariantAst;

export interface FileAst {
  /** Declarations in source order. */
  decls: Decl[];
}
