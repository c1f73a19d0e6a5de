// The audit's worker pool: urgent messages go out before the waiting ones, and with `ahead`
// a worker holds several messages, worked through in order, each reply matched to its message.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../src/analysis/audit/pool.js';

let dir = '';
const file = (n: number) => ({ abs: join(dir, `f${n}.c`), rel: `f${n}.c` });
// A message naming file n: its reply names the file back.
const msg = (n: number) => ({ files: [file(n)], opts: { fix: false } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pksim-audit-pool-'));
  for (let n = 0; n < 8; n++) writeFileSync(join(dir, `f${n}.c`), `void *f${n}(struct page *p)\n{\n\treturn kmap(p);\n}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit Pool.queue', () => {
  it('an urgent message goes out before the messages still waiting', async () => {
    const pool = new Pool(1);
    try {
      const order: number[] = [];
      const q = pool.queue<{ results: { file: string }[] }>((i, m) => {
        order.push(i);
        expect(m.results[0]!.file).toBe(file(i).rel); // the reply is that of message i
      });
      for (let n = 0; n < 4; n++) q.push(msg(n));
      q.push(msg(4), true);
      q.end();
      await q.finished;
      // The worker came online after the pushes: the urgent one is first of all.
      expect(order).toEqual([4, 0, 1, 2, 3]);
    } finally {
      await pool.close();
    }
  });

  it('with ahead 3, every reply is matched to its message, in order per worker', async () => {
    const pool = new Pool(2);
    try {
      const seen = new Map<number, string>();
      const q = pool.queue<{ results: { file: string }[] }>((i, m) => seen.set(i, m.results[0]!.file), 3);
      for (let n = 0; n < 8; n++) q.push(msg(n));
      q.end();
      await q.finished;
      expect([...seen].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 8 }, (_, n) => [n, file(n).rel]));
    } finally {
      await pool.close();
    }
  });
  it('near the end of the queue a worker holds at most two messages (an urgent one waits behind one, not behind ahead - 1)', async () => {
    const pool = new Pool(1);
    try {
      const order: number[] = [];
      // ahead 4, one worker: once no more than 8 wait, it is refilled to two only.
      const q = pool.queue<unknown>((i) => {
        order.push(i);
        if (i === 12) q.push(msg(0), true); // message 20
      }, 4);
      for (let n = 0; n < 20; n++) q.push(msg(n % 8));
      q.end();
      await q.finished;
      // It held 13 only when 12 came back: 20 goes next (with four held it would come after 15).
      expect(order.slice(12, 16)).toEqual([12, 13, 20, 14]);
      expect(order).toHaveLength(21);
    } finally {
      await pool.close();
    }
  });
});
