// Worker thread for `pksim audit --jobs N`: analyses batches of files sent by run.ts.

import { parentPort } from 'node:worker_threads';
import { auditFile, type FileOpts } from './run.js';
import type { InputFile } from './prefilter.js';

// eslint-disable-next-line @typescript-eslint/no-misused-promises -- a throw kills the worker; run.ts rejects on its 'error' event
parentPort!.on('message', async (m: { files: InputFile[]; opts: FileOpts }) => {
  const results = [];
  for (const f of m.files) results.push(await auditFile(f, m.opts));
  parentPort!.postMessage({ results });
});
