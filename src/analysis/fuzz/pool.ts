// Worker threads for `pksim fuzz --workers N`: each compiles the scenarios once, then runs the
// units it is sent (a scenario, a design, a range of run numbers) and answers with their
// statistics. Which worker runs which unit changes nothing in the result (integer sums).

import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../threads.js';

const makeWorker = (): Worker => spawnWorker(import.meta.url, 'worker');

export class FuzzPool {
  private readonly workers: Worker[];

  constructor(n: number, init: unknown) {
    this.workers = Array.from({ length: n }, makeWorker);
    for (const w of this.workers) w.postMessage(init);
  }

  /** Send each message to the next free worker; `done(i, reply)` gets the reply to message i. A reply with `fail` stops the rest. */
  async run<R extends { fail?: unknown }>(msgs: unknown[], done: (i: number, reply: R) => void): Promise<void> {
    let next = 0;
    let failed = false;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let cur = -1;
            const stop = () => {
              w.off('message', onMessage);
              w.off('error', onError);
            };
            const send = () => {
              if (failed || next >= msgs.length) {
                stop();
                resolve();
                return;
              }
              cur = next++;
              w.postMessage(msgs[cur]);
            };
            const onMessage = (m: R) => {
              if (m.fail !== undefined) failed = true;
              done(cur, m);
              send();
            };
            const onError = (e: Error) => {
              stop();
              reject(e);
            };
            w.on('message', onMessage);
            w.on('error', onError);
            send();
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
