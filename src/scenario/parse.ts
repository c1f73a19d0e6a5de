// Recursive-descent parser for .pks. Syntax errors are collected; after one, parsing resumes
// at the next line that can start a statement (in a block) or a declaration (at top level).

import type { Arg, ContextAst, Decl, ExpectAst, FileAst, Stmt, TriggerAst } from './ast.js';
import type { Diagnostic } from './errors.js';
import { T, type Tok } from './lexer.js';

/** repeat blocks nest at most this deep. */
export const MAX_NESTING = 16;

export const CONTEXT_KEYWORDS = new Set(['task', 'kthread', 'worker', 'softirq', 'hardirq', 'nmi']);
export const SETTING_KEYWORDS = new Set(['cpus', 'last_pkmap', 'wp']);
export const DECL_KEYWORDS = new Set([
  ...SETTING_KEYWORDS,
  ...CONTEXT_KEYWORDS,
  'key',
  'page',
  'channel',
  'completion',
  'work',
  'expect',
]);
const CMP_OPS = new Set(['==', '!=', '>=', '<=', '>', '<']);

/** Thrown after a syntax error has been recorded, to unwind to a recovery point. */
class Abort {
  constructor(readonly at: number) {}
}
/** Thrown when too many errors have been recorded: stop parsing. */
class TooMany {}

export function describeTok(tok: Tok): string {
  return tok.t === T.Eof ? 'end of file' : `'${tok.s}'`;
}

