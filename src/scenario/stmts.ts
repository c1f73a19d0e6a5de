// The statements of a program: their kernel names, the opcode each compiles to, and the kind
// of each argument, so that the compiler checks them all the same way.

import { RIGHT_HELD, RIGHT_READ, RIGHT_WRITE, type Opcode } from './ir.js';

/**
 * page: a declared page; ptr: an assigned pointer variable; local/atomic: a pointer assigned
 * from kmap_local_page/kmap_atomic in this program; off: offset within the page; key;
 * rights: READ, WRITE or READ|WRITE; chan; comp; work; softirq/irq: a context of that kind;
 * cpu: a CPU number.
 */
export type ArgKind = 'page' | 'ptr' | 'local' | 'atomic' | 'off' | 'key' | 'rights' | 'chan' | 'comp' | 'work' | 'softirq' | 'irq' | 'cpu';

export interface StmtSig {
  op: Opcode;
  args: ArgKind[];
  /** How many of args are required (the rest are optional). */
  required: number;
  /** 'must': x = f(...) required; 'may': optional; 'no': not allowed. */
  dst: 'must' | 'may' | 'no';
  /** memcpy_*_page: expand to kmap_local_page + access + kunmap_local. */
  expand?: 'read' | 'write';
  /** Only in a user task's program. */
  userOnly?: boolean;
  /** Instr.arg when an optional argument is left out: offset 0, rights READ|WRITE, else -1. */
  defaultArg: number;
}

const sig = (op: Opcode, args: ArgKind[], required = args.length, dst: StmtSig['dst'] = 'no'): StmtSig => ({
  op,
  args,
  required,
  dst,
  defaultArg: args.includes('off') ? 0 : args.includes('rights') ? RIGHT_READ | RIGHT_WRITE : -1,
});

// A Map, not an object literal: a statement named `constructor` or `__proto__` must be unknown.
export const STATEMENTS: ReadonlyMap<string, StmtSig> = new Map(
  Object.entries({
    // kmap()'s address is also page_address(): a caller may ignore the result.
    kmap: sig('kmap', ['page'], 1, 'may'),
    kunmap: sig('kunmap', ['page']),
    kmap_local_page: sig('kmap_local', ['page'], 1, 'must'),
    kunmap_local: sig('kunmap_local', ['local']),
    kmap_atomic: sig('kmap_atomic', ['page'], 1, 'must'),
    kunmap_atomic: sig('kunmap_atomic', ['atomic']),
    page_address: sig('page_address', ['page'], 1, 'must'),
    read: sig('read', ['ptr', 'off'], 1),
    write: sig('write', ['ptr', 'off'], 1),
    grant_access: sig('grant', ['key', 'rights']),
    // revoke_access(key) drops whatever is held (RIGHT_HELD).
    revoke_access: { ...sig('revoke', ['key', 'rights'], 1), defaultArg: RIGHT_HELD | RIGHT_READ | RIGHT_WRITE },
    send: sig('send', ['chan', 'ptr']),
    recv: sig('recv', ['chan'], 1, 'must'),
    complete: sig('complete', ['comp']),
    wait_for_completion: sig('wait', ['comp']),
    queue_work: sig('queue_work', ['work']),
    raise_softirq: sig('raise', ['softirq']),
    raise_irq: sig('raise', ['irq']),
    schedule: sig('schedule', []),
    cond_resched: sig('cond_resched', []),
    preempt_disable: sig('preempt_disable', []),
    preempt_enable: sig('preempt_enable', []),
    local_irq_disable: sig('irq_disable', []),
    local_irq_enable: sig('irq_enable', []),
    pagefault_disable: sig('pagefault_disable', []),
    pagefault_enable: sig('pagefault_enable', []),
    migrate: sig('migrate', ['cpu']),
    return_to_user: { ...sig('return_to_user', []), userOnly: true },
    stray_read: sig('stray_read', ['page', 'off'], 1),
    stray_write: sig('stray_write', ['page', 'off'], 1),
    memcpy_to_page: { ...sig('write', ['page', 'off'], 1), expand: 'write' },
    memcpy_from_page: { ...sig('read', ['page', 'off'], 1), expand: 'read' },
    nop: sig('nop', []),
  } satisfies Record<string, StmtSig>),
);

/** Largest byte offset into a page. */
export const PAGE_SIZE = 4096;

/** "Did you mean" looks at names up to this long, and at this many names at most. */
export const SUGGEST_MAX_LEN = 64;
export const SUGGEST_MAX_NAMES = 1000;

/**
 * Closest name, for "did you mean". Bounded (edit distance is quadratic in length): two similar
 * 20 KB names took 7 s; a typo is in a name a person types, so longer ones get no suggestion.
 */
export function suggest(word: string, names: Iterable<string>): string | null {
  if (word.length > SUGGEST_MAX_LEN) return null;
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  let seen = 0;
  for (const n of names) {
    if (++seen > SUGGEST_MAX_NAMES) break;
    if (n.length > SUGGEST_MAX_LEN) continue;
    const d = distance(word, n, bestD);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

// Levenshtein distance, giving up above `limit`.
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
