// Tokens of the .pks language. Newlines are not significant to the grammar, but each token
// records whether it starts a line: error recovery resumes at the next line.

import type { Diagnostic, DiagnosticCode } from './errors.js';

export enum T {
  Ident,
  Num,
  Punct,
  Eof,
}

/** A token is an index into Toks. */
export type Tok = number;

/**
 * The tokens as parallel arrays, not one object each: a long scenario has millions of tokens,
 * and objects that all survive would keep the garbage collector copying them.
 */
export class Toks {
  t: Uint8Array;
  line: Int32Array;
  col: Int32Array;
  /** 1 for the first token on its line. */
  bol: Uint8Array;
  /** The text as written. */
  s: string[] = [];
  count = 0;

  constructor(capacity: number) {
    this.t = new Uint8Array(capacity);
    this.line = new Int32Array(capacity);
    this.col = new Int32Array(capacity);
    this.bol = new Uint8Array(capacity);
  }

  /** Value of a number token (0 if malformed: the lexer has reported it). */
  num(tok: Tok): number {
    const v = parseNumber(this.s[tok]!);
    return Number.isNaN(v) ? 0 : v;
  }

  push(t: T, s: string, line: number, col: number, bol: boolean): Tok {
    const i = this.count++;
    if (i === this.t.length) this.grow();
    this.t[i] = t;
    this.s[i] = s;
    this.line[i] = line;
    this.col[i] = col;
    this.bol[i] = bol ? 1 : 0;
    return i;
  }

  /** A position that is not a token (end of a line, start of file), for error messages. */
  synthetic(line: number, col: number): Tok {
    return this.push(T.Eof, '', line, col, false);
  }

  private grow(): void {
    const n = this.t.length * 2;
    const t = new Uint8Array(n);
    t.set(this.t);
    this.t = t;
    const line = new Int32Array(n);
    line.set(this.line);
    this.line = line;
    const col = new Int32Array(n);
    col.set(this.col);
    this.col = col;
    const bol = new Uint8Array(n);
    bol.set(this.bol);
    this.bol = bol;
  }
}

export interface LexResult {
  /** Ends with a T.Eof token at index `eof`. */
  toks: Toks;
  eof: Tok;
  /** The first comment block, before any token, without comment markers. */
  description: string;
  errors: Diagnostic[];
}

// Single-character punctuation by character code.
const PUNCT: (string | undefined)[] = [];
for (const ch of '(){},=|;:<>!') PUNCT[ch.charCodeAt(0)] = ch;

/** Decimal or 0x hex; NaN if malformed; Infinity past 15 digits (caught by range checks). */
function parseNumber(s: string): number {
  const hex = s.length > 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) | 32) === 120;
  for (let k = hex ? 2 : 0; k < s.length; k++) {
    const d = s.charCodeAt(k);
    const ok = (d >= 48 && d <= 57) || (hex && (d | 32) >= 97 && (d | 32) <= 102);
    if (!ok) return NaN;
  }
  if (s.length > 15) return Infinity;
  return hex ? parseInt(s.slice(2), 16) : Number(s);
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

export function lex(text: string, file: string, maxErrors: number): LexResult {
  // Real scenarios have about one token per 3 to 5 characters; grow if there are more.
  const toks = new Toks(((text.length / 3) | 0) + 16);
  const errors: Diagnostic[] = [];
  const comments: string[] = [];
  let commentsDone = false;
  let lastCommentLine = 0;
  // A byte order mark from an editor is not part of the scenario (nor of column 1).
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  let bol = true;
  const n = text.length;
  const err = (code: DiagnosticCode, l: number, c: number, len: number, message: string) => {
    if (errors.length < maxErrors) errors.push({ code, file, line: l, col: c, len, message });
  };
  // Comments before the first token make the description; a blank line ends the block.
  const comment = (body: string, atLine: number) => {
    if (commentsDone) return;
    if (comments.length > 0 && atLine > lastCommentLine + 1) commentsDone = true;
    else comments.push(body.trim());
    lastCommentLine = atLine;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      bol = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const col = i - lineStart + 1;
    if (c === 35 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      // `#` or `//` to end of line
      let j = text.indexOf('\n', i);
      if (j < 0) j = n;
      comment(text.slice(i + (c === 35 ? 1 : 2), j), line);
      i = j;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) {
        err('PKS004', line, col, 2, "unterminated comment: '/*' has no matching '*/'");
        // The rest of the text is comment: end of file is on its last line.
        for (let k = i; k < n; k++) {
          if (text.charCodeAt(k) === 10) {
            line++;
            lineStart = k + 1;
          }
        }
        break;
      }
      const body = text.slice(i + 2, end);
      const startLine = line;
      for (let k = i; k < end; k++) {
        if (text.charCodeAt(k) === 10) {
          line++;
          lineStart = k + 1;
        }
      }
      body.split('\n').forEach((l, k) => comment(l.replace(/^\s*\*?/, ''), startLine + k));
      i = end + 2;
      continue;
    }
    if (!commentsDone) commentsDone = true;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      toks.push(T.Ident, text.slice(i, j), line, col, bol);
      bol = false;
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const s = text.slice(i, j);
      if (Number.isNaN(parseNumber(s))) err('PKS005', line, col, s.length, `invalid number '${s}'`);
      toks.push(T.Num, s, line, col, bol);
      bol = false;
      i = j;
      continue;
    }
    const c2 = text.charCodeAt(i + 1);
    // == != >= <= && ||
    if ((c2 === 61 && (c === 61 || c === 33 || c === 62 || c === 60)) || (c === 38 && c2 === 38) || (c === 124 && c2 === 124)) {
      toks.push(T.Punct, text.slice(i, i + 2), line, col, bol);
      bol = false;
      i += 2;
      continue;
    }
    const p = PUNCT[c];
    if (p !== undefined) {
      toks.push(T.Punct, p, line, col, bol);
      bol = false;
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    err('PKS003', line, col, 1, `stray '${cp < 32 || cp === 127 ? '\\x' + cp.toString(16).padStart(2, '0') : ch}' in scenario`);
    i += ch.length;
  }
  // EOF sits just after the last character of the text, still a position on its last line.
  const eof = toks.push(T.Eof, '', line, n - lineStart + 1, true);
  while (comments.length > 0 && comments[comments.length - 1] === '') comments.pop();
  return { toks, eof, description: comments.join(' ').replace(/\s+/g, ' ').trim(), errors };
}
