// What a report must show, computed straight from a run's events (not from the view model):
// the e2e tests compare the DOM against these numbers.

import type { PksimEvent } from '../../src/kernel/events.js';
import type { RunResult } from '../../src/sim/result.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/sim/runner.js';
import { renderHtml } from '../../src/report/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS } from './browser.js';

export interface Expected {
  lanes: number;
  spans: number;
  /** Bands per "cpu:key". */
  bands: Record<string, number>;
  /** Markers per type. */
  markers: Record<string, number>;
}

const isStray = (e: PksimEvent): boolean => e.type === 'access' && (e as { class?: string }).class === 'stray';

export function expected(r: RunResult): Expected {
  const ev = r.events;
  const count = (p: (e: PksimEvent) => boolean): number => ev.filter(p).length;
  const spans = count((e) => e.type === 'entry') + count((e) => e.type === 'switch' && !(e.ctxKind === 'idle' && e.ctx === e.toCtx) && e.toCtx >= 0);
  const bands: Record<string, number> = {};
  for (let cpu = 0; cpu < r.config.cpus; cpu++) {
    for (const k of r.config.keys) {
      const state = (v: number): string => {
        const bits = (v >>> (2 * k.id)) & 3;
        return !r.config.cr4pks || bits === 0 ? 'rw' : bits & 1 ? 'closed' : 'readonly';
      };
      let last = state(r.config.defaultPkrs);
      let n = 1;
      for (const e of ev) {
        if (e.type !== 'pkrs_write' || e.cpu !== cpu) continue;
        const s = state(e.value);
        if (s !== last) n++;
        last = s;
      }
      bands[`${cpu}:${k.id}`] = n;
    }
  }
  const markers: Record<string, number> = {
    map: count((e) => e.type === 'map'),
    unmap: count((e) => e.type === 'unmap'),
    fault: count((e) => e.type === 'fault'),
    warning: count((e) => e.type === 'warning'),
    pardon: count((e) => e.type === 'pardon'),
    oops: count((e) => e.type === 'oops'),
    stray: count(isStray),
    ipi: count((e) => e.type === 'ipi'),
  };
  return { lanes: r.config.cpus, spans, bands, markers };
}

/** Runs a library scenario under each policy and writes the (compare) report. */
export function realReport(name: string, policies: string[], tag = name): { file: string; results: RunResult[]; size: number } {
  const ir = loadScenario(name);
  const results = policies.map((p) => runScenario(ir, { policy: p }));
  const html = renderHtml(results, { sources: { [ir.file]: ir.source } });
  const file = join(ARTIFACTS, `${tag}.html`);
  writeFileSync(file, html);
  return { file, results, size: Buffer.byteLength(html) };
}
