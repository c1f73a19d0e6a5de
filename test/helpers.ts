// Shared test helpers: build a machine directly, or run a small scenario written inline.

import { compileScenario } from '../src/scenario/index.js';
import { runScenario, type RunOptions } from '../src/sim/runner.js';
import { Machine, type MachineConfig } from '../src/kernel/machine.js';
import { createPolicy, defaultCompare, parsePolicy } from '../src/policy/index.js';
import type { PksimEvent } from '../src/kernel/events.js';
import type { RunResult } from '../src/sim/result.js';
import { main } from '../src/cli/main.js';
import { captureIO } from '../src/cli/io.js';

/** Every design in the modes `pksim compare` shows by default (from the design registry). */
export const ALL_POLICIES = defaultCompare();

/** x86_32 (the highmem model). One key (id 1, noaccess by default), pages: 0 highmem with key 1, 1 lowmem with key 1, 2 unprotected. */
export function machine(policy = 'scoped:relaxed', over: Partial<MachineConfig> = {}, events?: PksimEvent[]): Machine {
  const cfg: MachineConfig = {
    arch: 'x86_32',
    cpus: 2,
    lastPkmap: 8,
    wp: true,
    keys: [{ id: 1, default: 'noaccess' }],
    pages: [
      { key: 1, highmem: true },
      { key: 1, highmem: false },
      { key: 0, highmem: true },
    ],
    warn: 'once',
    resetPoints: [],
    ...over,
  };
  const m = new Machine(cfg, createPolicy(parsePolicy(policy), cfg.pages.length), events ? (e) => events.push(e) : null);
  return m;
}

/** Put a fresh task on a CPU and switch to it. */
export function task(m: Machine, name: string, kind: 'user' | 'kthread' | 'worker' = 'user', cpu = 0) {
  const t = m.newTask(name, kind, cpu);
  m.switchTo(cpu, t);
  return t;
}

export function run(text: string, opts: RunOptions = {}): RunResult {
  return runScenario(compileScenario(text, 'test.pks'), opts);
}

export function runAll(text: string, opts: RunOptions = {}): Record<string, RunResult> {
  const ir = compileScenario(text, 'test.pks');
  return Object.fromEntries(ALL_POLICIES.map((p) => [p, runScenario(ir, { ...opts, policy: p })]));
}

export function eventsOf<T extends PksimEvent['type']>(r: RunResult | PksimEvent[], type: T): Extract<PksimEvent, { type: T }>[] {
  const evs = Array.isArray(r) ? r : r.events;
  return evs.filter((e): e is Extract<PksimEvent, { type: T }> => e.type === type);
}

/** Run the CLI in-process: exit code, standard output and standard error. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}
