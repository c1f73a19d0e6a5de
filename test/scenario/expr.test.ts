// `assert EXPR` and `invariant EXPR`: what compiles to what, the errors with their codes, and
// what a run does with a failing one.

import { describe, expect, it } from 'vitest';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { formatDmesg } from '../../src/report/dmesg.js';

const HEAD = `cpus 2
key pmem = 1 default noaccess
page pg key pmem
`;
const errorOf = (src: string): { code: string; line: number; col: number } => {
  try {
    compileScenario(src, 'e.pks');
  } catch (e) {
    if (e instanceof ScenarioError) return { code: e.code, line: e.line, col: e.col };
    throw e;
  }
  throw new Error('compiled');
};

describe('assert and invariant', () => {
  it('compile: precedence ! over comparison over && over ||, operands resolved', () => {
    const ir = compileScenario(`${HEAD}invariant pkmap_count(pg) <= 1 || !(unprotect(pg) == 0) && 1\ntask t cpu 0 {\n  assert holds(pmem, READ|WRITE)\n}\n`, 'a.pks');
    const inv = ir.invariants[0]!;
    expect(inv.name).toBe('invariant@a.pks:4');
    expect(inv.text).toBe('invariant pkmap_count(pg) <= 1 || !(unprotect(pg) == 0) && 1');
    expect(inv.expr.op).toBe('||');
    expect(inv.expr.l!.op).toBe('<=');
    expect(inv.expr.r!.op).toBe('&&');
    expect(inv.expr.r!.l!.op).toBe('not');
    const a = ir.contexts[0]!.program[0]!;
    expect(a.op).toBe('assert');
    expect(a.expr).toMatchObject({ op: 'fn', a: 0, b: 3 });
  });

  it('errors: unknown counter PKS023, a context counter in a top-level invariant PKS020, arity PKS018, unknown page PKS002, = for == PKS001', () => {
    expect(errorOf(`${HEAD}task t cpu 0 {\n  assert unprotekt(pg) == 1\n}\n`)).toEqual({ code: 'PKS023', line: 5, col: 10 });
    expect(errorOf(`${HEAD}invariant in_irq() == 0\ntask t cpu 0 { nop() }\n`)).toEqual({ code: 'PKS020', line: 4, col: 11 });
    expect(errorOf(`${HEAD}invariant unprotect() == 0\ntask t cpu 0 { nop() }\n`)).toMatchObject({ code: 'PKS018', line: 4 });
    expect(errorOf(`${HEAD}invariant unprotect(pgg) == 0\ntask t cpu 0 { nop() }\n`)).toMatchObject({ code: 'PKS002', line: 4, col: 21 });
    expect(errorOf(`${HEAD}task t cpu 0 {\n  assert unprotect(pg) = 1\n}\n`)).toMatchObject({ code: 'PKS001', line: 5 });
  });

  it('run: a failing assert prints a WARNING at its line and fails the run; a holding one prints nothing', () => {
    const src = `${HEAD}task t cpu 0 {\n  p = kmap(pg)\n  assert unprotect(pg) == 2\n  assert unprotect(pg) == 1 && in_task() && preempt_count() == 0 && kmap_local_depth() == 0\n  kunmap(pg)\n}\n`;
    const ir = compileScenario(src, 'r.pks');
    const r = runScenario(ir, { policy: 'scoped:relaxed' });
    expect(r.expectations.filter((x) => !x.ok).map((x) => [x.metric, x.line])).toEqual([['assert', 6]]);
    const log = formatDmesg(r, src);
    expect(log).toContain('WARNING: CPU: 0 PID: 2 at r.pks:6 user t');
    expect(log).toContain('assertion failed: assert unprotect(pg) == 2');
    expect(log.match(/assertion failed/g)!.length).toBe(1);
  });

  it('run: an invariant is reported once when it turns false', () => {
    const src = `${HEAD}invariant pkmap_count(pg) == 0\ntask t cpu 0 {\n  kmap(pg)\n  nop()\n  kunmap(pg)\n}\n`;
    const r = runScenario(compileScenario(src, 'i.pks'), { policy: 'global' });
    expect(r.expectations.filter((x) => !x.ok).map((x) => [x.metric, x.line, x.actual])).toEqual([['invariant', 4, 1]]);
    expect(formatDmesg(r, src)).toContain('invariant violated: invariant pkmap_count(pg) == 0');
  });
});
