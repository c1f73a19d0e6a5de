// Recursive-descent parser for .pks. Syntax errors are collected; after one, parsing resumes
// at the next line that can start a statement (in a block) or a declaration (at top level).

import type { Arg, ContextAst, Decl, ExpectAst, ExprAst, FileAst, Stmt, TriggerAst } from './ast.js';
import type { Diagnostic, DiagnosticCode } from './errors.js';
import { T, type Tok, type Toks } from './lexer.js';
import { suggest } from './stmts.js';

/** repeat blocks nest at most this deep. */
export const MAX_NESTING = 16;

export const CONTEXT_KEYWORDS = new Set(['task', 'kthread', 'worker', 'softirq', 'hardirq', 'nmi']);
export const SETTING_KEYWORDS = new Set(['arch', 'cpus', 'last_pkmap', 'wp']);
export const DECL_KEYWORDS = new Set([...SETTING_KEYWORDS, ...CONTEXT_KEYWORDS, 'key', 'page', 'channel', 'completion', 'work', 'expect', 'invariant']);
/** Expressions nest at most this deep (parentheses and operators). */
export const MAX_EXPR_DEPTH = 64;
const CMP_OPS = new Set(['==', '!=', '>=', '<=', '>', '<']);

/** Thrown after a syntax error has been recorded, to unwind to a recovery point. */
class Abort {
  constructor(readonly at: number) {}
}
/** Thrown when too many errors have been recorded: stop parsing. */
class TooMany {}

export function describeTok(K: Toks, tok: Tok): string {
  return K.t[tok] === T.Eof ? 'end of file' : `'${K.s[tok]!}'`;
}

export class Parser {
  private i = 0;
  constructor(
    private readonly k: Toks,
    /** Index of the T.Eof token (error positions may be appended after it). */
    private readonly eof: Tok,
    private readonly file: string,
    readonly errors: Diagnostic[],
    private readonly maxErrors: number,
  ) {}

  parseFile(): FileAst {
    const decls: Decl[] = [];
    try {
      while (this.k.t[this.peek()] !== T.Eof) {
        const start = this.i;
        try {
          if (this.k.s[this.peek()]! === ';') {
            this.i++;
            continue;
          }
          this.parseDecl(decls);
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
          this.syncTop(Math.max(e.at, start + 1));
        }
      }
    } catch (e) {
      if (!(e instanceof TooMany)) throw e;
    }
    return { decls };
  }

  // --- token helpers ---

  private peek(k = 0): Tok {
    return Math.min(this.i + k, this.eof);
  }
  private next(): Tok {
    const t = this.peek();
    if (this.k.t[t] !== T.Eof) this.i++;
    return t;
  }
  /** Records a syntax error (PKS001 unless said) and unwinds to the recovery point. */
  private fail(tok: Tok, message: string, code: DiagnosticCode = 'PKS001'): never {
    this.report(tok, message, code);
    throw new Abort(this.i);
  }
  report(tok: Tok, message: string, code: DiagnosticCode): void {
    this.errors.push({ code, file: this.file, line: this.k.line[tok]!, col: this.k.col[tok]!, len: Math.max(1, this.k.s[tok]!.length), message });
    if (this.errors.length >= this.maxErrors) throw new TooMany();
  }
  private punct(s: string, what: string): Tok {
    const t = this.peek();
    if (this.k.t[t] !== T.Punct || this.k.s[t]! !== s) this.fail(t, `expected '${s}' ${what}, found ${describeTok(this.k, t)}`);
    return this.next();
  }
  /** In a declaration's header, names and numbers must be on the declaration's line. */
  private header = false;
  private sameLine(what: string): void {
    const t = this.peek();
    if (!this.header || !this.k.bol[t] || this.k.t[t] === T.Eof || this.i === 0) return;
    const prev = this.i - 1;
    this.fail(this.k.synthetic(this.k.line[prev]!, this.k.col[prev]! + this.k.s[prev]!.length), `expected ${what} at the end of the line`);
  }
  private ident(what: string): Tok {
    this.sameLine(what);
    const t = this.peek();
    if (this.k.t[t] !== T.Ident) this.fail(t, `expected ${what}, found ${describeTok(this.k, t)}`);
    return this.next();
  }
  private number(what: string): Tok {
    this.sameLine(what);
    const t = this.peek();
    if (this.k.t[t] !== T.Num) this.fail(t, `expected ${what}, found ${describeTok(this.k, t)}`);
    return this.next();
  }
  private isWord(s: string, k = 0): boolean {
    const t = this.peek(k);
    return this.k.t[t] === T.Ident && this.k.s[t]! === s;
  }
  private isPunct(s: string): boolean {
    const t = this.peek();
    return this.k.t[t] === T.Punct && this.k.s[t]! === s;
  }
  /** A declaration must end its line: anything else on the line is an error. */
  private endOfDecl(what: string): void {
    const t = this.peek();
    if (this.k.t[t] === T.Punct && this.k.s[t]! === ';') {
      this.i++;
      return;
    }
    if (this.k.t[t] !== T.Eof && !this.k.bol[t]) this.fail(t, `unexpected ${describeTok(this.k, t)} in ${what}`);
  }

