// Worker thread for `pksim audit --jobs N`: analyses batches of files sent by run.ts.

import { parentPort } from 'node:worker_threads';
import { auditFile, type FileOpts } from './run.js';
import type { InputFile } from './prefilter.js';

parentPort!.on('message', async (m: { files: InputFile[]; opts: FileOpts }) => {
  const results = [];
  for (const f of m.files) results.push(await auditFile(f, m.opts));
  parentPort!.postMessage({ results });
});
