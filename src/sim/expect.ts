// Scenario expectations (`expect [POLICY] METRIC OP VALUE`) checked against a run's summary.

import type { CmpOp, ScenarioIR } from '../scenario/ir.js';
import type { PolicySpec } from '../policy/index.js';
import type { ExpectationResult, RunSummary } from './result.js';

/** Does an expectation's policy filter apply to this run? 'scoped' covers every scoped mode. */
export function policyMatches(filter: string | null, spec: PolicySpec, label: string): boolean {
  if (filter === null) return true;
  if (filter === label) return true;
  if (!filter.includes(':')) return filter === spec.name;
  return filter === `${spec.name}:${spec.mode}`;
}

export function compare(actual: number, op: CmpOp, value: number): boolean {
  switch (op) {
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
    case '>=':
      return actual >= value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '<':
      return actual < value;
  }
}

export function checkExpectations(ir: ScenarioIR, spec: PolicySpec, label: string, summary: RunSummary): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const e of ir.expects) {
    if (!policyMatches(e.policy, spec, label)) continue;
    const actual = (summary as unknown as Record<string, number>)[e.metric];
    if (actual === undefined) continue; // the compiler rejects unknown metrics
    out.push({ text: e.text, metric: e.metric, expected: `${e.op} ${e.value}`, actual, ok: compare(actual, e.op, e.value), line: e.loc.line });
  }
  return out;
}
