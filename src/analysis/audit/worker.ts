// Worker thread for `pksim audit --jobs N`: analyses batches of files sent by run.ts, and
// whole subsystems of the whole-tree pass.

import { parentPort } from 'node:worker_threads';
import { auditFile, treePassFor, type FileOpts } from './run.js';
import type { InputFile } from './prefilter.js';
import { runTask, type WalkTask } from './task.js';
import type { FileResult } from './types.js';
import { getParser } from './parse.js';

// The grammar loads (its wasm compiles off this thread) while the first files are walked and
// read; a failure surfaces at the first parse, as before.
getParser().catch(() => {});

type Msg = { opts: FileOpts } & (
  | { files: InputFile[] }
  | { walk: WalkTask }
  | { tree: { pending: { input: InputFile; result: FileResult; defs: string[] }[]; inputs: InputFile[]; kunmap: string[] | null; map: string[] | null } }
);

// Messages are handled one at a time, in the order they came: the pool may send the next one
// before this one is done (reading uses one buffer per thread, and replies go back in order).
const inbox: Msg[] = [];
let running = false;
parentPort!.on('message', (m: Msg) => {
  inbox.push(m);
  // A throw kills the worker (an unhandled rejection); run.ts rejects on its 'error' event.
  if (!running) void drain();
});

async function drain(): Promise<void> {
  running = true;
  while (inbox.length) parentPort!.postMessage(await handle(inbox.shift()!));
  running = false;
}

async function handle(m: Msg): Promise<unknown> {
  // A piece of a spread run: walk, audit, and maybe the subsystem's whole-tree pass.
  if ('walk' in m) return runTask(m.walk, m.opts);
  // A whole subsystem of the whole-tree pass.
  if ('tree' in m) return { results: await treePassFor(m.tree.pending, m.tree.inputs, m.opts, m.tree.kunmap, m.tree.map) };
  const results = [];
  for (const f of m.files) results.push(await auditFile(f, m.opts));
  return { results };
}
