// Worker threads for --jobs N, started once per run (while the main thread walks the tree) and
// used for both passes: batches of files, then whole subsystems of the whole-tree pass.

import { Worker } from 'node:worker_threads';

function makeWorker(): Worker {
  // Under tsx or vitest this module is TypeScript: the worker registers tsx's loader first.
  if (import.meta.url.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL('./worker.js', import.meta.url));
}

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
    let next = 0;
    await Promise.all(
      this.workers.map(
        (w, k) =>
          new Promise<void>((resolve, reject) => {
            let cur = -1;
            const stop = () => {
              w.off('message', onMessage);
              w.off('error', onError);
            };
            const send = () => {
              if (next >= msgs.length) {
                stop();
                resolve();
                return;
              }
              cur = next++;
              w.postMessage(msgs[cur]);
            };
            const onMessage = (m: R) => {
              done(cur, m);
              send();
            };
            const onError = (e: Error) => {
              stop();
              reject(e);
            };
            w.on('message', onMessage);
            w.on('error', onError);
            void this.online[k]!.then(send);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
