// Charts of a fuzz report (stub until the vega renderer lands).
import type { FuzzReport } from '../analysis/fuzz/report.js';

export async function fuzzCharts(r: FuzzReport): Promise<{ svg: string; html: string }> {
  await Promise.resolve();
  const text = `charts of ${r.designs.length} designs`;
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg"><text>${text}</text></svg>`, html: `<p>${text}</p>` };
}

export async function resetCharts(r: { levels: unknown[] }): Promise<{ svg: string; html: string }> {
  await Promise.resolve();
  const text = `reset points: ${r.levels.length}`;
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg"><text>${text}</text></svg>`, html: `<p>${text}</p>` };
}