  // Resume at the first line that starts with a declaration keyword.
  private syncTop(from: number): void {
    this.i = from;
    for (;;) {
      const t = this.peek();
      if (this.k.t[t] === T.Eof || (this.k.bol[t] && this.k.t[t] === T.Ident && DECL_KEYWORDS.has(this.k.s[t]!))) return;
      this.i++;
    }
  }
  // Resume at the next line start or at a '}' (which ends the current block).
  private syncStmt(from: number): void {
    this.i = from;
    for (;;) {
      const t = this.peek();
      if (this.k.t[t] === T.Eof || this.k.bol[t] || (this.k.t[t] === T.Punct && this.k.s[t]! === '}')) return;
      this.i++;
    }
  }

  // --- declarations ---

  private parseDecl(decls: Decl[]): void {
    const kw = this.peek();
    if (this.k.t[kw] !== T.Ident || !DECL_KEYWORDS.has(this.k.s[kw]!)) {
      if (this.k.t[kw] === T.Punct && this.k.s[kw]! === '}') this.fail(kw, "unmatched '}'");
      // A word of one or two letters is close to 'wp' without being a typo of it.
      const near = this.k.t[kw] === T.Ident && this.k.s[kw]!.length >= 3 ? suggest(this.k.s[kw]!, DECL_KEYWORDS) : null;
      this.fail(kw, `expected a declaration (${[...DECL_KEYWORDS].join(', ')}), found ${describeTok(this.k, kw)}${near ? `; did you mean '${near}'?` : ''}`);
    }
    this.i++;
    this.header = true;
    if (SETTING_KEYWORDS.has(this.k.s[kw]!)) {
      const value = this.k.s[kw]! === 'arch' ? this.ident(`x86_64 or x86_32 after 'arch'`) : this.number(`a number after '${this.k.s[kw]!}'`);
      this.endOfDecl(`'${this.k.s[kw]!}' setting`);
      decls.push({ kind: 'setting', kw, value });
    } else if (this.k.s[kw]! === 'key') {
      const name = this.ident('a key name');
      this.punct('=', `after the key name`);
      const id = this.number('a key number (1..15)');
      let dflt: Tok | null = null;
      if (this.isWord('default')) {
        this.i++;
        dflt = this.ident('noaccess, readonly or rw after default');
      }
      this.endOfDecl('key declaration');
      decls.push({ kind: 'key', kw, name, id, dflt });
    } else if (this.k.s[kw]! === 'page') {
      const name = this.ident('a page name');
      let key: Tok | null = null;
      let mem: Tok | null = null;
      for (;;) {
        if (this.isWord('key') && !this.k.bol[this.peek()] && key === null) {
          this.i++;
          key = this.ident('a key name after key');
        } else if ((this.isWord('highmem') || this.isWord('lowmem')) && !this.k.bol[this.peek()] && mem === null) {
          mem = this.next();
        } else break;
      }
      this.endOfDecl('page declaration (expected key NAME, highmem or lowmem)');
      decls.push({ kind: 'page', kw, name, key, mem });
    } else if (this.k.s[kw]! === 'channel' || this.k.s[kw]! === 'completion') {
      const kind = this.k.s[kw];
      decls.push({ kind, kw, name: this.ident(`a ${kind} name`) });
      while (this.isPunct(',')) {
        this.i++;
        decls.push({ kind, kw, name: this.ident(`a ${kind} name`) });
      }
      this.endOfDecl(`${kind} declaration`);
    } else if (CONTEXT_KEYWORDS.has(this.k.s[kw]!)) {
      decls.push(this.parseContext(kw));
    } else if (this.k.s[kw]! === 'work') {
      const name = this.ident('a work item name');
      if (!this.isWord('on')) this.fail(this.peek(), `expected 'on WORKER' after the work item name, found ${describeTok(this.k, this.peek())}`);
      this.i++;
      const worker = this.ident('the name of a worker');
      decls.push({ kind: 'work', kw, name, worker, body: this.parseBlock(0) });
    } else if (this.k.s[kw]! === 'invariant') {
      const from = this.i - 1;
      this.header = false;
      const expr = this.expr(0);
      const to = this.i;
      this.endOfDecl('invariant');
      decls.push({ kind: 'invariant', kw, expr, from, to });
    } else {
      decls.push(this.parseExpect(kw));
    }
  }