export class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly file: string,
    readonly errors: Diagnostic[],
    private readonly maxErrors: number,
  ) {}

  parseFile(): FileAst {
    const decls: Decl[] = [];
    try {
      while (this.peek().t !== T.Eof) {
        const start = this.i;
        try {
          if (this.peek().s === ';') {
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
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (t.t !== T.Eof) this.i++;
    return t;
  }
  private fail(tok: Tok, message: string): never {
    this.report(tok, message);
    throw new Abort(this.i);
  }
  report(tok: Tok, message: string): void {
    this.errors.push({ file: this.file, line: tok.line, col: tok.col, len: Math.max(1, tok.s.length), message });
    if (this.errors.length >= this.maxErrors) throw new TooMany();
  }
  private punct(s: string, what: string): Tok {
    const t = this.peek();
    if (t.t !== T.Punct || t.s !== s) this.fail(t, `expected '${s}' ${what}, found ${describeTok(t)}`);
    return this.next();
  }
  private ident(what: string): Tok {
    const t = this.peek();
    if (t.t !== T.Ident) this.fail(t, `expected ${what}, found ${describeTok(t)}`);
    return this.next();
  }
  private number(what: string): Tok {
    const t = this.peek();
    if (t.t !== T.Num) this.fail(t, `expected ${what}, found ${describeTok(t)}`);
    return this.next();
  }
  private isWord(s: string, k = 0): boolean {
    const t = this.peek(k);
    return t.t === T.Ident && t.s === s;
  }
  private isPunct(s: string): boolean {
    const t = this.peek();
    return t.t === T.Punct && t.s === s;
  }
  /** A declaration must end its line: anything else on the line is an error. */
  private endOfDecl(what: string): void {
    const t = this.peek();
    if (t.t === T.Punct && t.s === ';') {
      this.i++;
      return;
    }
    if (t.t !== T.Eof && !t.bol) this.fail(t, `unexpected ${describeTok(t)} in ${what}`);
  }

  // Resume at the first line that starts with a declaration keyword.
  private syncTop(from: number): void {
    this.i = from;
    for (;;) {
      const t = this.peek();
      if (t.t === T.Eof || (t.bol && t.t === T.Ident && DECL_KEYWORDS.has(t.s))) return;
      this.i++;
    }
  }
  // Resume at the next line start or at a '}' (which ends the current block).
  private syncStmt(from: number): void {
    this.i = from;
    for (;;) {
      const t = this.peek();
      if (t.t === T.Eof || t.bol || (t.t === T.Punct && t.s === '}')) return;
      this.i++;
    }
  }

  // --- declarations ---

  private parseDecl(decls: Decl[]): void {
    const kw = this.peek();
    if (kw.t !== T.Ident || !DECL_KEYWORDS.has(kw.s)) {
      if (kw.t === T.Punct && kw.s === '}') this.fail(kw, "unmatched '}'");
      this.fail(kw, `expected a declaration (cpus, key, page, channel, completion, task, kthread, worker, softirq, hardirq, nmi, work, expect), found ${describeTok(kw)}`);
    }
    this.i++;
    if (SETTING_KEYWORDS.has(kw.s)) {
      const value = this.number(`a number after '${kw.s}'`);
      this.endOfDecl(`'${kw.s}' setting`);
      decls.push({ kind: 'setting', kw, value });
    } else if (kw.s === 'key') {
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
    } else if (kw.s === 'page') {
      const name = this.ident('a page name');
      let key: Tok | null = null;
      let mem: Tok | null = null;
      for (;;) {
        if (this.isWord('key') && !this.peek().bol && key === null) {
          this.i++;
          key = this.ident('a key name after key');
        } else if ((this.isWord('highmem') || this.isWord('lowmem')) && !this.peek().bol && mem === null) {
          mem = this.next();
        } else break;
      }
      this.endOfDecl('page declaration (expected key NAME, highmem or lowmem)');
      decls.push({ kind: 'page', kw, name, key, mem });
    } else if (kw.s === 'channel' || kw.s === 'completion') {
      const kind = kw.s;
      decls.push({ kind, kw, name: this.ident(`a ${kind} name`) });
      while (this.isPunct(',')) {
        this.i++;
        decls.push({ kind, kw, name: this.ident(`a ${kind} name`) });
      }
      this.endOfDecl(`${kind} declaration`);
    } else if (CONTEXT_KEYWORDS.has(kw.s)) {
      decls.push(this.parseContext(kw));
    } else if (kw.s === 'work') {
      const name = this.ident('a work item name');
      if (!this.isWord('on')) this.fail(this.peek(), `expected 'on WORKER' after the work item name, found ${describeTok(this.peek())}`);
      this.i++;
      const worker = this.ident('the name of a worker');
      decls.push({ kind: 'work', kw, name, worker, body: this.parseBlock(0) });
    } else {
      decls.push(this.parseExpect(kw));
    }
  }

  private parseContext(kw: Tok): ContextAst {
    const name = this.ident(`a ${kw.s} name`);
    if (!this.isWord('cpu')) this.fail(this.peek(), `expected 'cpu N' after the ${kw.s} name, found ${describeTok(this.peek())}`);
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
      } else this.fail(this.peek(), `expected 'tick N' or 'any' after at, found ${describeTok(this.peek())}`);
    }
    let body: Stmt[] | null = null;
    if (kw.s === 'worker') {
      if (this.isPunct('{')) this.fail(this.peek(), "a worker has no program of its own: declare its work items with 'work NAME on WORKER { ... }'");
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
    } else if (this.peek().t === T.Ident && !this.peek().bol) {
      policy = first;
      metric = this.next();
    }
    let op: Tok | null = null;
    let value: Tok | null = null;
    const t = this.peek();
    if (t.t === T.Punct && CMP_OPS.has(t.s)) {
      op = this.next();
      value = this.number('a number after the comparison');
    } else if (t.t === T.Punct && t.s === '=') {
      this.fail(t, "expected a comparison (==, !=, >=, <=, >, <), found '='; did you mean '=='?");
    }
    const to = this.i;
    this.endOfDecl('expectation');
    return { kind: 'expect', kw, policy, mode, metric, op, value, from, to };
  }

  // --- statements ---

  private parseBlock(depth: number): Stmt[] {
    const open = this.punct('{', 'to start the program');
    const body: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === T.Eof) {
        this.report(open, "unterminated block: this '{' has no matching '}'");
        throw new TooMany(); // nothing after this can be parsed
      }
      if (t.t === T.Punct && t.s === '}') {
        this.i++;
        return body;
      }
      if (t.t === T.Punct && t.s === ';') {
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
    if (first.t !== T.Ident) {
      if (first.t === T.Punct && first.s === '{') this.fail(first, "unexpected '{': only repeat N { ... } opens a block");
      this.fail(first, `expected a statement, found ${describeTok(first)}`);
    }
    if (first.s === 'repeat' && this.peek(1).t !== T.Punct) {
      this.i++;
      const count = this.number('a repeat count');
      let body: Stmt[] = [];
      if (depth + 1 > MAX_NESTING) {
        this.report(first, `repeat blocks nested too deep (at most ${MAX_NESTING})`);
        this.skipBlock();
      } else body = this.parseBlock(depth + 1);
      return { kind: 'repeat', tok: first, count, body, close: this.toks[this.i - 1]! };
    }
    if (DECL_KEYWORDS.has(first.s) && first.bol && this.peek(1).t !== T.Punct) {
      this.fail(first, `'${first.s}' declaration inside a program: is a '}' missing above?`);
    }
    let dst: Tok | null = null;
    if (this.peek(1).t === T.Punct && this.peek(1).s === '=') {
      dst = this.next();
      this.i++;
    }
    const name = this.ident(dst ? 'a call after =' : 'a statement');
    this.punct('(', `after '${name.s}'`);
    const args: Arg[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        const parts = [this.atom()];
        while (this.isPunct('|')) {
          this.i++;
          parts.push(this.atom());
        }
        args.push({ parts });
        if (!this.isPunct(',')) break;
        this.i++;
      }
    }
    const close = this.punct(')', `to close the arguments of '${name.s}'`);
    return { kind: 'call', dst, name, args, close, from, to: this.i };
  }

  /** Skip a balanced { ... } without recursing (used past the nesting limit). */
  private skipBlock(): void {
    const open = this.punct('{', 'to start the repeat body');
    let level = 1;
    while (level > 0) {
      const t = this.next();
      if (t.t === T.Eof) {
        this.report(open, "unterminated block: this '{' has no matching '}'");
        throw new TooMany();
      }
      if (t.t === T.Punct && t.s === '{') level++;
      else if (t.t === T.Punct && t.s === '}') level--;
    }
  }

  private atom(): Tok {
    const t = this.peek();
    if (t.t !== T.Ident && t.t !== T.Num) this.fail(t, `expected an argument, found ${describeTok(t)}`);
    return this.next();
  }
}
