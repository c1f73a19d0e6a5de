// Every error kind, with its exact line:col, and the compiler-style caret output.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileScenario, loadScenario, ScenarioError, DIAGNOSTIC_CODES, type DiagnosticCode } from '../../src/scenario/index.js';

const F = 'bad.pks';
const HEAD = 'cpus 2\nkey pmem = 1\npage buf key pmem\nchannel bio\ncompletion done\n';

function fail(src: string): ScenarioError {
  try {
    compileScenario(src, F);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('compiled without error');
}
/** `line:col: [code] message` of the first error. */
function first(src: string): string {
  const e = fail(src);
  return `${e.line}:${e.col}: [${e.code}] ${e.message}`;
}
/** A scenario with one task whose body is `body` (which starts on line 7, column 3). */
const task = (body: string) => `${HEAD}task t cpu 0 {\n  ${body}\n}\n`;

describe('a misspelt declaration keyword', () => {
  it('names the closest keyword and lists every declaration, settings included', () => {
    const e = fail('kye pmem = 1\n');
    expect(e.code).toBe('PKS001');
    expect(e.message).toMatch(/did you mean 'key'\?$/);
    for (const kw of ['arch', 'cpus', 'last_pkmap', 'wp', 'key', 'page', 'invariant']) expect(e.message).toContain(kw);
  });

  it('suggests nothing for a one-letter word (x is not a typo of wp)', () => {
    expect(fail('x\n').message).not.toMatch(/did you mean/);
  });
});

describe('syntax errors', () => {
  const cases: [string, string, string][] = [
    ['garbage character', task('read(p, 0) @'), "7:14: [PKS003] stray '@' in scenario"],
    ['control character', 'cpus 1\x01', "1:7: [PKS003] stray '\\x01' in scenario"],
    ['unterminated comment', 'cpus 1\n  /* no end', "2:3: [PKS004] unterminated comment: '/*' has no matching '*/'"],
    ['unterminated block', `${HEAD}task t cpu 0 {\n  kmap(buf)\n`, "6:14: [PKS004] unterminated block: this '{' has no matching '}'"],
    ['missing )', task('p = kmap(buf\n  kunmap(buf)'), "8:3: [PKS001] expected ')' to close the arguments of 'kmap', found 'kunmap'"],
    ['bad number', 'cpus 12x', "1:6: [PKS005] invalid number '12x'"],
    [
      'not a declaration',
      'read(p)',
      "1:1: [PKS001] expected a declaration (arch, cpus, last_pkmap, wp, task, kthread, worker, softirq, hardirq, nmi, key, page, channel, completion, work, expect, invariant), found 'read'",
    ],
    ['unmatched }', 'cpus 1\n}', "2:1: [PKS001] unmatched '}'"],
    ['missing cpu', 'task t {\n}', "1:8: [PKS001] expected 'cpu N' after the task name, found '{'"],
    ['junk after a page', 'page buf hghmem', "1:10: [PKS001] unexpected 'hghmem' in page declaration (expected key NAME, highmem or lowmem)"],
    ['= in expect', 'expect oopses = 1', "1:15: [PKS001] expected a comparison (==, !=, >=, <=, >, <), found '='; did you mean '=='?"],
    ['worker with a body', 'worker w cpu 0 { nop() }', "1:16: [PKS020] a worker has no program of its own: declare its work items with 'work NAME on WORKER { ... }'"],
    ['stray {', task('{ read(p) }'), "7:3: [PKS001] unexpected '{': only repeat N { ... } opens a block"],
    ['bad trigger', 'softirq s cpu 0 at noon { nop() }', "1:20: [PKS001] expected 'tick N' or 'any' after at, found 'noon'"],
    ['missing }', 'task a cpu 0 {\n  nop()\ntask b cpu 0 {\n  nop()\n}\n', "3:1: [PKS001] 'task' declaration inside a program: is a '}' missing above?"],
    ['declaration split over lines', 'key\npmem = 1', '1:4: [PKS001] expected a key name at the end of the line'],
    ['missing argument', task('read(p, )'), "7:11: [PKS001] expected an argument, found ')'"],
  ];
  for (const [what, src, want] of cases) it(what, () => expect(first(src)).toBe(want));

  it('limits the nesting of repeat blocks', () => {
    let body = '';
    for (let i = 0; i < 20; i++) body += 'repeat 2 { ';
    body += 'nop()' + ' }'.repeat(20);
    expect(first(task(body))).toBe('7:179: [PKS007] repeat blocks nested too deep (at most 16)');
  });
});

describe('semantic errors', () => {
  const cases: [string, string, string][] = [
    ['unknown page', task('p = kmap(bfu)'), "7:12: [PKS002] unknown page 'bfu'; did you mean 'buf'?"],
    ['unknown key', 'key k = 1\npage p key kk', "2:12: [PKS002] unknown key 'kk'; did you mean 'k'?"],
    ['unknown channel', task('send(bo, x)'), "7:8: [PKS002] unknown channel 'bo'; did you mean 'bio'?"],
    ['unknown completion', task('complete(dun)'), "7:12: [PKS002] unknown completion 'dun'; did you mean 'done'?"],
    ['unknown work', task('queue_work(w)'), "7:14: [PKS002] unknown work 'w'"],
    ['unknown context', task('raise_softirq(nope)'), "7:17: [PKS002] unknown context 'nope'"],
    ['unknown statement', task('kmpa(buf)'), "7:3: [PKS011] unknown statement 'kmpa'; did you mean 'kmap'?"],
    ['wrong kind of name', task('p = kmap(bio)'), "7:12: [PKS008] 'bio' is a channel, not a page"],
    ['duplicate name', `${HEAD}page bio`, "6:6: [PKS009] 'bio' is already declared as a channel at line 4"],
    ['keyword as a name', 'page task', "1:6: [PKS010] 'task' is a keyword and cannot name a page"],
    ['duplicate setting', 'cpus 1\ncpus 2', "2:1: [PKS009] 'cpus' is already set at line 1"],
    ['key id out of range', 'key k = 16', "1:9: [PKS006] key number 16 out of range (1..15; key 0 is the kernel's unprotected default)"],
    ['key id 0', 'key k = 0', "1:9: [PKS006] key number 0 out of range (1..15; key 0 is the kernel's unprotected default)"],
    ['key id reused', 'key a = 1\nkey b = 1', "2:9: [PKS009] key number 1 is already used by key 'a'"],
    ['bad key default', 'key a = 1 default none', "1:19: [PKS014] expected noaccess, readonly or rw after default, found 'none'"],
    ['pointer used before assigned', task('read(p, 0)\n  p = kmap(buf)'), "7:8: [PKS016] pointer 'p' is used before it is assigned in this program"],
    ['page used as a pointer', task('write(buf, 0)'), "7:9: [PKS008] 'buf' is a page, not a pointer: map it first (p = kmap_local_page(buf))"],
    [
      'kunmap_local of a kmap pointer',
      task('p = kmap(buf)\n  kunmap_local(p)'),
      "8:16: [PKS017] kunmap_local() of 'p', which was not assigned from kmap_local_page() in this program",
    ],
    [
      'kunmap_local of a received pointer',
      task('p = recv(bio)\n  kunmap_local(p)'),
      "8:16: [PKS017] kunmap_local() of 'p', which was not assigned from kmap_local_page() in this program",
    ],
    [
      'kunmap_local of a kmap_atomic pointer',
      task('p = kmap_atomic(buf)\n  kunmap_local(p)'),
      "8:16: [PKS017] kunmap_local() of 'p', which was not assigned from kmap_local_page() in this program; use kunmap_atomic()",
    ],
    [
      'kunmap_atomic of a local pointer',
      task('p = kmap_local_page(buf)\n  kunmap_atomic(p)'),
      "8:17: [PKS017] kunmap_atomic() of 'p', which was not assigned from kmap_atomic() in this program; use kunmap_local()",
    ],
    ['kunmap of an address', task('p = kmap(buf)\n  kunmap(p)'), "8:10: [PKS008] kunmap() takes the page, not the address: 'p' is a pointer"],
    ['context CPU out of range', `${HEAD}task t cpu 2 { nop() }`, '6:12: [PKS006] CPU 2 out of range: the scenario has 2 CPUs (cpus 2)'],
    ['migrate CPU out of range', task('migrate(5)'), '7:11: [PKS006] CPU 5 out of range (0..1)'],
    [
      'task with a trigger',
      `${HEAD}task t cpu 0 on bio { nop() }`,
      "6:14: [PKS020] a task cannot have a trigger: it runs from the start; only softirq, hardirq and nmi take 'on CHANNEL', 'at tick N' or 'at any'",
    ],
    [
      'kthread with a tick',
      `${HEAD}kthread k cpu 0 at tick 3 { nop() }`,
      "6:17: [PKS020] a kthread cannot have a trigger: it runs from the start; only softirq, hardirq and nmi take 'on CHANNEL', 'at tick N' or 'at any'",
    ],
    ['return_to_user in an irq', `${HEAD}softirq s cpu 0 { return_to_user() }`, '6:19: [PKS020] return_to_user() is only for a user task (task NAME cpu N { ... })'],
    ['return_to_user in a kthread', `${HEAD}kthread k cpu 0 { return_to_user() }`, '6:19: [PKS020] return_to_user() is only for a user task (task NAME cpu N { ... })'],
    [
      'raise_softirq of a hardirq',
      `${HEAD}hardirq h cpu 0 { nop() }\ntask t cpu 0 { raise_softirq(h) }`,
      "7:30: [PKS008] raise_softirq() needs a softirq, but 'h' is a hardirq",
    ],
    ['raise_irq of a task', task('raise_irq(t)'), "7:13: [PKS008] raise_irq() needs a hardirq or nmi, but 't' is a task"],
    ['work on a non-worker', `${HEAD}work w on t { nop() }\ntask t cpu 0 { nop() }`, "6:11: [PKS008] 't' is not a worker: declare it with 'worker t cpu N'"],
    ['offset out of range', task('stray_write(buf, 0x1000)'), '7:20: [PKS006] offset 0x1000 out of range (0..4095)'],
    ['bad rights', task('grant_access(pmem, EXEC)'), "7:22: [PKS014] expected READ, WRITE or READ|WRITE, found 'EXEC'"],
    ['too many arguments', task('kunmap(buf, 1)'), '7:15: [PKS018] kunmap() takes 1 argument, not 2'],
    ['too few arguments', task('send(bio)'), '7:11: [PKS018] send() takes 2 arguments, not 1'],
    ['result not assigned', task('kmap_local_page(buf)'), '7:3: [PKS019] the result of kmap_local_page() must be assigned: p = kmap_local_page(...)'],
    ['nothing to assign', task('x = kunmap(buf)'), "7:3: [PKS019] kunmap() returns nothing to assign to 'x'"],
    ['variable named like a page', task('buf = kmap(buf)'), "7:3: [PKS009] 'buf' is a page; a pointer variable needs another name"],
    ['repeat count 0', task('repeat 0 { nop() }'), '7:10: [PKS006] repeat count 0 out of range (1..1000000)'],
    ['huge number', task('p = kmap(buf)\n  write(p, 99999999999999999999)'), '8:12: [PKS006] offset 99999999999999999999 out of range (0..4095)'],
    ['tick out of range', 'softirq s cpu 0 at tick 1000000001 { nop() }', '1:25: [PKS006] tick 1000000001 out of range (0..1000000000)'],
    ['repeat count too large', task('repeat 1000001 { nop() }'), '7:10: [PKS006] repeat count 1000001 out of range (1..1000000)'],
    ['cpus out of range', 'cpus 65', '1:6: [PKS006] cpus 65 out of range (1..64)'],
    ['wp not 0/1', 'wp 2', '1:4: [PKS006] wp is CR0.WP: 0 or 1, not 2'],
    ['unknown metric', 'task t cpu 0 { nop() }\nexpect oopsess == 1', "2:8: [PKS013] unknown metric 'oopsess'; did you mean 'oopses'?"],
    [
      'unknown policy',
      'task t cpu 0 { nop() }\nexpect globl oopses == 1',
      "2:8: [PKS012] unknown policy 'globl' (none, global, abandon, exception, scoped); did you mean 'global'?",
    ],
    ['unknown mode', 'task t cpu 0 { nop() }\nexpect scoped:lax oopses == 1', "2:15: [PKS012] unknown scoped mode 'lax' (relaxed, strict, silent, off)"],
    ['mode on a policy without modes', 'task t cpu 0 { nop() }\nexpect global:strict oops', '2:15: [PKS012] global has no modes'],
    ['metric without comparison', 'task t cpu 0 { nop() }\nexpect oopses', "2:8: [PKS001] expected a comparison after 'oopses', e.g. expect oopses == 0"],
    ['no contexts', 'cpus 1\n', '1:1: [PKS021] the scenario has no task or interrupt to run: declare one, e.g. task NAME cpu 0 { ... }'],
  ];
  for (const [what, src, want] of cases) it(what, () => expect(first(src)).toBe(want));

  it('limits the number of contexts and pages', () => {
    let ctx = 'cpus 1\n';
    for (let i = 0; i < 65; i++) ctx += `task t${i} cpu 0 { nop() }\n`;
    expect(first(ctx)).toBe('66:6: [PKS007] too many contexts (at most 64)');
    let pages = 'task t cpu 0 { nop() }\n';
    for (let i = 0; i < 4097; i++) pages += `page p${i}\n`;
    expect(first(pages)).toBe('4098:6: [PKS007] too many pages (at most 4096)');
  });
});

describe('ScenarioError', () => {
  it('formats like a C compiler: location, message, source line, caret under the token', () => {
    const e = fail(task('p = kmap(bfu)'));
    expect(e.file).toBe(F);
    expect(e.column).toBe(12);
    expect(e.exitCode).toBe(2);
    expect(e.format()).toBe("bad.pks:7:12: error[PKS002]: unknown page 'bfu'; did you mean 'buf'?\n  p = kmap(bfu)\n           ^~~\n");
  });

  it('keeps tabs in the caret line', () => {
    const e = fail('page pg\ntask t cpu 0 {\n\t\tread(q)\n}\n');
    expect(e.format()).toBe("bad.pks:3:8: error[PKS016]: pointer 'q' is used before it is assigned in this program\n\t\tread(q)\n\t\t     ^\n");
  });

  it('collects several errors, first in the file first, and shows the first few', () => {
    const body = Array.from({ length: 8 }, (_, i) => `read(q${i})`).join('\n  ');
    const e = fail(task(body));
    expect(e.diagnostics.map((d) => `${d.line}:${d.col}`)).toEqual(['7:8', '8:8', '9:8', '10:8', '11:8', '12:8', '13:8', '14:8']);
    const out = e.format();
    expect(out.match(/error\[PKS016\]:/g)).toHaveLength(5);
    expect(out.endsWith('3 more errors not shown\n')).toBe(true);
  });

  it('reports syntax errors from several declarations', () => {
    const e = fail('cpus x\npage\ntask t cpu 0 { nop() }\n');
    expect(e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
      "1:6: expected a number after 'cpus', found 'x'",
      '2:5: expected a page name at the end of the line',
    ]);
  });

  it('names a missing file', () => {
    let err: unknown;
    try {
      loadScenario('/nonexistent/dir/x.pks');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).format()).toBe('/nonexistent/dir/x.pks: error[PKS022]: no such file\n');
    expect(() => loadScenario('no_such_builtin')).toThrow("no such file or built-in scenario (see 'pksim list')");
  });
});

