// Which pages' kmap() records only their maker ends (sim/ownkmap.ts): what lets the canonical
// state forget the order of different contexts' records and lets partial-order reduction take
// an access through a context's own kmap() alone.

import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/index.js';
import { ownKmapsOnly } from '../../src/sim/ownkmap.js';

const head = 'cpus 2\nkey pmem = 1 default noaccess\npage a key pmem\npage b key pmem\n';
const own = (body: string): number[] => Array.from(ownKmapsOnly(compileScenario(head + body, 'o.pks')));

describe('ownKmapsOnly', () => {
  it('a page every context kunmap()s only after its own kmap() (loops included) is own-only', () => {
    expect(own('task t cpu 0 {\n repeat 3 {\n  p = kmap(a)\n  write(p, 0)\n  kunmap(a)\n }\n}\ntask u cpu 1 {\n p = kmap(b)\n q = page_address(b)\n kunmap(b)\n}\n')).toEqual([
      1, 1,
    ]);
  });

  it('a kunmap() with no kmap() of its own before it (a foreign kunmap) makes the page shared', () => {
    expect(own('task t cpu 0 {\n p = kmap(a)\n kunmap(a)\n kunmap(a)\n}\ntask u cpu 1 {\n p = kmap(b)\n kunmap(b)\n}\n')).toEqual([0, 1]);
  });

  it('a loop that kunmap()s more than it kmap()s makes the page shared on the round that runs out', () => {
    expect(own('task t cpu 0 {\n p = kmap(a)\n q = kmap(a)\n repeat 3 {\n  kunmap(a)\n }\n}\n')).toEqual([0, 1]);
    expect(own('task t cpu 0 {\n p = kmap(a)\n q = kmap(a)\n repeat 2 {\n  kunmap(a)\n }\n}\n')).toEqual([1, 1]);
  });

  it('page_address() without a kmap() of its own (it would take the oldest record) makes the page shared', () => {
    expect(own('task t cpu 0 {\n p = kmap(a)\n kunmap(a)\n}\ntask u cpu 1 {\n q = page_address(a)\n}\n')).toEqual([0, 1]);
  });

  it("an interrupt's program starts holding nothing on every invocation; a work item's too", () => {
    expect(own('task t cpu 0 {\n p = kmap(a)\n raise_softirq(s)\n kunmap(a)\n}\nsoftirq s cpu 1 {\n kunmap(a)\n}\n')).toEqual([0, 1]);
    expect(own('task t cpu 0 {\n queue_work(w)\n}\nworker k cpu 1\nwork w on k {\n kunmap(b)\n}\n')).toEqual([1, 0]);
  });
});