  // --- expressions (assert, invariant) ---

  /** or := and ('||' and)*; and := cmp ('&&' cmp)*; cmp := unary (OP unary)?; unary := '!' unary | primary. */
  private expr(depth: number): ExprAst {
    if (depth > MAX_EXPR_DEPTH) this.fail(this.peek(), `expression nested too deep (at most ${MAX_EXPR_DEPTH})`, 'PKS007');
    let l = this.andExpr(depth);
    while (this.isPunct('||')) {
      const op = this.next();
      l = { kind: 'bin', op, l, r: this.andExpr(depth) };
    }
    return l;
  }
  private andExpr(depth: number): ExprAst {
    let l = this.cmpExpr(depth);
    while (this.isPunct('&&')) {
      const op = this.next();
      l = { kind: 'bin', op, l, r: this.cmpExpr(depth) };
    }
    return l;
  }
  private cmpExpr(depth: number): ExprAst {
    const l = this.unary(depth);
    const t = this.peek();
    if (this.k.t[t] === T.Punct && CMP_OPS.has(this.k.s[t]!)) {
      const op = this.next();
      return { kind: 'bin', op, l, r: this.unary(depth) };
    }
    if (this.k.t[t] === T.Punct && this.k.s[t]! === '=') this.fail(t, "expected a comparison (==, !=, >=, <=, >, <), found '='; did you mean '=='?");
    return l;
  }
  private unary(depth: number): ExprAst {
    const t = this.peek();
    if (this.isPunct('!')) {
      this.i++;
      if (depth + 1 > MAX_EXPR_DEPTH) this.fail(t, `expression nested too deep (at most ${MAX_EXPR_DEPTH})`, 'PKS007');
      return { kind: 'not', tok: t, e: this.unary(depth + 1) };
    }
    if (this.isPunct('(')) {
      this.i++;
      const e = this.expr(depth + 1);
      this.punct(')', 'to close the parenthesis');
      return e;
    }
    if (this.k.t[t] === T.Num) return { kind: 'num', tok: this.next() };
    if (this.k.t[t] !== T.Ident) this.fail(t, `expected a number, a call such as unprotect(page), '!' or '(', found ${describeTok(this.k, t)}`);
    const name = this.next();
    this.punct('(', `after '${this.k.s[name]!}' (the counters are calls: ${this.k.s[name]!}(...))`);
    const args = this.callArgs();
    const close = this.punct(')', `to close the arguments of '${this.k.s[name]!}'`);
    return { kind: 'fn', name, args, close };
  }

  private parseContext(kw: Tok): ContextAst {
    const name = this.ident(`a ${this.k.s[kw]!} name`);
    if (!this.isWord('cpu')) this.fail(this.peek(), `expected 'cpu N' after the ${this.k.s[kw]!} name, found ${describeTok(this.k, this.peek())}`);
    this.i++;
    const cpu = this.number('a CPU number');
    let trigger: TriggerAst | null = null;
    const tt = this.peek();
    if (this.isWord('on')) {
      this.i++;
      trigger = { kind: 'on', tok: tt, channel: this.ident('a channel name after on') };
    } else if (this.isWord('at')) {
      this.i++;
      if (this.isWord('any')) {
        this.i++;
        trigger = { kind: 'any', tok: tt };
      } else if (this.isWord('tick')) {
        this.i++;
        trigger = { kind: 'tick', tok: tt, tick: this.number('a tick number after at tick') };
      } else this.fail(this.peek(), `expected 'tick N' or 'any' after at, found ${describeTok(this.k, this.peek())}`);
    }
    let body: Stmt[] | null = null;
    if (this.k.s[kw]! === 'worker') {
      if (this.isPunct('{')) this.fail(this.peek(), "a worker has no program of its own: declare its work items with 'work NAME on WORKER { ... }'", 'PKS020');
      this.endOfDecl('worker declaration');
    } else body = this.parseBlock(0);
    return { kind: 'context', kw, name, cpu, trigger, body };
  }

