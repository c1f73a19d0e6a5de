// Property: main() never throws and only exits 0..3, whatever the command line (commands,
// options, values, object property names) and whatever scenario text the file holds.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../../src/cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'pksim-prop-'));
const SCEN = join(dir, 'gen.pks');
mkdirSync(join(dir, 'c'));
writeFileSync(join(dir, 'c', 'x.c'), 'void f(struct page *p) { char *a = kmap(p); a[0] = 1; kunmap(p); }\n');

const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

const COMMANDS = ['run', 'compare', 'explore', 'list', 'pkrs', 'audit', 'help', '--help', '-h', '', 'frob', ...PROTO];
const OPTIONS = [
  '--policy',
  '--mode',
  '--policies',
  '--seed',
  '--schedule',
  '--store',
  '--warn',
  '--reset-at',
  '--max-steps',
  '--max-events',
  '--max-output',
  '--max-source',
  '--json',
  '--html',
  '--perfetto',
  '--force',
  '--quiet',
  '--bound',
  '--max-runs',
  '--max-total-steps',
  '--check',
  '--help',
  '-h',
  '--pkrs',
  '--pkru',
  '--key',
  '--access',
  '--wp',
  '--page',
  '--pks',
  '--format',
  '--jobs',
  '--all',
  '--summary',
  '--fix',
  '--',
  '--x', // not '-': it reads standard input ...PROTO.map((p) => `--${p}`),
];
const VALUES = [
  '',
  ',',
  ' , ',
  '0',
  '1',
  '2',
  '3',
  '7',
  '65536',
  '-1',
  '1e9',
  '0x55555554',
  '0x100000000',
  '99999999999999999999',
  'none',
  'global',
  'abandon',
  'exception',
  'scoped',
  'scoped:strict',
  'abandon:relaxed',
  'scoped:off',
  'global,scoped',
  'strict',
  'relaxed',
  'silent',
  'off',
  'page',
  'hash',
  'once',
  'per-site',
  'work-item',
  'schedule,work-item',
  'read',
  'write',
  'fetch',
  'user',
  'supervisor',
  'json',
  'sarif',
  'text',
  '0,1,0',
  '1,1,1,1,1,1',
  'no-leak,no-panic',
  'x'.repeat(300),
  'é💥',
  '\u0000',
  ...PROTO,
  SCEN,
  SCEN,
  'async_handoff_softirq',
  'stray_irq_during_kmap',
  join(dir, 'missing.pks'),
  dir,
  join(dir, 'c'),
  join(dir, 'out.html'),
  join(dir, 'out.json'),
  join(dir, 'no', 'out.html'),
  ...(existsSync('/dev/full') ? ['/dev/full'] : []),
];

// Scenario text: mostly well-formed statements with small counts, some token soup.
const NAMES = ['p', 'q', 'buf', 'c', 'd', 's', 'h', 't', 'w', 'kw', ...PROTO, 'x'.repeat(100)];
const name = fc.constantFrom(...NAMES);
const stmt = fc.oneof(
  fc.tuple(name, name).map(([v, p]) => `${v} = kmap(${p})`),
  fc.tuple(name, name).map(([v, p]) => `${v} = kmap_local_page(${p})`),
  name.map((v) => `kunmap_local(${v})`),
  name.map((p) => `kunmap(${p})`),
  fc.tuple(fc.constantFrom('read', 'write'), name).map(([op, v]) => `${op}(${v})`),
  fc.tuple(name, name).map(([c, v]) => `send(${c}, ${v})`),
  fc.tuple(name, name).map(([v, c]) => `${v} = recv(${c})`),
  name.map((s) => `raise_softirq(${s})`),
  name.map((h) => `raise_irq(${h})`),
  name.map((n) => `${n}(${n})`),
  fc.constantFrom(
    'schedule()',
    'local_irq_disable()',
    'local_irq_enable()',
    'complete(d)',
    'wait_for_completion(d)',
    'queue_work(w)',
    'nop()',
    'repeat 3 { nop() }',
    '{',
    '}',
    'stray_write(buf)',
  ),
);
const block = fc.array(stmt, { maxLength: 6 }).map((xs) => xs.map((x) => `  ${x}`).join('\n'));
const decl = fc.oneof(
  fc.constantFrom(
    'cpus 2',
    'key k = 1',
    'page buf key k',
    'arch x86_32',
    'page p',
    'channel c',
    'completion d',
    'worker kw cpu 0',
    'expect no_oops',
    'expect constructor',
    'expect scoped oopses == 0',
    'expect __proto__ >= 1',
  ),
  fc
    .tuple(fc.constantFrom('task', 'kthread', 'softirq', 'hardirq', 'nmi', 'constructor', '__proto__'), name, fc.constantFrom('', ' on c', ' at any', ' at tick 3'), block)
    .map(([kw, n, trig, body]) => `${kw} ${n} cpu 0${trig} {\n${body}\n}`),
  block.map((body) => `work w on kw {\n${body}\n}`),
  fc.string({ maxLength: 20 }),
);
const soup = fc.array(decl, { maxLength: 8 }).map((ds) => ds.join('\n') + '\n');

