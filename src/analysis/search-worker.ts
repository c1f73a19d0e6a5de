// Worker thread of `pksim explore --workers N`: expands the nodes the main thread sends
// (parallel.ts) and sends back their successors (expand.ts), the snapshots transferred, not copied.

import { parentPort } from 'node:worker_threads';
import { compileScenario } from '../scenario/index.js';
import { Expander, unpackSnaps, type ExpandOptions, type PackedSnaps } from './expand.js';

let expander: Expander | null = null;

// Buffers go back and forth instead of being made anew for each batch: the dispatch buffer
// returns with the reply, and the main thread hands back reply buffers it has read (`spare`).
parentPort!.on(
  'message',
  (
    m:
      | { init: { source: string; file: string; opts: ExpandOptions } }
      | { id: number; snaps: PackedSnaps; strings: string[]; spare: Float64Array | null; visited: Uint32Array },
  ) => {
    if ('init' in m) {
      expander = new Expander(compileScenario(m.init.source, m.init.file), m.init.opts);
      return;
    }
    // Snapshots name strings by number: learn the ones other threads have met.
    const names = expander!.run.m.names;
    names.learn(m.strings);
    if (m.spare !== null) expander!.give(m.spare);
    expander!.learnVisited(m.visited);
    const out = expander!.expandAll(unpackSnaps(m.snaps));
    const back = m.snaps.data;
    const transfer = [out.nums.buffer, out.snaps.data.buffer, out.snaps.ends.buffer, back.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ id: m.id, out, back, strings: names.all(), takenBytes: expander!.takenBytes }, transfer);
  },
);