  private parseExpect(kw: Tok): ExpectAst {
    const from = this.i - 1;
    const first = this.ident('a metric or policy after expect');
    let policy: Tok | null = null;
    let mode: Tok | null = null;
    let metric = first;
    if (this.isPunct(':')) {
      this.i++;
      policy = first;
      mode = this.ident('a mode after the colon (strict, relaxed, silent or off)');
      metric = this.ident('a metric');
    } else if (this.k.t[this.peek()] === T.Ident && !this.k.bol[this.peek()]) {
      policy = first;
      metric = this.next();
    }
    let op: Tok | null = null;
    let value: Tok | null = null;
    const t = this.peek();
    if (this.k.t[t] === T.Punct && CMP_OPS.has(this.k.s[t]!)) {
      op = this.next();
      value = this.number('a number after the comparison');
    } else if (this.k.t[t] === T.Punct && this.k.s[t]! === '=') {
      this.fail(t, "expected a comparison (==, !=, >=, <=, >, <), found '='; did you mean '=='?");
    }
    const to = this.i;
    this.endOfDecl('expectation');
    return { kind: 'expect', kw, policy, mode, metric, op, value, from, to };
  }

  // --- statements ---

  private parseBlock(depth: number): Stmt[] {
    const open = this.punct('{', 'to start the program');
    this.header = false;
    const body: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (this.k.t[t] === T.Eof) {
        this.report(open, "unterminated block: this '{' has no matching '}'", 'PKS004');
        throw new TooMany(); // nothing after this can be parsed
      }
      if (this.k.t[t] === T.Punct && this.k.s[t]! === '}') {
        this.i++;
        return body;
      }
      if (this.k.t[t] === T.Punct && this.k.s[t]! === ';') {
        this.i++;
        continue;
      }
      const start = this.i;
      try {
        body.push(this.parseStmt(depth));
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        this.syncStmt(Math.max(e.at, start + 1));
      }
    }
  }

  private parseStmt(depth: number): Stmt {
    const from = this.i;
    const first = this.peek();
    if (this.k.t[first] !== T.Ident) {
      if (this.k.t[first] === T.Punct && this.k.s[first]! === '{') this.fail(first, "unexpected '{': only repeat N { ... } opens a block");
      this.fail(first, `expected a statement, found ${describeTok(this.k, first)}`);
    }
    if (this.k.s[first]! === 'repeat' && this.k.t[this.peek(1)] !== T.Punct) {
      this.i++;
      const count = this.number('a repeat count');
      let body: Stmt[] = [];
      if (depth + 1 > MAX_NESTING) {
        this.report(first, `repeat blocks nested too deep (at most ${MAX_NESTING})`, 'PKS007');
        this.skipBlock();
      } else body = this.parseBlock(depth + 1);
      return { kind: 'repeat', tok: first, count, body, close: this.i - 1 };
    }
    if (this.k.s[first]! === 'assert' && !(this.k.t[this.peek(1)] === T.Punct && this.k.s[this.peek(1)]! === '=')) {
      this.i++;
      const expr = this.expr(0);
      return { kind: 'assert', tok: first, expr, from, to: this.i };
    }
    if (DECL_KEYWORDS.has(this.k.s[first]!) && this.k.bol[first] && this.k.t[this.peek(1)] !== T.Punct) {
      this.fail(first, `'${this.k.s[first]!}' declaration inside a program: is a '}' missing above?`);
    }
    let dst: Tok | null = null;
    if (this.k.t[this.peek(1)] === T.Punct && this.k.s[this.peek(1)]! === '=') {
      dst = this.next();
      this.i++;
    }
    const name = this.ident(dst ? 'a call after =' : 'a statement');
    this.punct('(', `after '${this.k.s[name]!}'`);
    const args = this.callArgs();
    const close = this.punct(')', `to close the arguments of '${this.k.s[name]!}'`);
    return { kind: 'call', dst, name, args, close, from, to: this.i };
  }

  private callArgs(): Arg[] {
    const args: Arg[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        const parts = [this.atom()];
        while (this.isPunct('|')) {
          this.i++;
          parts.push(this.atom());
        }
        args.push(parts);
        if (!this.isPunct(',')) break;
        this.i++;
      }
    }
    return args;
  }

  /** Skip a balanced { ... } without recursing (used past the nesting limit). */
  private skipBlock(): void {
    const open = this.punct('{', 'to start the repeat body');
    let level = 1;
    while (level > 0) {
      const t = this.next();
      if (this.k.t[t] === T.Eof) {
        this.report(open, "unterminated block: this '{' has no matching '}'", 'PKS004');
        throw new TooMany();
      }
      if (this.k.t[t] === T.Punct && this.k.s[t]! === '{') level++;
      else if (this.k.t[t] === T.Punct && this.k.s[t]! === '}') level--;
    }
  }

  private atom(): Tok {
    const t = this.peek();
    if (this.k.t[t] !== T.Ident && this.k.t[t] !== T.Num) this.fail(t, `expected an argument, found ${describeTok(this.k, t)}`);
    return this.next();
  }
}
