// Injected strays (src/sim/inject.ts): the spec, the three kinds, the oracle's judgement, the
// fate per design, replay, and the command line.

import { describe, expect, it } from 'vitest';
import { compileScenario, loadScenario } from '../../src/scenario/index.js';
import { runScenario, Run } from '../../src/sim/runner.js';
import { formatInjectSpec, InjectSpecError, parseInjectSpec } from '../../src/sim/inject.js';
import { StateVec } from '../../src/kernel/state.js';
import { main } from '../../src/cli/main.js';
import { readFileSync } from 'node:fs';
import { captureIO } from '../../src/cli/io.js';

const HANDOFF = compileScenario(
  `cpus 2
key pmem = 1 default noaccess
page buf key pmem
page other key pmem
page free
task t cpu 0 {
  p = kmap(buf)
  write(p, 0)
  kunmap(buf)
  q = kmap_local_page(other)
  read(q, 0)
  read(q, 8)
  read(q, 16)
  kunmap_local(q)
  return_to_user()
}
kthread k cpu 1 {
  repeat 12 { schedule() }
}
`,
  'inj.pks',
);

function fieldOf(text: string): string {
  try {
    parseInjectSpec(text, HANDOFF);
  } catch (e) {
    if (e instanceof InjectSpecError) return e.field;
    throw e;
  }
  return '(none)';
}

describe('inject spec', () => {
  it('inject spec round-trips through its printed form', () => {
    const s = parseInjectSpec('op=write, kind=uaf ,tick=0x10,cpu=1,page=buf,off=128', HANDOFF);
    expect(s).toMatchObject({ tick: 16, kind: 1, write: true, cpu: 1, page: 0, off: 128 });
    expect(formatInjectSpec(s, HANDOFF)).toBe('tick=16,cpu=1,kind=uaf,page=buf,op=write,off=0x80');
    expect(parseInjectSpec(formatInjectSpec(s, HANDOFF), HANDOFF)).toEqual(s);
    expect(parseInjectSpec('tick=1,kind=forged,op=read', HANDOFF)).toMatchObject({ cpu: -1, page: -1, off: 0 });
  });

  it('inject spec errors name the bad field', () => {
    expect(fieldOf('tick=1,kind=forged')).toBe('op');
    expect(fieldOf('tick=x,kind=forged,op=read')).toBe('tick');
    expect(fieldOf('tick=1,kind=wild,op=read')).toBe('kind');
    expect(fieldOf('tick=1,kind=uaf,op=exec')).toBe('op');
    expect(fieldOf('tick=1,kind=uaf,op=read,cpu=2')).toBe('cpu');
    expect(fieldOf('tick=1,kind=uaf,op=read,page=nope')).toBe('page');
    expect(fieldOf('tick=1,kind=uaf,op=read,off=4096')).toBe('off');
    expect(fieldOf('tick=1,kind=uaf,op=read,tick=2')).toBe('tick');
    expect(fieldOf('tick=1,kind=uaf,op=read,colour=red')).toBe('colour');
  });
});

