// Broken input of every shape gives a ScenarioError with a position inside the text, never
// another exception and never a hang; a long scenario compiles.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileScenario, libraryNames, readScenario, ScenarioError } from '../../src/scenario/index.js';

const LIBRARY = libraryNames().map((n) => readScenario(n).text);

/** Compile; return null on success, the error otherwise. Anything but ScenarioError fails. */
function check(text: string): ScenarioError | null {
  try {
    compileScenario(text, 'fuzz.pks');
    return null;
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    const lines = text.split('\n');
    for (const d of e.diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.line).toBeLessThanOrEqual(lines.length);
      expect(d.col).toBeGreaterThanOrEqual(1);
      expect(d.col).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
    }
    expect(e.format()).toContain('fuzz.pks:');
    return e;
  }
}

const TOKENS = [
  'cpus',
  'last_pkmap',
  'wp',
  'key',
  'page',
  'channel',
  'completion',
  'task',
  'kthread',
  'worker',
  'softirq',
  'hardirq',
  'nmi',
  'work',
  'expect',
  'cpu',
  'on',
  'at',
  'tick',
  'any',
  'default',
  'highmem',
  'lowmem',
  'noaccess',
  'rw',
  'repeat',
  'kmap',
  'kunmap',
  'kmap_local_page',
  'kunmap_local',
  'read',
  'write',
  'send',
  'recv',
  'grant_access',
  'READ',
  'WRITE',
  'p',
  'buf',
  'bio',
  'scoped',
  'oopses',
  '0',
  '1',
  '2',
  '15',
  '99999999999999999999',
  '0x10',
  '0x',
  '1a',
  '{',
  '}',
  '(',
  ')',
  ',',
  '=',
  '==',
  '>=',
  '|',
  ':',
  ';',
  '\n',
  '\n',
  '\n',
  ' ',
  '//',
  '#',
  '/*',
  '*/',
  '@',
  '"',
  '\t',
  '\r\n',
  'é',
  '💥',
  // Issue 8: names that are properties of Object.prototype, huge names, unicode.
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'no_oops',
  'completes',
  'x'.repeat(3000),
  `${'x'.repeat(2999)}y`,
  'ключ',
  '名前',
  '\u200b',
  '\ufeff',
  '\u0000',
];

describe('robustness', () => {
  it('survives truncations and edits of library scenarios', () => {
    fc.assert(
      fc.property(
        fc.nat(LIBRARY.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.string({ maxLength: 8 })), { maxLength: 6 }),
        fc.option(fc.nat()),
        (which, edits, cut) => {
          let text = LIBRARY[which]!;
          for (const [at, del, ins] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + ins + text.slice(i + del);
          }
          if (cut !== null) text = text.slice(0, cut % (text.length + 1));
          check(text);
        },
      ),
      { numRuns: 700 },
    );
  });

  it('survives token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }), (toks) => {
        check(toks.join(' '));
        check(toks.join(''));
      }),
      { numRuns: 700 },
    );
  });

  it('survives arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        check(s);
      }),
      { numRuns: 500 },
    );
  });

  it('survives nested repeat blocks of object property names', () => {
    const name = fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'nop', 'write', 'x'.repeat(2000));
    fc.assert(
      fc.property(fc.nat(40), name, name, (depth, stmt, arg) => {
        const body = `${'repeat 2 {\n'.repeat(depth)}${stmt}(${arg})\n${'}\n'.repeat(depth)}`;
        check(`page ${arg}\ntask ${stmt} cpu 0 {\n${body}}\nexpect ${stmt}\nexpect scoped ${arg} == 1\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('does not recurse without bound on deep nesting or many braces', () => {
    const deep = 'task t cpu 0 {\n' + 'repeat 2 {\n'.repeat(100_000) + '}\n'.repeat(100_001);
    expect(check(deep)?.message).toBe('repeat blocks nested too deep (at most 16)');
    check('{'.repeat(100_000));
    check('task t cpu 0 ' + '{'.repeat(100_000));
  });

  // A hang would trip vitest's test timeout; the compile rate itself is in `npm run bench`.
  it('compiles a 100k-line scenario', () => {
    const lines = ['cpus 2', 'key pmem = 1', 'page buf key pmem', 'channel bio', 'task t cpu 0 {'];
    for (let i = 0; i < 100_000; i++) {
      const k = i % 4;
      lines.push(k === 0 ? '  p = kmap_local_page(buf)' : k === 1 ? '  write(p, 0x10)' : k === 2 ? '  read(p, 8)' : '  kunmap_local(p)');
    }
    lines.push('}');
    const ir = compileScenario(lines.join('\n'), 'long.pks');
    expect(ir.contexts[0]!.program).toHaveLength(100_000);
    expect(ir.contexts[0]!.program[99_999]!.loc.line).toBe(100_005);
  });
});
