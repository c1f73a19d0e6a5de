// Property: any balanced sequence of map/unmap, grant/revoke and interrupt entry/exit leaves
// every count at zero and PKRS at the default once every context is back at the top.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ALL_POLICIES, machine, task } from '../helpers.js';
import type { Machine } from '../../src/kernel/machine.js';

type Block =
  | { op: 'kmap'; page: number; body: Block[] }
  | { op: 'local'; page: number; atomic: boolean; body: Block[] }
  | { op: 'grant'; rights: number; body: Block[] }
  | { op: 'irq'; kind: 'softirq' | 'hardirq' | 'nmi'; body: Block[] };

/** Balanced blocks nested at most `depth` deep. */
function blocksAt(depth: number): fc.Arbitrary<Block[]> {
  if (depth === 0) return fc.constant([]);
  const body = blocksAt(depth - 1);
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('kmap' as const), page: fc.integer({ min: 0, max: 2 }), body }),
      fc.record({ op: fc.constant('local' as const), page: fc.integer({ min: 0, max: 2 }), atomic: fc.boolean(), body }),
      fc.record({ op: fc.constant('grant' as const), rights: fc.integer({ min: 1, max: 3 }), body }),
      fc.record({ op: fc.constant('irq' as const), kind: fc.constantFrom('softirq' as const, 'hardirq' as const, 'nmi' as const), body }),
    ),
    { maxLength: 3 },
  );
}
const blocks = blocksAt(4);

function exec(m: Machine, bs: Block[]): void {
  for (const b of bs) {
    switch (b.op) {
      case 'kmap':
        // kmap() may sleep: in atomic context it is a bug of its own, so only map at task level.
        if (m.atomic(0)) exec(m, b.body);
        else {
          m.kmap(0, b.page);
          exec(m, b.body);
          m.kunmap(0, b.page);
        }
        break;
      case 'local': {
        const addr = m.kmapLocal(0, b.page, b.atomic);
        const id = m.lastMapping;
        exec(m, b.body);
        m.kunmapLocal(0, addr, id, b.atomic);
        break;
      }
      case 'grant':
        m.grant(0, 1, b.rights);
        exec(m, b.body);
        m.revoke(0, 1, b.rights);
        break;
      case 'irq':
        m.enter(0, b.kind, b.kind);
        exec(m, b.body);
        m.exit(0);
        break;
    }
  }
}

describe('balanced sequences leave nothing behind', () => {
  it.each(ALL_POLICIES)('%s', (policy) => {
    fc.assert(
      fc.property(blocks, fc.array(blocks, { maxLength: 3 }), (first, more) => {
        const m = machine(policy, { lastPkmap: 64 });
        const a = task(m, 'a', 'user');
        const b = m.newTask('b', 'kthread', 0);
        exec(m, first);
        // Other work interleaved at the top level, alternating between two tasks.
        more.forEach((bs, i) => {
          m.switchTo(0, i % 2 ? a : b);
          exec(m, bs);
        });
        m.switchTo(0, a);
        for (const t of [a, b]) {
          expect(t.local.depth).toBe(0);
          expect(t.preemptCount).toBe(0);
          expect([...t.ctx.grantR, ...t.ctx.grantW, ...t.ctx.localMapped, ...t.ctx.kmapped].every((n) => n === 0)).toBe(true);
        }
        expect(m.cpus[0]!.frames.length).toBe(1);
        // The default, less any key `abandon` gave up for good at a kmap().
        expect(m.cpus[0]!.pkrs).toBe(m.defaultPkrs());
        expect(m.cpus[0]!.msr).toBe(m.defaultPkrs());
        expect(m.globalOpen).toBe(0);
        for (let p = 0; p < 3; p++) expect(m.pkmap.users(p)).toBe(0);
        expect(m.stats.reports + m.stats.leaks + m.stats.lifoViolations).toBe(0);
      }),
      { numRuns: 150, seed: 20201218 },
    );
  });
});
