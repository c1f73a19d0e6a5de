// Worker thread of `pksim explore --workers N`: expands the nodes the main thread sends
// (parallel.ts) and sends back their successors.

import { parentPort } from 'node:worker_threads';
import { compileScenario } from '../scenario/index.js';
import { Expander, type ExpandOptions } from './expand.js';

let expander: Expander | null = null;

parentPort!.on('message', (m: { init: { source: string; file: string; opts: ExpandOptions } } | { id: number; snaps: Float64Array[]; strings: string[] }) => {
  if ('init' in m) {
    expander = new Expander(compileScenario(m.init.source, m.init.file), m.init.opts);
    return;
  }
  // Snapshots name strings by number: learn the ones other threads have met.
  const names = expander!.run.m.names;
  names.learn(m.strings);
  const out = m.snaps.map((s) => expander!.expand(s));
  const transfer: ArrayBuffer[] = [];
  for (const e of out) for (const s of e.succ) if (s.snap) transfer.push(s.snap.buffer as ArrayBuffer);
  parentPort!.postMessage({ id: m.id, out, strings: names.all() }, transfer);
});
