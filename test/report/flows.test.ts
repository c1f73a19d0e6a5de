import { describe, expect, it } from 'vitest';
import { flows } from '../../src/report/flows.js';
import { run } from '../helpers.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';

const loadLibraryScenario = (name: string, policy: string) => runScenario(loadScenario(name), { policy });

const handoff = `cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel bio
completion done
task writer cpu 0 {
  p = kmap(buf)
  send(bio, p)
  wait_for_completion(done)
  kunmap(buf)
}
softirq block_done cpu 1 on bio {
  p = recv(bio)
  write(p, 0)
  complete(done)
}`;

describe('flows', () => {
  it('flows: a send is paired with the recv that took it, and the send raises the softirq it triggers', () => {
    const r = run(handoff, { policy: 'scoped:relaxed' });
    const f = flows(r.events);
    const msg = f.find((x) => x.kind === 'message')!;
    expect(r.events[msg.from]).toMatchObject({ type: 'message', dir: 'send', ctxName: 'writer', cpu: 0 });
    expect(r.events[msg.to]).toMatchObject({ type: 'message', dir: 'recv', ctxName: 'block_done', cpu: 1 });
    expect(msg.label).toBe('bio');
    const raise = f.find((x) => x.kind === 'raise')!;
    expect(r.events[raise.from]).toMatchObject({ type: 'raise', ctxName: 'writer', name: 'block_done' });
    expect(r.events[raise.to]).toMatchObject({ type: 'entry', kind: 'softirq', name: 'block_done', cpu: 1 });
  });

  it('flows: a wake-up ends at the woken task switched back in', () => {
    const r = run(handoff, { policy: 'scoped:relaxed' });
    const w = flows(r.events).filter((x) => x.kind === 'wakeup');
    expect(w).toHaveLength(1);
    expect(r.events[w[0]!.from]).toMatchObject({ type: 'wakeup', target: 'writer', ctxName: 'block_done' });
    expect(r.events[w[0]!.to]).toMatchObject({ type: 'switch', to: 'writer' });
    expect(w[0]!.label).toBe('completion done');
  });

  it('flows: queue_work ends at the worker starting that item', () => {
    const r = run(
      `cpus 2
worker kw cpu 1
work a on kw { schedule() }
work b on kw { schedule() }
task t cpu 0 { queue_work(a); queue_work(b) }`,
      { policy: 'none' },
    );
    const w = flows(r.events).filter((x) => x.kind === 'work');
    expect(w.map((x) => x.label)).toEqual(['a', 'b']);
    for (const x of w) {
      expect(r.events[x.from]).toMatchObject({ type: 'work', phase: 'queue', work: x.label, ctxName: 't' });
      expect(r.events[x.to]).toMatchObject({ type: 'work', phase: 'start', work: x.label, cpu: 1 });
    }
  });

  it('flows: an IPI lands at the target CPU', () => {
    const r = run(handoff, { policy: 'global' });
    const ipis = flows(r.events).filter((x) => x.kind === 'ipi');
    expect(ipis).toHaveLength(r.events.filter((e) => e.type === 'ipi').length);
    expect(ipis.length).toBeGreaterThan(0);
    for (const x of ipis) {
      const from = r.events[x.from]!;
      expect(from.type).toBe('ipi');
      expect(r.events[x.to]!.cpu).toBe(from.type === 'ipi' ? from.target : -1);
      expect(x.to).toBeGreaterThan(x.from);
    }
  });

  it('flows: raises while the interrupt is pending merge into one flow, as one pending bit does', () => {
    const r = run(
      `cpus 2
softirq s cpu 1 { }
task t cpu 0 { raise_softirq(s); raise_softirq(s) }`,
      { policy: 'none', schedule: [] },
    );
    const raises = r.events.filter((e) => e.type === 'raise').length;
    const entries = r.events.filter((e) => e.type === 'entry' && e.kind === 'softirq').length;
    expect(raises).toBe(2);
    expect(flows(r.events).filter((x) => x.kind === 'raise')).toHaveLength(entries);
  });

  it('flows: ids are 1..n in (from, to) order and the same run gives the same flows', () => {
    for (const name of ['async_handoff_softirq', 'async_handoff_workqueue', 'stray_irq_during_kmap']) {
      const r1 = loadLibraryScenario(name, 'global');
      const r2 = loadLibraryScenario(name, 'global');
      const f = flows(r1.events);
      expect(f.length).toBeGreaterThan(0);
      expect(f.map((x) => x.id)).toEqual(f.map((_, i) => i + 1));
      for (let i = 1; i < f.length; i++) expect(f[i - 1]!.from <= f[i]!.from).toBe(true);
      for (const x of f) expect(x.from).toBeLessThan(x.to);
      expect(flows(r2.events)).toEqual(f);
    }
  });
});
