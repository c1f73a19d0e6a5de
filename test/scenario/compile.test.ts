// The compiled IR of small inputs, field by field.

import { describe, expect, it } from 'vitest';
import { compileScenario, RIGHT_HELD, RIGHT_READ, RIGHT_WRITE, type Instr } from '../../src/scenario/index.js';

const F = 'test.pks';
/** An Instr with every operand unused, at line:col, for toEqual. */
function ins(op: Instr['op'], line: number, col: number, text: string, fields: Partial<Instr> = {}): Instr {
  return { op, dst: -1, src: -1, page: -1, arg: -1, ref: -1, target: -1, loc: { file: F, line, col }, text, expr: null, ...fields };
}

const HANDOFF = `// Async I/O completion: the writer kmaps a buffer.
// Second line of the description.

// Not part of the description.
cpus 2
last_pkmap 512
wp 0
key pmem = 3 default readonly
page buf key pmem highmem
page plain
channel bio
completion done

task writer cpu 0 {
    p = kmap(buf)
    send(bio,p);
    wait_for_completion( done )
    kunmap(buf)
    return_to_user()
}
softirq block_done cpu 1 on bio {
    p = recv(bio)
    write(p, 0x10)
    complete(done)
}
arch x86_32
`;

describe('compileScenario', () => {
  it('compiles declarations and programs to the IR', () => {
    const ir = compileScenario(HANDOFF, 'dir/async.pks');
    expect(ir.name).toBe('async');
    expect(ir.file).toBe('dir/async.pks');
    expect(ir.source).toBe(HANDOFF);
    expect(ir.description).toBe('Async I/O completion: the writer kmaps a buffer. Second line of the description.');
    expect(ir.machine).toEqual({ arch: 'x86_32', cpus: 2, lastPkmap: 512, wp: false });
    expect(ir.keys).toEqual([{ name: 'pmem', id: 3, default: 'readonly', loc: { file: 'dir/async.pks', line: 8, col: 1 } }]);
    expect(ir.pages.map((p) => [p.name, p.key, p.highmem])).toEqual([
      ['buf', 3, true],
      ['plain', 0, false],
    ]);
    expect(ir.channels).toEqual(['bio']);
    expect(ir.completions).toEqual(['done']);
    expect(ir.works).toEqual([]);
    expect(ir.expects).toEqual([]);
  });

  it('fills every instruction field', () => {
    const ir = compileScenario(HANDOFF, F);
    const [writer, bd] = ir.contexts;
    expect(writer).toMatchObject({ name: 'writer', kind: 'user', cpu: 0, trigger: { type: 'start' }, vars: ['p'], loopSlots: 0 });
    expect(writer!.loc).toEqual({ file: F, line: 14, col: 1 });
    expect(writer!.program).toEqual([
      ins('kmap', 15, 5, 'p = kmap(buf)', { dst: 0, page: 0 }),
      ins('send', 16, 5, 'send(bio, p)', { src: 0, ref: 0 }),
      ins('wait', 17, 5, 'wait_for_completion(done)', { ref: 0 }),
      ins('kunmap', 18, 5, 'kunmap(buf)', { page: 0 }),
      ins('return_to_user', 19, 5, 'return_to_user()'),
    ]);
    expect(bd).toMatchObject({ kind: 'softirq', cpu: 1, trigger: { type: 'channel', channel: 0 }, vars: ['p'] });
    expect(bd!.program).toEqual([
      ins('recv', 22, 5, 'p = recv(bio)', { dst: 0, ref: 0 }),
      ins('write', 23, 5, 'write(p, 0x10)', { src: 0, arg: 16 }),
      ins('complete', 24, 5, 'complete(done)', { ref: 0 }),
    ]);
  });

  it('compiles every statement to its opcode and operands', () => {
    const src = `cpus 2
key k = 1
page pg key k highmem
channel ch
completion c
task t cpu 0 {
  a = kmap_local_page(pg)
  kunmap_local(a)
  b = kmap_atomic(pg)
  kunmap_atomic(b)
  d = page_address(pg)
  read(d)
  grant_access(k, READ)
  grant_access(k, READ|WRITE)
  revoke_access(k)
  revoke_access(k, WRITE)
  queue_work(wk)
  raise_softirq(s)
  raise_irq(h)
  schedule() cond_resched() preempt_disable() preempt_enable()
  local_irq_disable() local_irq_enable() pagefault_disable() pagefault_enable()
  migrate(1)
  stray_read(pg)
  stray_write(pg, 4095)
  kmap(pg)
}
softirq s cpu 1 { nop() }
hardirq h cpu 1 at tick 7 { nop() }
nmi n cpu 0 at any { nop() }
worker kw cpu 1
work wk on kw { x = recv(ch) }
arch x86_32
`;
    const ir = compileScenario(src, F);
    const p = ir.contexts[0]!.program;
    const brief = p.map((i) => [i.op, i.dst, i.src, i.page, i.arg, i.ref]);
    expect(brief).toEqual([
      ['kmap_local', 0, -1, 0, -1, -1],
      ['kunmap_local', -1, 0, -1, -1, -1],
      ['kmap_atomic', 1, -1, 0, -1, -1],
      ['kunmap_atomic', -1, 1, -1, -1, -1],
      ['page_address', 2, -1, 0, -1, -1],
      ['read', -1, 2, -1, 0, -1],
      ['grant', -1, -1, -1, RIGHT_READ, 0],
      ['grant', -1, -1, -1, RIGHT_READ | RIGHT_WRITE, 0],
      ['revoke', -1, -1, -1, RIGHT_HELD | RIGHT_READ | RIGHT_WRITE, 0],
      ['revoke', -1, -1, -1, RIGHT_WRITE, 0],
      ['queue_work', -1, -1, -1, -1, 0],
      ['raise', -1, -1, -1, -1, 1],
      ['raise', -1, -1, -1, -1, 2],
      ['schedule', -1, -1, -1, -1, -1],
      ['cond_resched', -1, -1, -1, -1, -1],
      ['preempt_disable', -1, -1, -1, -1, -1],
      ['preempt_enable', -1, -1, -1, -1, -1],
      ['irq_disable', -1, -1, -1, -1, -1],
      ['irq_enable', -1, -1, -1, -1, -1],
      ['pagefault_disable', -1, -1, -1, -1, -1],
      ['pagefault_enable', -1, -1, -1, -1, -1],
      ['migrate', -1, -1, -1, 1, -1],
      ['stray_read', -1, -1, 0, 0, -1],
      ['stray_write', -1, -1, 0, 4095, -1],
      ['kmap', -1, -1, 0, -1, -1],
    ]);
    expect(p[7]!.text).toBe('grant_access(k, READ|WRITE)');
    expect(ir.contexts.map((c) => [c.name, c.kind, c.trigger])).toEqual([
      ['t', 'user', { type: 'start' }],
      ['s', 'softirq', { type: 'raise' }],
      ['h', 'hardirq', { type: 'tick', tick: 7 }],
      ['n', 'nmi', { type: 'any' }],
      ['kw', 'worker', { type: 'start' }],
    ]);
    expect(ir.contexts[4]!.program).toEqual([]);
    expect(ir.works).toEqual([
      {
        name: 'wk',
        worker: 4,
        vars: ['x'],
        loopSlots: 0,
        program: [ins('recv', 31, 17, 'x = recv(ch)', { dst: 0, ref: 0 })],
        loc: { file: F, line: 31, col: 1 },
      },
    ]);
  });

  it('compiles repeat to loop/endloop with one slot per nesting level', () => {
    const ir = compileScenario('page pg\ntask t cpu 0 {\n repeat 3 {\n  repeat 2 { stray_read(pg) }\n }\n repeat 5 { schedule() }\n}\n', F);
    const c = ir.contexts[0]!;
    expect(c.loopSlots).toBe(2);
    expect(c.program).toEqual([
      ins('loop', 3, 2, 'repeat 3', { arg: 3, ref: 0 }),
      ins('loop', 4, 3, 'repeat 2', { arg: 2, ref: 1 }),
      ins('stray_read', 4, 14, 'stray_read(pg)', { page: 0, arg: 0 }),
      ins('endloop', 4, 29, 'end of repeat 2', { ref: 1, target: 2 }),
      ins('endloop', 5, 2, 'end of repeat 3', { ref: 0, target: 1 }),
      ins('loop', 6, 2, 'repeat 5', { arg: 5, ref: 0 }),
      ins('schedule', 6, 13, 'schedule()', {}),
      ins('endloop', 6, 24, 'end of repeat 5', { ref: 0, target: 6 }),
    ]);
  });

  it('expands memcpy_to_page/memcpy_from_page into a local map, the access and the unmap', () => {
    const ir = compileScenario('page pg\ntask t cpu 0 {\n  memcpy_to_page(pg, 0x20)\n  memcpy_from_page(pg)\n}\n', F);
    const c = ir.contexts[0]!;
    expect(c.vars).toEqual(['%memcpy']);
    expect(c.program).toEqual([
      ins('kmap_local', 3, 3, 'memcpy_to_page(pg, 0x20) [kmap_local_page]', { dst: 0, page: 0 }),
      ins('write', 3, 3, 'memcpy_to_page(pg, 0x20) [write]', { src: 0, arg: 32 }),
      ins('kunmap_local', 3, 3, 'memcpy_to_page(pg, 0x20) [kunmap_local]', { src: 0 }),
      ins('kmap_local', 4, 3, 'memcpy_from_page(pg) [kmap_local_page]', { dst: 0, page: 0 }),
      ins('read', 4, 3, 'memcpy_from_page(pg) [read]', { src: 0, arg: 0 }),
      ins('kunmap_local', 4, 3, 'memcpy_from_page(pg) [kunmap_local]', { src: 0 }),
    ]);
  });

  it('compiles expectations and their shorthands', () => {
    const src = `task t cpu 0 { nop() }
expect scoped:strict oopses == 1
expect global straysMissed>=1
expect oops
expect none no_fault
expect scoped completes
expect exception warnings != 2
`;
    const ir = compileScenario(src, F);
    expect(ir.expects.map((e) => [e.policy, e.metric, e.op, e.value, e.text, e.loc.line])).toEqual([
      ['scoped:strict', 'oopses', '==', 1, 'expect scoped:strict oopses == 1', 2],
      ['global', 'straysMissed', '>=', 1, 'expect global straysMissed >= 1', 3],
      [null, 'oopses', '>=', 1, 'expect oops', 4],
      ['none', 'faults', '==', 0, 'expect none no_fault', 5],
      ['scoped', 'finished', '==', 1, 'expect scoped completes', 6],
      ['exception', 'warnings', '!=', 2, 'expect exception warnings != 2', 7],
    ]);
  });

  it('accepts comments of every kind, semicolons and several statements on a line', () => {
    const src = `/* a block
 * comment */ cpus 1 # trailing
page pg; // a page
task t cpu 0 { a = kmap_local_page(pg); read(a, 1) /* inline */ kunmap_local(a); }
`;
    const ir = compileScenario(src, F);
    expect(ir.description).toBe('a block comment');
    expect(ir.contexts[0]!.program.map((i) => i.op)).toEqual(['kmap_local', 'read', 'kunmap_local']);
  });

  it('ignores a byte order mark', () => {
    const ir = compileScenario('\ufeffpage pg\ntask t cpu 0 { stray_read(pg) }\n', F);
    expect(ir.pages[0]!.loc).toEqual({ file: F, line: 1, col: 1 });
  });

  it('uses the last assignment of a variable for kunmap_local checks', () => {
    const src = 'page pg\ntask t cpu 0 {\n a = kmap_atomic(pg)\n kunmap_atomic(a)\n a = kmap_local_page(pg)\n kunmap_local(a)\n}\n';
    expect(compileScenario(src, F).contexts[0]!.vars).toEqual(['a']);
  });
});
