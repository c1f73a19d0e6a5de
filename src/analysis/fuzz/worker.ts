// A fuzz worker thread (pool.ts): compiles the scenarios it is given once, then runs units.

import { parentPort } from 'node:worker_threads';
import { compileScenario } from '../../scenario/index.js';
import type { ScenarioIR } from '../../scenario/ir.js';
import { emptyStats } from './acc.js';
import { FuzzLimitError, fuzzRuns, type FuzzOptions } from './engine.js';
import type { Unit, UnitReply, WorkerInit } from './campaign.js';

let irs: ScenarioIR[] = [];
let init: WorkerInit | null = null;
const now = () => performance.timeOrigin + performance.now();

parentPort!.on('message', (msg: WorkerInit | Unit) => {
  if ('sources' in msg) {
    init = msg;
    irs = msg.sources.map((s) => compileScenario(s.text, s.file));
    return;
  }
  const o: FuzzOptions = init!.opts;
  let reply: UnitReply;
  try {
    const st = fuzzRuns(irs[msg.scenario]!, init!.policies[msg.policy]!, init!.horizons[msg.scenario]!, o, msg.start, msg.end, emptyStats(), now, init!.deadline);
    reply = { stats: st };
  } catch (e) {
    if (e instanceof FuzzLimitError) reply = { fail: { limit: e.limit, message: e.message } };
    else reply = { fail: { limit: null, message: (e as Error).stack ?? String(e) } };
  }
  parentPort!.postMessage(reply);
});
