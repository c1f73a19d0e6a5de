// Parsing only the functions that matter must not change what the audit sees.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { functionBodies, reduceSource } from '../../../src/analysis/audit/reduce.js';
import { includedRanges, isLoop } from '../../../src/analysis/audit/parse.js';
import { AUDITED_WORD, hasMapBytes, isCFile } from '../../../src/analysis/audit/prefilter.js';
import { FIXTURES } from './util.js';

const SRC = `#include <linux/highmem.h>
static int unrelated(int a)
{
	return a * 2; /* { not a brace */
}

static void helper(void *p)
{
	memset(p, 0, 8);
}

static void user(struct page *page)
{
	void *p = kmap(page);
	helper(p);
	kunmap(page);
}

static const int table[] = { 1, 2, 3 };
static void *early = kmap(boot_page);
`;

describe('reduceSource', () => {
  it('blanks bodies that neither map nor are reached from a mapping function, keeping every offset', () => {
    const r = reduceSource(SRC, AUDITED_WORD);
    expect(r).toHaveLength(SRC.length);
    expect(r.split('\n').length).toBe(SRC.split('\n').length);
    expect(r).not.toContain('return a * 2');
    expect(r).toContain('static int unrelated(int a)\n{');
    expect(r).toContain('memset(p, 0, 8);'); // a same-file callee of the mapping function
    expect(r).toContain('void *p = kmap(page);');
    expect(r).not.toContain('{ 1, 2, 3 }'); // a declaration without an audited call
    expect(r).not.toContain('not a brace'); // comments
    expect(r).not.toContain('#include'); // preprocessor lines without an audited call
    expect(r).toContain('static void *early = kmap(boot_page);'); // a top-level statement with one
  });

  it('leaves the file alone when braces do not balance (an #ifdef around a header)', () => {
    const odd = '#ifdef A\nvoid f(int a) {\n#else\nvoid f(void) {\n#endif\n\tkmap(p);\n}\n';
    expect(functionBodies(odd)).toBeNull();
    expect(reduceSource(odd, AUDITED_WORD)).toBe(odd);
  });

  it('every fixture keeps its length and its audited calls (those outside comments)', () => {
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.c'))) {
      const t = readFileSync(FIXTURES + f, 'utf8');
      const r = reduceSource(t, AUDITED_WORD);
      expect(r.length, f).toBe(t.length);
      expect(r.split('\n').length, f).toBe(t.split('\n').length);
      const code = t.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
      expect(r.match(/\bk(un)?map\w*\s*\(/g), f).toEqual(code.match(/\bk(un)?map\w*\s*\(/g));
    }
  });
  it('keeps two levels of callees and callers, users of a mapping macro and a seed-named body; no third level; without expand only the seeds', () => {
    const src = [
      '#define MAP_IT(p) kmap(p)',
      'static void leaf2(void) { touch2(); }',
      'static void leaf1(void) { leaf2(); }',
      'static void leaf0(void) { leaf1(); }',
      'static void *get(struct page *pg) { leaf0(); return kmap(pg); }',
      'static void up1(void) { get(0); }',
      'static void up2(void) { up1(); }',
      'static void up3(void) { up2(); }',
      'static void viamacro(struct page *pg) { MAP_IT(pg); }',
      'static void wanted(void) { body_of_wanted(); }',
      'static void other(void) { unrelated_body(); }',
      '',
    ].join('\n');
    const seeds = new RegExp(`${AUDITED_WORD.source}|\\bwanted\\b`);
    const r = reduceSource(src, seeds);
    expect(r).toHaveLength(src.length);
    // A body shows by what it calls: leaf1's body is `leaf2();`, up2's is `up1();`.
    for (const kept of ['leaf0();', 'leaf1();', 'leaf2();', 'up1();', 'get(0);', 'MAP_IT(pg);', 'body_of_wanted();', 'return kmap(pg);']) expect(r, kept).toContain(kept);
    for (const gone of ['touch2();', 'up2();', 'unrelated_body();']) expect(r, gone).not.toContain(gone);
    const flat = reduceSource(src, seeds, false);
    expect(flat).toContain('return kmap(pg);');
    expect(flat).toContain('body_of_wanted();');
    expect(flat).not.toContain('leaf1();');
    expect(flat).not.toContain('get(0);');
  });
});

describe('isCFile', () => {
  it('takes names ending in .c or .h, nothing else', () => {
    for (const yes of ['a.c', 'dir.h', '.c', '.h', 'x.y.c']) expect(isCFile(yes), yes).toBe(true);
    for (const no of ['c', 'h', 'a.cc', 'a.hh', 'a.C', 'a.H', 'a_c', 'a.s', 'Makefile', '', 'a.c~']) expect(isCFile(no), no).toBe(false);
  });
});

describe('hasMapBytes', () => {
  it('finds kmap or kunmap anywhere in the bytes, as a word or inside one, at the very end too', () => {
    for (const yes of ['kmap', 'x = kmap(p);', 'ttm_bo_kmap', 'kkmap', 'kunmap', '\tkunmap(page)', 'xkunmapx', 'kk kunmap'])
      expect(hasMapBytes(Buffer.from(yes)), yes).toBe(true);
    for (const no of ['', 'k', 'kma', 'kmaq', 'kunma', 'kun map', 'k map', 'KMAP', 'kmalloc kfree', 'unmap', 'map']) expect(hasMapBytes(Buffer.from(no)), no).toBe(false);
    // the same answers for text
    expect(hasMapBytes('kunmap')).toBe(true);
    expect(hasMapBytes('kunma')).toBe(false);
  });
});

describe('isLoop', () => {
  it('is true for the three loop statements only', () => {
    for (const t of ['for_statement', 'while_statement', 'do_statement']) expect(isLoop(t), t).toBe(true);
    for (const t of ['if_statement', 'switch_statement', 'compound_statement', 'function_definition', 'for_range_loop', '']) expect(isLoop(t), t).toBe(false);
  });
});

describe('includedRanges', () => {
  it('excludes runs of 64 or more blanks spanning lines (cut at line breaks), nothing when there are none', () => {
    const pad = ' '.repeat(40);
    const text = `int a;\n${pad}\n${pad}\n${pad}\nint b;${' '.repeat(70)}int c;\n`;
    const r = includedRanges(text)!;
    expect(r.map((x) => text.slice(x.startIndex, x.endIndex))).toEqual(['int a;\n', `\nint b;${' '.repeat(70)}int c;\n`]);
    expect(r[1]!.startPosition).toEqual({ row: 3, column: 40 });
    expect(includedRanges('int a;' + ' '.repeat(70) + 'int b;\n')).toBeNull(); // no line break in the run
    expect(includedRanges('int a;\n' + ' '.repeat(20) + '\n' + ' '.repeat(20) + '\nint b;\n')).toBeNull(); // a run shorter than 64
    // Short runs before a long one do not move where it starts.
    const t2 = `a  b   c\n${' '.repeat(100)}\n${' '.repeat(10)}d\n`;
    expect(includedRanges(t2)!.map((x) => [x.startIndex, x.endIndex])).toEqual([
      [0, 9],
      [109, t2.length],
    ]);
  });
});
