// Issue 14: "did you mean" computed an edit distance quadratic in the names' length: two
// similar 20 KB names took 7 s to report one unknown name.

import { describe, expect, it } from 'vitest';
import { compileScenario, ScenarioError } from '../../src/scenario/index.js';
import { SUGGEST_MAX_LEN, suggest } from '../../src/scenario/stmts.js';

function firstError(text: string): string {
  try {
    compileScenario(text, 's.pks');
  } catch (e) {
    if (e instanceof ScenarioError) return e.diagnostics[0]!.message;
    throw e;
  }
  return '';
}

describe('did you mean', () => {
  it('two similar 20 KB names took 7 s; now bounded: well under a second, no suggestion', () => {
    const a = 'q'.repeat(20_000);
    const t0 = performance.now();
    const msg = firstError(`page ${a}x\npage ${a}z\ntask t cpu 0 {\n  kmap(${a}y)\n  kmap(${a}w)\n}\n`);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(msg).toBe(`unknown page '${a}y'`);
  });

  it('many declared names: bounded too', () => {
    const pages = Array.from({ length: 4000 }, (_, i) => `page p${'x'.repeat(60)}${i}`).join('\n');
    const t0 = performance.now();
    firstError(`${pages}\ntask t cpu 0 {\n${Array.from({ length: 19 }, (_, i) => `  kmap(p${'x'.repeat(59)}${i}y)`).join('\n')}\n}\n`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('still suggests for a typo in a name a person types', () => {
    expect(firstError('page buffer\ntask t cpu 0 {\n  kmap(bufer)\n}\n')).toBe("unknown page 'bufer'; did you mean 'buffer'?");
    expect(firstError('task t cpu 0 {\n  kunmap_locl(p)\n}\n')).toBe("unknown statement 'kunmap_locl'; did you mean 'kunmap_local'?");
    expect(suggest('x'.repeat(SUGGEST_MAX_LEN + 1), ['x'.repeat(SUGGEST_MAX_LEN + 1)])).toBeNull();
  });
});