describe('injected strays', () => {
  it('inject forged: a stray the oracle counts, caught by scoped:strict and missed without PKS', () => {
    const inject = parseInjectSpec('tick=5,cpu=0,kind=forged,page=free,op=write', HANDOFF);
    // An unprotected page: no design can notice.
    for (const policy of ['none', 'scoped:strict']) {
      const r = runScenario(HANDOFF, { policy, inject, events: false });
      expect(r.injection).toMatchObject({ fired: true, fate: 'missed', contextKind: 'user', context: 't' });
      expect(r.summary.strayAccesses).toBe(1);
      expect(r.summary.straysMissed).toBe(1);
    }
    const prot = parseInjectSpec('tick=12,cpu=1,kind=forged,page=buf,op=read', HANDOFF);
    expect(runScenario(HANDOFF, { policy: 'none', inject: prot }).injection!.fate).toBe('missed');
    const strict = runScenario(HANDOFF, { policy: 'scoped:strict', inject: prot });
    expect(strict.injection).toMatchObject({ fate: 'caught', contextKind: 'kthread' });
    expect(strict.summary.straysCaught).toBe(1);
    const relaxed = runScenario(HANDOFF, { policy: 'scoped:relaxed', inject: prot });
    // buf is not kmapped at tick 12: the pardon needs a globally unprotected page, so RELAXED oopses too.
    expect(relaxed.injection!.fate).toBe('caught');
  });

  it("inject holdsKey: a stray from a context holding a mapping of the key is a holder's, else a bystander's", () => {
    // Tick 6 or so: the task holds kmap_local(other) (key pmem); the kthread holds nothing.
    const task = new Run(HANDOFF, { policy: 'none', inject: parseInjectSpec('tick=0,cpu=0,kind=foreign-local,op=read', HANDOFF), events: false });
    task.advance(Infinity);
    expect(task.injector!.fired).toBe(false);
    const fromK = new Run(HANDOFF, { policy: 'none', inject: parseInjectSpec('tick=0,cpu=1,kind=foreign-local,op=read', HANDOFF), events: false });
    fromK.advance(Infinity);
    expect(fromK.injector!.fired).toBe(true);
    expect(fromK.injector!.holdsKey).toBe(false);
    // A forged pointer from the task while its kmap_local of `other` is live: a holder.
    const r = runScenario(HANDOFF, { policy: 'none', events: true });
    const mapTick = r.events.find((e) => e.type === 'map' && e.how === 'kmap_local')!.tick;
    const holder = new Run(HANDOFF, { policy: 'none', inject: parseInjectSpec(`tick=${mapTick + 1},cpu=0,kind=forged,page=buf,op=read`, HANDOFF), events: false });
    holder.advance(Infinity);
    expect(holder.injector!.fired).toBe(true);
    expect(holder.injector!.holdsKey).toBe(true);
  });

  it('inject uaf: a pointer from a dead mapping is a stray, and fires only once a mapping of the page is dead', () => {
    const inject = parseInjectSpec('tick=0,cpu=0,kind=uaf,page=buf,op=write', HANDOFF);
    const r = runScenario(HANDOFF, { policy: 'scoped:strict', inject });
    // It fires at the step right after the kunmap(buf): the first where a mapping of buf is dead.
    expect(r.injection!.fired).toBe(true);
    const tick = Number(/tick=(\d+)/.exec(r.injection!.spec!)![1]);
    const unmap = r.events.find((e) => e.type === 'unmap')!;
    expect(tick).toBe(unmap.tick + 1);
    expect(r.injection!.fate).toBe('caught');
    expect(r.summary.strayAccesses).toBe(1);
  });

  it('inject foreign-local: a kmap_local pointer used from another context is a stray; its owner never qualifies', () => {
    const fromOther = parseInjectSpec('tick=0,cpu=1,kind=foreign-local,op=read', HANDOFF);
    const r = runScenario(HANDOFF, { policy: 'scoped:relaxed', inject: fromOther });
    expect(r.injection).toMatchObject({ fired: true, context: 'k' });
    expect(r.injection!.spec).toContain('page=other');
    expect(r.summary.strayAccesses).toBe(1);
    // From the task itself (the mapping's owner) it never fires.
    const own = runScenario(HANDOFF, { policy: 'none', inject: parseInjectSpec('tick=0,cpu=0,kind=foreign-local,op=read', HANDOFF) });
    expect(own.injection!.fired).toBe(false);
    expect(own.summary.strayAccesses).toBe(0);
  });

  it('inject replay: the printed spec with the same seed gives the same run', () => {
    const ir = loadScenario('async_handoff_workqueue');
    const inject = { ...parseInjectSpec('tick=3,kind=forged,op=write', ir), pick: 7 };
    const a = runScenario(ir, { policy: 'exception', seed: 99, inject });
    expect(a.injection!.fired).toBe(true);
    const b = runScenario(ir, { policy: 'exception', seed: 99, inject: parseInjectSpec(a.injection!.spec!, ir) });
    expect(b.injection).toEqual({ ...a.injection, requested: a.injection!.spec });
    expect(b.summary).toEqual(a.summary);
    expect(b.schedule).toEqual(a.schedule);
  });

  it('inject snapshot: a restored run fires the injection as the original did', () => {
    const inject = parseInjectSpec('tick=9,cpu=1,kind=forged,page=buf,op=write', HANDOFF);
    const whole = runScenario(HANDOFF, { policy: 'global', inject, events: false });
    const run = new Run(HANDOFF, { policy: 'global', inject, events: false });
    run.advance(5);
    const v = new StateVec();
    run.snapshot(v);
    run.advance(Infinity);
    run.restore(v);
    run.advance(Infinity);
    const again = run.finish();
    expect(again.summary).toEqual(whole.summary);
    expect(again.injection).toEqual(whole.injection);
  });

  it('inject loc: only the injected access is at <inject>; the step goes on at the scenario location', () => {
    // Two tasks on one CPU under seeded schedules: find a step whose action after the injected
    // access is a preemption (a context switch no statement makes), and check where it says it is.
    const two = compileScenario(
      `key pmem = 1 default noaccess
page buf key pmem
task a cpu 0 { p = kmap_local_page(buf); read(p, 0); read(p, 8); kunmap_local(p) }
task b cpu 0 { q = kmap_local_page(buf); read(q, 0); read(q, 8); kunmap_local(q) }
`,
      'two.pks',
    );
    let checked = 0;
    for (let seed = 0; seed < 40 && checked < 3; seed++)
      for (let tick = 1; tick < 10; tick++) {
        const r = runScenario(two, { policy: 'none', seed, inject: parseInjectSpec(`tick=${tick},kind=forged,op=read`, two) });
        const acc = r.events.findIndex((e) => e.type === 'access' && e.loc?.file === '<inject>');
        if (acc < 0) continue;
        const next = r.events[acc + 1];
        if (next?.type !== 'switch' || next.tick !== r.events[acc]!.tick) continue;
        expect(next.loc?.file).not.toBe('<inject>');
        checked++;
      }
    expect(checked).toBeGreaterThan(0);
  });

  it('inject leaves expectations unchecked and is in the JSON', async () => {
    const io = captureIO();
    const code = await main(['run', 'stray_irq_during_kmap', '--policy', 'global', '--json', '--inject', 'tick=3,kind=forged,op=write'], io);
    expect(code).toBe(0);
    const j = JSON.parse(io.stdout);
    expect(j.expectations).toEqual([]);
    expect(j.injection).toMatchObject({ fired: true, fate: 'missed', spec: 'tick=3,cpu=0,kind=forged,page=buf,op=write' });
  });

  it('inject bad spec: exit 2, one line naming the field', async () => {
    const io = captureIO();
    const code = await main(['run', 'stray_irq_during_kmap', '--inject', 'tick=3,kind=forged,op=write,page=nope'], io);
    expect(code).toBe(2);
    expect(io.stderr).toBe("pksim run: --inject: field 'page': no page 'nope' (pages: buf)\n");
    const j = captureIO();
    expect(await main(['run', 'stray_irq_during_kmap', '--json', '--inject', 'tick=3,kind=forged'], j)).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ kind: 'usage', code: 'PKS102' });
  });

  it('inject error code PKS102 is in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toMatch(/^\| `PKS102` \| an `--inject` spec/m);
    expect(new InjectSpecError('tick', 'x').code).toBe('PKS102');
  });
});
