// The kernel's vocabulary, owned here so that every layer above (designs, the scenario
// language, the runner, reports) speaks it without the kernel depending on any of them.

/** A position in scenario source: 1-based line and column. */
export interface SrcLoc {
  file: string;
  line: number;
  col: number;
}

/** A key's rights in PKS_INIT_VALUE. */
export type KeyDefault = 'noaccess' | 'readonly' | 'rw';

export type TaskKind = 'user' | 'kthread' | 'worker';
export type IrqKind = 'softirq' | 'hardirq' | 'nmi';
export type ContextKind = TaskKind | IrqKind;

/** grant_access()/revoke_access() rights bits. */
export const RIGHT_READ = 1;
export const RIGHT_WRITE = 2;
/** revoke_access(key) without rights: drop READ and WRITE, whichever are held. */
export const RIGHT_HELD = 4;
