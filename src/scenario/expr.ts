// The expressions of `assert EXPR` (at a point of a program) and `invariant EXPR` (top level,
// checked in every state): numbers, the counters the machine keeps (EXPR_FNS), `!`, `&&`, `||`
// and the comparisons. Compiled to plain data (ir.ts Expr); sim/expr.ts evaluates them.

import type { Arg, ExprAst } from './ast.js';
import type { CmpOp, Expr, ExprOp } from './ir.js';
import { RIGHT_READ, RIGHT_WRITE } from './ir.js';
import { T, type Tok, type Toks } from './lexer.js';
import type { DiagnosticCode } from './errors.js';
import { suggest } from './stmts.js';

/** What a counter reads: nothing, a page, or a key and rights. */
type FnArgs = [] | ['page'] | ['key', 'rights'];

export interface ExprFn {
  name: string;
  args: FnArgs;
  /** Reads the running context (so not allowed in a top-level invariant, which has none). */
  context: boolean;
  help: string;
}

/** @public The counters, by index (Expr.fn). */
export const EXPR_FNS: readonly ExprFn[] = [
  { name: 'unprotect', args: ['page'], context: false, help: "the design's count of kmap()s that made the page globally unprotected (scoped; 0 elsewhere)" },
  { name: 'pkmap_count', args: ['page'], context: false, help: 'live kmap() mappings of the page' },
  { name: 'holds', args: ['key', 'rights'], context: true, help: "1 when the running context's PKRS allows those accesses to the key" },
  { name: 'kmap_local_depth', args: [], context: true, help: "live kmap_local entries of the CPU's current task" },
  { name: 'in_irq', args: [], context: true, help: '1 in a hardirq' },
  { name: 'in_softirq', args: [], context: true, help: '1 in a softirq' },
  { name: 'in_nmi', args: [], context: true, help: '1 in an NMI' },
  { name: 'in_task', args: [], context: true, help: '1 at task level' },
  { name: 'preempt_count', args: [], context: true, help: 'preempt_count(): preempt_disable() depth plus the interrupt offsets' },
  { name: 'irqs_disabled', args: [], context: true, help: '1 with interrupts disabled on the CPU' },
];

export const FN_UNPROTECT = 0;
export const FN_PKMAP_COUNT = 1;
export const FN_HOLDS = 2;
export const FN_LOCAL_DEPTH = 3;
export const FN_IN_IRQ = 4;
export const FN_IN_SOFTIRQ = 5;
export const FN_IN_NMI = 6;
export const FN_IN_TASK = 7;
export const FN_PREEMPT_COUNT = 8;
export const FN_IRQS_DISABLED = 9;

/** What compiling an expression needs of the scenario (program.ts's ScenarioScope has it). */
export interface ExprScope {
  toks: Toks;
  lookup(tok: Tok, want: 'page' | 'key'): number;
  error(code: DiagnosticCode, tok: Tok, message: string): void;
}
type ScenarioScope = ExprScope;

const node = (op: ExprOp): Expr => ({ op, value: 0, fn: -1, a: -1, b: -1, l: null, r: null });

/**
 * Compile an expression; errors are reported through the scope (the result is then a
 * placeholder). `inContext`: false for a top-level invariant, which runs in no context.
 */
export function compileExpr(scope: ScenarioScope, e: ExprAst, inContext: boolean): Expr {
  const K = scope.toks;
  switch (e.kind) {
    case 'num': {
      const n = node('num');
      n.value = K.num(e.tok);
      return n;
    }
    case 'not': {
      const n = node('not');
      n.l = compileExpr(scope, e.e, inContext);
      return n;
    }
    case 'bin': {
      const n = node(K.s[e.op]! as CmpOp | '&&' | '||');
      n.l = compileExpr(scope, e.l, inContext);
      n.r = compileExpr(scope, e.r, inContext);
      return n;
    }
    case 'fn':
      return compileFn(scope, e.name, e.args, e.close, inContext);
  }
}

function compileFn(scope: ScenarioScope, name: Tok, args: Arg[], close: Tok, inContext: boolean): Expr {
  const K = scope.toks;
  const n = node('fn');
  const word = K.s[name]!;
  const fi = EXPR_FNS.findIndex((f) => f.name === word);
  if (fi < 0) {
    const s = suggest(
      word,
      EXPR_FNS.map((f) => f.name),
    );
    scope.error('PKS023', name, `unknown counter '${word}' in an expression (${EXPR_FNS.map((f) => f.name).join(', ')})${s ? `; did you mean '${s}'?` : ''}`);
    return n;
  }
  const f = EXPR_FNS[fi]!;
  n.fn = fi;
  if (f.context && !inContext) {
    scope.error('PKS020', name, `${word}() reads the running context: use it in an assert inside a program, not in a top-level invariant`);
    return n;
  }
  if (args.length !== f.args.length) {
    const at = args.length > f.args.length ? args[f.args.length]![0]! : close;
    scope.error('PKS018', at, `${word}() takes ${f.args.length} argument${f.args.length === 1 ? '' : 's'}, not ${args.length}`);
    return n;
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const kind = f.args[i]!;
    if (kind === 'rights') {
      let r = 0;
      for (const t of a) {
        if (K.s[t]! === 'READ') r |= RIGHT_READ;
        else if (K.s[t]! === 'WRITE') r |= RIGHT_WRITE;
        else scope.error('PKS014', t, `expected READ, WRITE or READ|WRITE, found '${K.s[t]!}'`);
      }
      n.b = r;
      continue;
    }
    if (a.length > 1 || K.t[a[0]!] !== T.Ident) {
      scope.error('PKS018', a[a.length > 1 ? 1 : 0]!, `expected a ${kind} name`);
      continue;
    }
    const idx = scope.lookup(a[0]!, kind);
    if (i === 0) n.a = idx;
  }
  return n;
}
