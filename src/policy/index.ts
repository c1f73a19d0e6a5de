// Policy names as the command line spells them: none, global, abandon[:mode],
// exception[:mode], scoped[:strict|relaxed|silent|off].

import type { PksHooks } from '../kernel/pks_hooks.js';
import { NoPks, type PksMode } from './base.js';
import { GlobalPks } from './global.js';
import { AbandonPks } from './abandon.js';
import { ExceptionPks } from './exception.js';
import { HashStore, PageStore, ScopedPks } from './scoped.js';

export type { PksMode } from './base.js';
export { ScopedPks, PageStore, HashStore } from './scoped.js';

export const POLICY_NAMES = ['none', 'global', 'abandon', 'exception', 'scoped'] as const;
export const DEFAULT_COMPARE = ['none', 'global', 'abandon', 'exception', 'scoped:strict', 'scoped:relaxed', 'scoped:silent', 'scoped:off'];
const MODES: PksMode[] = ['strict', 'relaxed', 'silent', 'off'];

export type UnprotectStoreKind = 'page' | 'hash';

export class PolicyError extends Error {}

export interface PolicySpec {
  name: (typeof POLICY_NAMES)[number];
  mode: PksMode | null;
}

/** Parse 'scoped:strict' or ('scoped', 'strict'). */
export function parsePolicy(spec: string, mode?: string): PolicySpec {
  const [n, m0] = spec.split(':');
  const name = n as PolicySpec['name'];
  if (!POLICY_NAMES.includes(name)) throw new PolicyError(`unknown policy '${spec}' (expected ${POLICY_NAMES.join(', ')})`);
  const m = (m0 ?? mode) as PksMode | undefined;
  if (m0 !== undefined && mode !== undefined && m0 !== mode) throw new PolicyError(`policy '${spec}' and --mode ${mode} disagree`);
  if (name === 'none' || name === 'global') {
    if (m !== undefined) throw new PolicyError(`policy '${name}' has no modes`);
    return { name, mode: null };
  }
  if (m !== undefined && !MODES.includes(m)) throw new PolicyError(`unknown mode '${m}' (expected ${MODES.join(', ')})`);
  if (m === 'off' && name !== 'scoped') throw new PolicyError(`mode 'off' is only defined for scoped`);
  return { name, mode: m ?? 'relaxed' };
}

export function policyLabel(p: PolicySpec): string {
  if (p.mode === null) return p.name;
  if (p.name !== 'scoped' && p.mode === 'relaxed') return p.name;
  return `${p.name}:${p.mode}`;
}

export function createPolicy(p: PolicySpec, pages: number, store: UnprotectStoreKind = 'page'): PksHooks {
  switch (p.name) {
    case 'none':
      return new NoPks('none');
    case 'global':
      return new GlobalPks();
    case 'abandon':
      return new AbandonPks(p.mode as 'strict' | 'relaxed' | 'silent');
    case 'exception':
      return new ExceptionPks(p.mode as 'strict' | 'relaxed' | 'silent');
    case 'scoped':
      // OFF is no PKS at all: exactly `none`, without the bookkeeping.
      if (p.mode === 'off') return new NoPks('scoped:off');
      return new ScopedPks(p.mode as 'strict' | 'relaxed' | 'silent', store === 'hash' ? new HashStore() : new PageStore(pages));
  }
}