describe('diagnostic codes', () => {
  // Each kind of mistake, one scenario; tests match on the code, not on the message.
  const byCode: [string, string][] = [
    ['PKS001', 'cpus x'],
    ['PKS002', task('p = kmap(bfu)')],
    ['PKS003', 'cpus 1 @'],
    ['PKS004', 'cpus 1\n/* no end'],
    ['PKS005', 'cpus 12x'],
    ['PKS006', 'cpus 65'],
    ['PKS007', Array.from({ length: 65 }, (_, i) => `kthread k${i} cpu 0 { nop() }\n`).join('')],
    ['PKS008', task('p = kmap(bio)')],
    ['PKS009', 'cpus 1\ncpus 2'],
    ['PKS010', 'page task'],
    ['PKS011', task('kmpa(buf)')],
    ['PKS012', 'task t cpu 0 { nop() }\nexpect globl oopses == 1'],
    ['PKS013', 'task t cpu 0 { nop() }\nexpect oopsess == 1'],
    ['PKS014', 'arch arm64\ntask t cpu 0 { nop() }'],
    ['PKS015', 'page p highmem\ntask t cpu 0 { nop() }'],
    ['PKS016', task('read(p, 0)')],
    ['PKS017', task('p = kmap(buf)\n  kunmap_local(p)')],
    ['PKS018', task('send(bio)')],
    ['PKS019', task('x = kunmap(buf)')],
    ['PKS020', `${HEAD}kthread k cpu 0 { return_to_user() }`],
    ['PKS021', 'cpus 1\n'],
    ['PKS023', task('assert unprotekt(p) == 0')],
  ];
  for (const [code, src] of byCode)
    it(`${code}: ${DIAGNOSTIC_CODES[code as DiagnosticCode]}`, () => {
      const e = fail(src);
      expect(e.code).toBe(code);
      expect(e.diagnostics[0]!.code).toBe(code);
      expect(e.format()).toMatch(new RegExp(`^bad\\.pks:\\d+:\\d+: error\\[${code}\\]: `));
    });

  it('PKS022: a scenario that cannot be read', () => {
    expect(() => loadScenario('/nonexistent/x.pks')).toThrow(expect.objectContaining({ code: 'PKS022' }));
  });

  it('every code is exercised above, and each diagnostic as data carries its code', () => {
    expect([...byCode.map(([c]) => c), 'PKS022'].sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
    const e = fail(task('read(q1)\n  read(q2)'));
    expect(e.diagnostics.map((d) => d.code)).toEqual(['PKS016', 'PKS016']);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      kind: 'scenario',
      code: 'PKS016',
      diagnostics: [
        { code: 'PKS016', file: F, line: 7, col: 8 },
        { code: 'PKS016', line: 8 },
      ],
    });
  });

  it('docs/errors.md lists every code with the meaning given in the source', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `([A-Z]+\d+)` \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!.replace(/\\\|/g, '|')]));
    for (const [code, meaning] of Object.entries(DIAGNOSTIC_CODES)) expect(rows.get(code), code).toBe(meaning);
    expect(rows.has('PKS101')).toBe(true);
    const audit = readFileSync(new URL('../../src/analysis/audit/errors.ts', import.meta.url), 'utf8');
    for (const m of audit.matchAll(/'(AUD\d+)'/g)) expect(rows.has(m[1]!), m[1]).toBe(true);
  });
});
