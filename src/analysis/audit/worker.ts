// Worker thread for `pksim audit --jobs N`: analyses batches of files sent by run.ts, and
// whole subsystems of the whole-tree pass.

import { parentPort } from 'node:worker_threads';
import { auditFile, treePassFor, type FileOpts } from './run.js';
import type { InputFile } from './prefilter.js';
import { runTask, type WalkTask } from './task.js';
import type { FileResult } from './types.js';

type Msg = { opts: FileOpts } & (
  | { files: InputFile[] }
  | { walk: WalkTask }
  | { tree: { pending: { input: InputFile; result: FileResult; defs: string[] }[]; inputs: InputFile[]; kunmap: string[] | null; map: string[] | null } }
);

// eslint-disable-next-line @typescript-eslint/no-misused-promises -- a throw kills the worker; run.ts rejects on its 'error' event
parentPort!.on('message', async (m: Msg) => {
  if ('walk' in m) {
    // A piece of a spread run: walk, audit, and maybe the subsystem's whole-tree pass.
    parentPort!.postMessage(await runTask(m.walk, m.opts));
    return;
  }
  if ('tree' in m) {
    // A whole subsystem of the whole-tree pass.
    parentPort!.postMessage({ results: await treePassFor(m.tree.pending, m.tree.inputs, m.opts, m.tree.kunmap, m.tree.map) });
    return;
  }
  const results = [];
  for (const f of m.files) results.push(await auditFile(f, m.opts));
  parentPort!.postMessage({ results });
});
