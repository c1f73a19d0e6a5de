// Issue 8: user text used as a key (statement, metric, shorthand, context kind names) must never
// reach Object.prototype: `__proto__(d)` crashed the compiler with a TypeError and
// `expect constructor` was accepted and silently dropped.

import { describe, expect, it } from 'vitest';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

function errorsOf(text: string): string[] {
  try {
    compileScenario(text, 'keys.pks');
  } catch (e) {
    if (e instanceof ScenarioError)
      return e
        .format()
        .split('\n')
        .filter((l) => l.startsWith('keys.pks:'));
    throw e;
  }
  return [];
}

describe('object property names in scenarios', () => {
  it.each(PROTO_NAMES)('statement %s(d) is an unknown statement at line:col, not a TypeError', (n) => {
    expect(errorsOf(`task t cpu 0 {\n  ${n}(d)\n}\n`)).toEqual([`keys.pks:2:3: error[PKS011]: unknown statement '${n}'`]);
  });

  it.each(PROTO_NAMES)('expect %s is an unknown metric, not silently dropped', (n) => {
    const errs = errorsOf(`task t cpu 0 {\n  nop()\n}\nexpect ${n}\nexpect scoped ${n} == 1\n`);
    expect(errs).toEqual([`keys.pks:4:8: error[PKS013]: unknown metric '${n}'`, `keys.pks:5:15: error[PKS013]: unknown metric '${n}'`]);
  });

  it.each(PROTO_NAMES)('%s is a context keyword nowhere: a declaration error at 1:1', (n) => {
    expect(errorsOf(`${n} t cpu 0 {\n  nop()\n}\n`)[0]).toMatch(/^keys\.pks:1:1: error\[PKS001\]: expected a declaration/);
  });

  it('object property names can name keys, pages, channels, contexts and variables', () => {
    const text = `key constructor = 1
page __proto__ key constructor
channel toString
task hasOwnProperty cpu 0 {
  valueOf = kmap(__proto__)
  send(toString, valueOf)
  kunmap(__proto__)
}
softirq __defineGetter__ cpu 0 on toString {
  x = recv(toString)
  write(x)
}
expect scoped warnings == 1
`;
    const ir = compileScenario(text, 'keys.pks');
    expect(ir.pages[0]!.name).toBe('__proto__');
    const r = runScenario(ir, { policy: 'scoped:relaxed' });
    expect(r.stop).toBe('done');
    expect(r.summary.warnings).toBe(1);
    expect(r.expectations.every((x) => x.ok)).toBe(true);
    expect(r.windows.map((w) => w.context)).toEqual(['hasOwnProperty', '__defineGetter__']);
  });
});
