// The design registry: every protection design is one entry here, and everything that lists
// designs (the CLI's checks and help, the compare default, the compiler's `expect` check, the
// tests) derives from it. Adding a design is its file plus one line in BUILTIN.

import type { PksHooks } from '../kernel/policy_api.js';
import type { PksMode } from './base.js';

export type UnprotectStoreKind = 'page' | 'hash';

export interface DesignOptions {
  /** Number of pages in the scenario. */
  pages: number;
  /** Where a design that counts per page keeps the count. */
  store: UnprotectStoreKind;
}

/** @public One protection design. */
export interface DesignEntry {
  readonly name: string;
  /** Its modes, first the default; empty for a design without modes. */
  readonly modes: readonly PksMode[];
  /** The modes `pksim compare` shows by default. */
  readonly compareModes: readonly PksMode[];
  /** Whether its label always carries the mode (`scoped:relaxed`) or omits the default. */
  readonly labelWithMode: boolean;
  /** One line for --help and the README. */
  readonly summary: string;
  /**
   * The invariants of `pksim explore` this design promises in a mode, beyond those every design
   * is checked against (e.g. 'irq-own-rights': no interrupt holds a right it did not take).
   */
  readonly promises?: (mode: PksMode | null) => readonly string[];
  create(mode: PksMode | null, opts: DesignOptions): PksHooks;
}

export class PolicyError extends Error {
  readonly code = 'PKS101';
}

export interface PolicySpec {
  name: string;
  mode: PksMode | null;
}

const registry = new Map<string, DesignEntry>();

/** @public Add a design (a test's toy design, or a new one). Its name must be new. */
export function registerDesign(d: DesignEntry): void {
  if (registry.has(d.name)) throw new PolicyError(`design '${d.name}' is already registered`);
  registry.set(d.name, d);
}

/** @internal Remove a design added by registerDesign (tests). */
export function unregisterDesign(name: string): void {
  registry.delete(name);
}

export function designs(): DesignEntry[] {
  return [...registry.values()];
}

export function findDesign(name: string): DesignEntry | undefined {
  return registry.get(name);
}

export function designNames(): string[] {
  return [...registry.keys()];
}

/** The label of a design in a mode, the same everywhere (CLI table, HTML, JSON). */
export function policyLabel(p: PolicySpec): string {
  const d = registry.get(p.name);
  if (p.mode === null || !d) return p.name;
  if (!d.labelWithMode && p.mode === d.modes[0]) return p.name;
  return `${p.name}:${p.mode}`;
}

/** What `pksim compare` runs by default: every design in its compare modes. */
export function defaultCompare(): string[] {
  return designs().flatMap((d) => (d.modes.length === 0 ? [d.name] : d.compareModes.map((m) => policyLabel({ name: d.name, mode: m }))));
}

/** Parse 'scoped:strict' or ('scoped', 'strict'). */
export function parsePolicy(spec: string, mode?: string): PolicySpec {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const m0 = colon < 0 ? undefined : spec.slice(colon + 1);
  const d = registry.get(name);
  if (!d) throw new PolicyError(`unknown policy '${spec}' (expected ${designNames().join(', ')})`);
  if (m0 !== undefined && mode !== undefined && m0 !== mode) throw new PolicyError(`policy '${spec}' and --mode ${mode} disagree`);
  const m = m0 ?? mode;
  if (d.modes.length === 0) {
    if (m !== undefined) throw new PolicyError(`policy '${name}' has no modes`);
    return { name, mode: null };
  }
  if (m === undefined) return { name, mode: d.modes[0]! };
  if (!(d.modes as readonly string[]).includes(m)) throw new PolicyError(`unknown mode '${m}' for ${name} (expected ${d.modes.join(', ')})`);
  return { name, mode: m as PksMode };
}

/** The invariants a design promises in a mode (DesignEntry.promises). */
export function designPromises(p: PolicySpec): readonly string[] {
  return registry.get(p.name)?.promises?.(p.mode) ?? [];
}

export function createPolicy(p: PolicySpec, pages: number, store: UnprotectStoreKind = 'page'): PksHooks {
  const d = registry.get(p.name);
  if (!d) throw new PolicyError(`unknown policy '${p.name}'`);
  return d.create(p.mode, { pages, store });
}