// Well-formed scenarios (so that runs happen), with object property names as declared names.
const okStmt = fc.constantFrom(
  'a = kmap(buf)',
  'kunmap(buf)',
  'write(a)',
  'read(a, 8)',
  'send(constructor, a)',
  'complete(d)',
  'wait_for_completion(d)',
  'raise_softirq(__proto__)',
  'raise_irq(toString)',
  'schedule()',
  'local_irq_disable()',
  'local_irq_enable()',
  'preempt_disable()',
  'preempt_enable()',
  'queue_work(w)',
  'stray_write(buf, 8)',
  'grant_access(k, READ)',
  'revoke_access(k)',
  'repeat 2 { write(a) }',
  'repeat 1000 { write(a) }',
);
const okBlock = fc.array(okStmt, { maxLength: 6 }).map((xs) => ['a = kmap_local_page(buf)', ...xs].map((x) => `  ${x}`).join('\n'));
const expects = fc.array(fc.constantFrom('expect no_oops', 'expect oops', 'expect scoped warnings >= 1', 'expect global faults == 0', 'expect completes'), { maxLength: 2 });
const valid = fc.tuple(okBlock, okBlock, okBlock, expects).map(
  ([t, irq, w, ex]) => `arch x86_32
cpus 2
key k = 1
page buf key k highmem
channel constructor
completion d
task valueOf cpu 0 {
${t}
}
softirq __proto__ cpu 1 on constructor {
  a = recv(constructor)
  write(a)
}
hardirq toString cpu 0 {
  nop()
}
worker kw cpu 1
work w on kw {
${w}
}
kthread hasOwnProperty cpu 1 {
${irq}
}
${ex.join('\n')}
`,
);
const scenario = fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: soup, weight: 1 });

const word = fc.oneof(fc.constantFrom(...OPTIONS), fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }));
// Half the command lines are well formed (a command, the generated scenario, options with a
// value each) so that runs happen; the rest are any words at all.
const wellFormed = fc
  .tuple(
    fc.constantFrom('run', 'compare', 'explore'),
    fc.array(fc.tuple(fc.constantFrom(...OPTIONS.filter((o) => o.startsWith('--') && o !== '--')), fc.constantFrom(...VALUES)), { maxLength: 2 }),
  )
  .map(([cmd, opts]) => [cmd, [SCEN, ...opts.flatMap(([o, v]) => (['--json', '--force', '--quiet', '--help'].includes(o) ? [o] : [o, v]))]] as [string, string[]]);
const argv = fc.oneof(fc.tuple(fc.constantFrom(...COMMANDS), fc.array(word, { maxLength: 8 })), wellFormed, wellFormed);

// Keep every case short: run, compare and explore get small limits first (a generated option
// given later overrides them, as the last value of an option wins).
function bounded(cmd: string, rest: string[]): string[] {
  if (cmd === 'run' || cmd === 'compare') return [cmd, '--max-steps', '300', '--max-events', '3000', ...rest];
  if (cmd === 'explore') return [cmd, '--max-steps', '300', '--max-runs', '30', '--max-total-steps', '3000', ...rest];
  if (cmd === 'audit') return [cmd, '--jobs', '1', ...rest.map((a) => (a === dir ? join(dir, 'c') : a))];
  return [cmd, ...rest];
}

describe('main() on generated command lines and scenarios', () => {
  // Generated output paths are relative ('--html write', 'audit . --fix --write'): they must land
  // in the temporary folder, never in the repository the tests run from.
  const home = process.cwd();
  beforeAll(() => process.chdir(dir));
  afterAll(() => process.chdir(home));

  it('never throws and exits 0, 1, 2 or 3', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(argv, scenario, async ([cmd, rest], text) => {
        writeFileSync(SCEN, text);
        const args = cmd === '' && rest.length === 0 ? [] : bounded(cmd, rest);
        expect(process.cwd()).toBe(dir);
        const io = captureIO();
        if (process.env.PKSIM_PROP_TRACE) writeFileSync(process.env.PKSIM_PROP_TRACE, JSON.stringify({ args, text }));
        let code: number;
        try {
          code = await main(args, io);
        } catch (e) {
          throw new Error(`main(${JSON.stringify(args)}) threw ${(e as Error).stack}\nscenario:\n${text}`, { cause: e });
        }
        expect([0, 1, 2, 3], JSON.stringify(args)).toContain(code);
        if (code === 2) expect(io.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }),
      { numRuns: Number(process.env.PKSIM_PROP_RUNS ?? 400), seed: process.env.PKSIM_PROP_SEED ? Number(process.env.PKSIM_PROP_SEED) : 8142 },
    );
    console.log('exit codes', JSON.stringify([...seen].sort()));
    for (const c of [0, 1, 2, 3]) expect(seen.get(c), `exit ${c} reached`).toBeGreaterThan(0);
  }, 120_000);
});
