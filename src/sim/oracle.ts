// The provenance oracle: every pointer is derived from a mapping, and each access is judged
// by where its pointer came from, independently of the protection design in force.

import type { Machine } from '../kernel/machine.js';
import { MAP_KMAP, MAP_LINEAR } from '../kernel/mappings.js';
import type { Ctx } from '../kernel/context.js';
import { PKS_NUM_KEYS } from '../arch/x86/pkrs.js';
import { execOf } from './exec.js';

export const CLASS_LOCAL = 0;
export const CLASS_HANDOFF = 1;
export const CLASS_STRAY = 2;
export const CLASS_NAMES = ['local', 'handoff', 'stray'] as const;
export type AccessClass = (typeof CLASS_NAMES)[number];

export class Oracle {
  constructor(private readonly m: Machine) {}

  /** grant_access() intent: what the code asked for, whatever the design did with it. */
  grant(ctx: Ctx, key: number, rights: number): void {
    const a = execOf(ctx).asked;
    if (rights & 1) a[key]!++;
    if (rights & 2) a[PKS_NUM_KEYS + key]!++;
  }

  /** revoke_access(): drop what is held of the rights named (the one-argument form: both). */
  revoke(ctx: Ctx, key: number, rights: number): void {
    const a = execOf(ctx).asked;
    if (rights & 1 && a[key]! > 0) a[key]!--;
    if (rights & 2 && a[PKS_NUM_KEYS + key]! > 0) a[PKS_NUM_KEYS + key]!--;
  }

  /** Has the context asked for rights on the key with grant_access() (and not revoked them)? */
  asks(ctx: Ctx, key: number): boolean {
    const a = execOf(ctx).asked;
    return a[key]! > 0 || a[PKS_NUM_KEYS + key]! > 0;
  }

  /** A context left (return to user space, end of a work item, exit): its grants are gone. */
  leave(ctx: Ctx): void {
    execOf(ctx).asked.fill(0);
  }

  /**
   * Classify an access through a pointer derived from `mapping` (-1: forged) that reaches
   * `page` (-1: nothing mapped there).
   */
  classify(ctx: Ctx, mapping: number, page: number, write: boolean): number {
    const m = this.m;
    const maps = m.maps;
    if (mapping < 0 || page < 0 || !maps.isLive(mapping) || maps.pageOf(mapping) !== page) return CLASS_STRAY;
    const kind = maps.kindOf(mapping);
    const own = maps.madeBy(mapping, ctx);
    if (kind === MAP_KMAP) return own ? CLASS_LOCAL : CLASS_HANDOFF;
    if (kind === MAP_LINEAR) {
      // A raw linear-map pointer is legitimate for unprotected pages, or where the code
      // explicitly asked for the key's rights (the DAX pattern).
      const key = m.pageKey[page]!;
      if (m.protectedKey(key)) {
        const a = execOf(ctx).asked;
        const ok = write ? a[PKS_NUM_KEYS + key]! > 0 : a[key]! > 0 || a[PKS_NUM_KEYS + key]! > 0;
        if (!ok) return CLASS_STRAY;
      }
      return own ? CLASS_LOCAL : CLASS_HANDOFF;
    }
    // kmap_local/kmap_atomic: valid only in the context that made it.
    return own ? CLASS_LOCAL : CLASS_STRAY;
  }
}
