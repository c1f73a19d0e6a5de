// Worker threads for --jobs N, started once per run (while the main thread walks the tree) and
// used for both passes: batches of files, then whole subsystems of the whole-tree pass.

import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads.js';

const makeWorker = (): Worker => spawnWorker(import.meta.url, 'worker');

export class Pool {
  private readonly workers: Worker[];
  private readonly online: Promise<void>[];

  constructor(n: number) {
    this.workers = Array.from({ length: n }, makeWorker);
    this.online = this.workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('online', () => resolve());
        }),
    );
  }

  /** Send each message to the next free worker; `done(i, reply)` gets the reply to message i. */
  async run<R>(msgs: unknown[], done: (i: number, reply: R) => void): Promise<void> {
    const q = this.queue(done);
    for (const m of msgs) q.push(m);
    q.end();
    await q.finished;
  }

  /**
   * A queue of messages that may still grow while the workers take from it (the first pass
   * sends batches while the tree is still being walked): each free worker gets the next
   * message; `finished` settles once `end()` was called and every reply came back. With
   * `ahead` > 1 each worker holds up to that many messages (it works through them in order), so
   * that it never waits for this thread to answer a reply before it starts on the next; once no
   * more than 2 * ahead per worker wait, each is refilled to two only.
   */
  queue<R>(done: (i: number, reply: R) => void, ahead = 1): { push(m: unknown, urgent?: boolean): void; end(): void; finished: Promise<void> } {
    const msgs: unknown[] = [];
    // Messages not yet sent, by index into msgs: urgent ones go first.
    const waiting: number[] = [];
    const cur = this.workers.map((): number[] => []); // per worker, the messages it holds, in order
    const idle: number[] = [];
    let busy = 0;
    let ended = false;
    let settled = false;
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const cleanups: (() => void)[] = [];
    const stop = (e?: Error) => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      if (e) fail(e);
      else finish();
    };
    const feed = (k: number) => {
      if (settled) return;
      if (waiting.length) {
        const i = waiting.shift()!;
        cur[k]!.push(i);
        busy++;
        this.workers[k]!.postMessage(msgs[i]);
      } else if (ended && busy === 0) stop();
      else idle.push(k);
    };
    this.workers.forEach((w, k) => {
      const onMessage = (m: R) => {
        busy--;
        done(cur[k]!.shift()!, m);
        // Near the end of the queue a worker holds at most two: what it holds cannot go to
        // another worker that is done sooner.
        if (cur[k]!.length < (waiting.length > 2 * ahead * this.workers.length ? ahead : Math.min(ahead, 2))) feed(k);
      };
      const onError = (e: Error) => stop(e);
      w.on('message', onMessage);
      w.on('error', onError);
      cleanups.push(() => {
        w.off('message', onMessage);
        w.off('error', onError);
      });
      void this.online[k]!.then(() => {
        for (let a = 0; a < ahead; a++) feed(k);
      });
    });
    return {
      push: (m: unknown, urgent = false) => {
        if (urgent) waiting.unshift(msgs.length);
        else waiting.push(msgs.length);
        msgs.push(m);
        const k = idle.shift();
        if (k !== undefined) feed(k);
      },
      end: () => {
        ended = true;
        if (busy === 0 && !waiting.length) {
          // Wake the idle workers' bookkeeping: nothing more will come.
          idle.length = 0;
          stop();
        }
      },
      finished,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
