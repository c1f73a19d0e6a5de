// Worker threads of the analyses (audit --jobs, fuzz --workers, explore --workers): one way to
// start a worker module that sits next to its pool, from the sources or from dist/.

import { Worker } from 'node:worker_threads';

/**
 * A worker running the module `name` (without extension) in the folder of `callerUrl` (the
 * pool's import.meta.url). Under tsx or vitest the caller is TypeScript: the worker registers
 * tsx's loader before importing the .ts module.
 */
export function spawnWorker(callerUrl: string, name: string): Worker {
  if (callerUrl.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${name}.ts`, callerUrl).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl));
}
