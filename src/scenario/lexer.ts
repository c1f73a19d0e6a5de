// Tokens of the .pks language. Newlines are not significant to the grammar, but each token
// records whether it starts a line: error recovery resumes at the next line.

import type { Diagnostic } from './errors.js';

export enum T {
  Ident,
  Num,
  Punct,
  Eof,
}

export interface Tok {
  t: T;
  /** The text as written. */
  s: string;
  /** Value of a number token. */
  v: number;
  line: number;
  col: number;
  /** First token on its line. */
  bol: boolean;
}

export interface LexResult {
  toks: Tok[];
  /** The first comment block, before any token, without comment markers. */
  description: string;
  errors: Diagnostic[];
}

const TWO_CHAR = new Set(['==', '!=', '>=', '<=']);
const ONE_CHAR = '(){},=|;:<>';

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

export function lex(text: string, file: string, maxErrors: number): LexResult {
  const toks: Tok[] = [];
  const errors: Diagnostic[] = [];
  const comments: string[] = [];
  let commentsDone = false;
  let lastCommentLine = 0;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let bol = true;
  const n = text.length;
  const err = (l: number, c: number, len: number, message: string) => {
    if (errors.length < maxErrors) errors.push({ file, line: l, col: c, len, message });
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
        err(line, col, 2, "unterminated comment: '/*' has no matching '*/'");
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
      toks.push({ t: T.Ident, s: text.slice(i, j), v: 0, line, col, bol });
      bol = false;
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const s = text.slice(i, j);
      let v = NaN;
      if (/^[0-9]+$/.test(s)) v = s.length > 15 ? Infinity : Number(s);
      else if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = s.length > 15 ? Infinity : parseInt(s.slice(2), 16);
      if (Number.isNaN(v)) err(line, col, s.length, `invalid number '${s}'`);
      toks.push({ t: T.Num, s, v: Number.isNaN(v) ? 0 : v, line, col, bol });
      bol = false;
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      toks.push({ t: T.Punct, s: two, v: 0, line, col, bol });
      bol = false;
      i += 2;
      continue;
    }
    if (ONE_CHAR.includes(text[i]!)) {
      toks.push({ t: T.Punct, s: text[i]!, v: 0, line, col, bol });
      bol = false;
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    err(line, col, 1, `stray '${cp < 32 || cp === 127 ? '\\x' + cp.toString(16).padStart(2, '0') : ch}' in scenario`);
    i += ch.length;
  }
  // EOF sits just after the last character of the text, still a position on its last line.
  toks.push({ t: T.Eof, s: '', v: 0, line, col: n - lineStart + 1, bol: true });
  while (comments.length > 0 && comments[comments.length - 1] === '') comments.pop();
  return { toks, description: comments.join(' ').replace(/\s+/g, ' ').trim(), errors };
}
