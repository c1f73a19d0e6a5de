// Terminals: colour on a TTY (--color, NO_COLOR, FORCE_COLOR; never piped, never --json) and
// a compare table that fits 100 columns (--wide for one column per metric).
/* eslint-disable no-control-regex -- the tests match ANSI colour sequences */

import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIO, type CliIO } from '../../src/cli/io.js';
import { paintLog, painter, plain, useColor } from '../../src/cli/color.js';

const ANSI = /\u001b\[[0-9;]*m/;
const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

async function cli(over: Pick<CliIO, 'outTTY' | 'env'>, ...args: string[]) {
  const io = captureIO(over);
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('colour', () => {
  it('useColor: auto colours a terminal only; NO_COLOR turns it off, FORCE_COLOR on (0/false off); always/never win; --json never', () => {
    expect(useColor('auto', { outTTY: true, env: {} })).toBe(true);
    expect(useColor('auto', { outTTY: false, env: {} })).toBe(false);
    expect(useColor('auto', { outTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(useColor('auto', { outTTY: true, env: { NO_COLOR: '' } })).toBe(true);
    expect(useColor('auto', { outTTY: true, env: { TERM: 'dumb' } })).toBe(false);
    expect(useColor('auto', { outTTY: false, env: { FORCE_COLOR: '1' } })).toBe(true);
    expect(useColor('auto', { outTTY: true, env: { FORCE_COLOR: '0' } })).toBe(false);
    expect(useColor('auto', { outTTY: true, env: { FORCE_COLOR: 'false' } })).toBe(false);
    expect(useColor('always', { outTTY: false, env: { NO_COLOR: '1' } })).toBe(true);
    expect(useColor('never', { outTTY: true, env: { FORCE_COLOR: '1' } })).toBe(false);
    expect(useColor('always', { outTTY: true, env: {} }, true)).toBe(false);
  });

  it('paintLog colours the WARNING, BUG, Oops and panic lines, not their timestamps nor other lines', () => {
    const log =
      '[    0.000007] WARNING: CPU: 1 PID: 0 at x.pks:3 f+0x0/0x10\n[    0.000007] Call Trace:\n[    0.000008] Oops: 0023 [#1] PREEMPT SMP NOPTI\n[    0.000008] Kernel panic - not syncing: Fatal exception in interrupt\n';
    const out = paintLog(log, painter(true)).split('\n');
    expect(out[0]).toMatch(/^\[ {4}0\.000007\] \u001b\[1m\u001b\[33mWARNING: /);
    expect(out[1]).not.toMatch(ANSI);
    expect(out[2]).toMatch(/^\[ {4}0\.000008\] \u001b\[1m\u001b\[31mOops: /);
    expect(out[3]).toMatch(/\u001b\[31mKernel panic/);
    expect(strip(out.join('\n'))).toBe(log);
    expect(paintLog(log, plain)).toBe(log);
  });

  it('pksim run: colour on a terminal, none when piped, none with NO_COLOR, forced by FORCE_COLOR or --color=always, never with --json', async () => {
    const args = ['run', 'async_handoff_softirq', '--policy', 'scoped:strict'];
    const tty = await cli({ outTTY: true, env: {} }, ...args);
    expect(tty.out).toMatch(/\] \u001b\[1m\u001b\[31mBUG: unable to handle page fault/);
    expect(tty.out).toMatch(/\] \u001b\[1m\u001b\[31mKernel panic - not syncing/);
    const piped = await cli({ outTTY: false, env: {} }, ...args);
    expect(piped.out).not.toMatch(ANSI);
    expect(strip(tty.out)).toBe(piped.out);
    expect((await cli({ outTTY: true, env: { NO_COLOR: '1' } }, ...args)).out).not.toMatch(ANSI);
    expect((await cli({ outTTY: false, env: { FORCE_COLOR: '1' } }, ...args)).out).toMatch(ANSI);
    expect((await cli({ outTTY: false, env: {} }, ...args, '--color=always')).out).toMatch(ANSI);
    expect((await cli({ outTTY: true, env: {} }, ...args, '--color', 'never')).out).not.toMatch(ANSI);
    expect((await cli({ outTTY: true, env: {} }, ...args, '--json', '--color=always')).out).not.toMatch(ANSI);
    const bad = await cli({}, ...args, '--color=sometimes');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--color: 'sometimes' is not auto, always or never/);
  });

  it('pksim compare: notable cells coloured (missed, broken, panic red; caught green; warned yellow), columns unchanged', async () => {
    const piped = await cli({}, 'compare', 'stray_irq_during_kmap');
    const tty = await cli({ outTTY: true }, 'compare', 'stray_irq_during_kmap');
    expect(strip(tty.out)).toBe(piped.out);
    const row = (out: string, p: string) => out.split('\n').find((l) => strip(l).startsWith(`${p} `))!;
    expect(row(tty.out, 'none')).toMatch(/\u001b\[1m\u001b\[31m +1\u001b\[39m\u001b\[22m/); // a missed stray
    expect(row(tty.out, 'scoped:strict')).toMatch(/\u001b\[32m +1\u001b\[39m/); // caught
    expect(row(tty.out, 'scoped:strict')).toMatch(/\u001b\[1m\u001b\[31mpanic\u001b\[39m\u001b\[22m$/);
    expect(row(tty.out, 'exception')).toMatch(/\u001b\[33m +1\u001b\[39m/); // legit warned
    expect(row(tty.out, 'global')).not.toMatch(/\u001b\[32m/);
  });
});

describe('compare layout', () => {
  it('compare fits 100 columns: the whole library, every table and the legend', async () => {
    const r = await cli({}, 'compare');
    expect(r.code).toBe(0);
    const widest = Math.max(...r.out.split('\n').map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(100);
    expect(r.out).toMatch(/^ +legit +strays +exposed kernel +cost +other$/m);
    expect(r.out).toMatch(/^policy +brk wrn sil cgt wrn mis exp uns oop pnc WRN #PF msr IPI slp lif lek rep +stop$/m);
  });

  it('compare --wide keeps one column per metric with its full name', async () => {
    const r = await cli({}, 'compare', 'stray_irq_during_kmap', '--wide');
    expect(r.out).toMatch(
      /^policy +broken +warned +silent +caught +strayWarn +missed +exposure +unscoped +oops +panic +WARN +faults +wrmsr +IPIs +sleeps +lifo +leaks +reports +stop$/m,
    );
    expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeGreaterThan(100);
  });

  it('compare: the compact and wide tables hold the same numbers', async () => {
    const nums = (out: string) =>
      out
        .split('\n')
        .filter((l) => /^(none|global|abandon|exception|scoped:\w+) /.test(l))
        .map((l) => l.split(/ +/).slice(1));
    const compact = await cli({}, 'compare', 'async_handoff_softirq');
    const wide = await cli({}, 'compare', 'async_handoff_softirq', '--wide');
    expect(nums(compact.out)).toEqual(nums(wide.out));
    expect(nums(compact.out)).toHaveLength(8);
  });
});
