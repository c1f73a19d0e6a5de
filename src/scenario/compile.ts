// .pks source -> ScenarioIR: lex, parse, then resolve names and check every declaration.
// All errors found are collected (up to MAX_ERRORS) and thrown together as one ScenarioError.

import type { ContextAst, Decl, ExpectAst } from './ast.js';
import { ScenarioError, type Diagnostic, type DiagnosticCode } from './errors.js';
import type { CmpOp, ContextDecl, ContextKind, Expectation, KeyDefault, ScenarioIR, Trigger } from './ir.js';
import { METRIC_NAMES } from './ir.js';
import { lex, type Tok } from './lexer.js';
import { DECL_KEYWORDS, Parser } from './parse.js';
import { compileProgram, joinTokens, loc, type NameKind, type ScenarioScope } from './program.js';
import { suggest } from './stmts.js';
import { compileExpr } from './expr.js';
import { designNames, findDesign } from '../policy/index.js';
import { ARCH_NAMES, DEFAULT_ARCH, isArch } from '../arch/arch.js';
import { LAST_PKMAP_DEFAULT } from '../mm/layout.js';

export const MAX_ERRORS = 20;
export const MAX_CONTEXTS = 64;
export const MAX_PAGES = 4096;
export const MAX_CPUS = 64;
export const MAX_LAST_PKMAP = 65536;
export const MAX_TICK = 1_000_000_000;
export const MAX_VALUE = 2 ** 31 - 1;

export const METRICS = METRIC_NAMES;

/** `expect oops` and friends, as ir.ts documents them. Maps: user text is never an object key. */
export const SHORTHANDS: ReadonlyMap<string, [string, CmpOp, number]> = new Map<string, [string, CmpOp, number]>(
  Object.entries({
    oops: ['oopses', '>=', 1],
    no_oops: ['oopses', '==', 0],
    warning: ['warnings', '>=', 1],
    no_warning: ['warnings', '==', 0],
    no_fault: ['faults', '==', 0],
    panic: ['panics', '>=', 1],
    completes: ['finished', '==', 1],
  } as Record<string, [string, CmpOp, number]>),
);

const CONTEXT_KIND = new Map<string, ContextKind>(
  Object.entries({
    task: 'user',
    kthread: 'kthread',
    worker: 'worker',
    softirq: 'softirq',
    hardirq: 'hardirq',
    nmi: 'nmi',
  } as Record<string, ContextKind>),
);
const KEY_DEFAULTS = new Set(['noaccess', 'readonly', 'rw']);

class TooMany {}

/** The scenario's name: its file name without directory or .pks. */
export function scenarioName(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  return base.endsWith('.pks') ? base.slice(0, -4) : base;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}

export function compileScenario(text: string, file: string): ScenarioIR {
  const lexed = lex(text, file, MAX_ERRORS);
  const errors: Diagnostic[] = lexed.errors.slice();
  const K = lexed.toks;
  const ast = new Parser(K, lexed.eof, file, errors, MAX_ERRORS).parseFile();
  // Name errors after a syntax error are mostly echoes of it: report the syntax errors alone.
  if (errors.length > 0) throw new ScenarioError(errors.sort(byPosition).slice(0, MAX_ERRORS), text);

  const ir: ScenarioIR = {
    name: scenarioName(file),
    description: lexed.description,
    file,
    source: text,
    machine: { arch: DEFAULT_ARCH, cpus: 1, lastPkmap: LAST_PKMAP_DEFAULT, wp: true },
    keys: [],
    pages: [],
    channels: [],
    completions: [],
    contexts: [],
    works: [],
    expects: [],
    invariants: [],
  };
  const names = new Map<string, { kind: NameKind; index: number; tok: Tok }>();
  const error = (code: DiagnosticCode, tok: Tok, message: string) => {
    errors.push({ code, file, line: K.line[tok]!, col: K.col[tok]!, len: Math.max(1, K.s[tok]!.length), message });
    if (errors.length >= MAX_ERRORS) throw new TooMany();
  };
  const scope: ScenarioScope = {
    file,
    cpus: 1,
    toks: lexed.toks,
    error,
    kindOf: (name) => names.get(name)?.kind,
    contextKind: (i) => ir.contexts[i]!.kind,
    lookup(tok, want) {
      const n = names.get(K.s[tok]!);
      if (!n) {
        const others = [...names.entries()].filter(([, v]) => v.kind === want).map(([k]) => k);
        const s = suggest(K.s[tok]!, others);
        error('PKS002', tok, `unknown ${want} '${K.s[tok]!}'${s ? `; did you mean '${s}'?` : ''}`);
        return -1;
      }
      if (n.kind !== want) {
        error('PKS008', tok, `'${K.s[tok]!}' is a ${n.kind}, not a ${want}`);
        return -1;
      }
      return n.index;
    },
  };

  try {
    const index = declare(ast.decls, ir, names, scope, error);
    for (const d of ast.decls) define(d, index.get(d) ?? -1, ir, scope, error);
    if (ir.contexts.length === 0 && errors.length === 0) {
      error('PKS021', K.synthetic(1, 1), 'the scenario has no task or interrupt to run: declare one, e.g. task NAME cpu 0 { ... }');
    }
  } catch (e) {
    if (!(e instanceof TooMany)) throw e;
  }
  if (errors.length > 0) throw new ScenarioError(errors.sort(byPosition), text);
  return ir;
}

type ErrorFn = (code: DiagnosticCode, tok: Tok, message: string) => void;

// Pass 1: settings and every name, so that programs may refer to names declared below them.
function declare(decls: Decl[], ir: ScenarioIR, names: Map<string, { kind: NameKind; index: number; tok: Tok }>, scope: ScenarioScope, error: ErrorFn): Map<Decl, number> {
  const K = scope.toks;
  const index = new Map<Decl, number>();
  const seen = new Map<string, Tok>();
  let pkmapTok: Tok | null = null;
  const add = (kind: NameKind, tok: Tok, index: number) => {
    if (DECL_KEYWORDS.has(K.s[tok]!)) error('PKS010', tok, `'${K.s[tok]!}' is a keyword and cannot name a ${kind}`);
    const prev = names.get(K.s[tok]!);
    if (prev) error('PKS009', tok, `'${K.s[tok]!}' is already declared as a ${prev.kind} at line ${K.line[prev.tok]!}`);
    else names.set(K.s[tok]!, { kind, index, tok });
  };
  for (const d of decls) {
    if (d.kind === 'key') index.set(d, ir.keys.length);
    else if (d.kind === 'page') index.set(d, ir.pages.length);
    else if (d.kind === 'context') index.set(d, ir.contexts.length);
    else if (d.kind === 'work') index.set(d, ir.works.length);
    switch (d.kind) {
      case 'setting': {
        const first = seen.get(K.s[d.kw]!);
        if (first !== undefined) error('PKS009', d.kw, `'${K.s[d.kw]!}' is already set at line ${K.line[first]!}`);
        seen.set(K.s[d.kw]!, d.kw);
        if (K.s[d.kw]! === 'arch') {
          const a = K.s[d.value]!;
          if (isArch(a)) ir.machine.arch = a;
          else error('PKS014', d.value, `unknown arch '${a}' (expected ${ARCH_NAMES.join(' or ')})`);
          break;
        }
        const v = K.num(d.value);
        if (K.s[d.kw]! === 'cpus') {
          if (v < 1 || v > MAX_CPUS) error('PKS006', d.value, `cpus ${K.s[d.value]!} out of range (1..${MAX_CPUS})`);
          else ir.machine.cpus = v;
        } else if (K.s[d.kw]! === 'last_pkmap') {
          pkmapTok = d.kw;
          if (v < 1 || v > MAX_LAST_PKMAP) error('PKS006', d.value, `last_pkmap ${K.s[d.value]!} out of range (1..${MAX_LAST_PKMAP})`);
          else ir.machine.lastPkmap = v;
        } else if (v > 1) error('PKS006', d.value, `wp is CR0.WP: 0 or 1, not ${K.s[d.value]!}`);
        else ir.machine.wp = v === 1;
        break;
      }
      case 'key':
        add('key', d.name, ir.keys.length);
        ir.keys.push({ name: K.s[d.name]!, id: 0, default: 'noaccess', loc: loc(scope.file, K, d.kw) });
        break;
      case 'page':
        if (ir.pages.length === MAX_PAGES) error('PKS007', d.name, `too many pages (at most ${MAX_PAGES})`);
        add('page', d.name, ir.pages.length);
        ir.pages.push({ name: K.s[d.name]!, key: 0, highmem: false, loc: loc(scope.file, K, d.kw) });
        break;
      case 'channel':
        add('channel', d.name, ir.channels.length);
        ir.channels.push(K.s[d.name]!);
        break;
      case 'completion':
        add('completion', d.name, ir.completions.length);
        ir.completions.push(K.s[d.name]!);
        break;
      case 'context':
        if (ir.contexts.length === MAX_CONTEXTS) error('PKS007', d.name, `too many contexts (at most ${MAX_CONTEXTS})`);
        add('context', d.name, ir.contexts.length);
        ir.contexts.push({
          name: K.s[d.name]!,
          kind: CONTEXT_KIND.get(K.s[d.kw]!)!,
          cpu: 0,
          trigger: { type: 'start' },
          vars: [],
          loopSlots: 0,
          program: [],
          loc: loc(scope.file, K, d.kw),
        });
        break;
      case 'work':
        add('work', d.name, ir.works.length);
        ir.works.push({ name: K.s[d.name]!, worker: -1, vars: [], loopSlots: 0, program: [], loc: loc(scope.file, K, d.kw) });
        break;
      case 'expect':
      case 'invariant':
        break;
    }
  }
  if (pkmapTok !== null && ir.machine.arch === 'x86_64') error('PKS015', pkmapTok, `x86_64 has no pkmap pool: last_pkmap needs 'arch x86_32'`);
  scope.cpus = ir.machine.cpus;
  return index;
}

// Pass 2: resolve references, check values, compile programs.
function define(d: Decl, i: number, ir: ScenarioIR, scope: ScenarioScope, error: ErrorFn): void {
  const K = scope.toks;
  switch (d.kind) {
    case 'key': {
      const k = ir.keys[i]!;
      const id = K.num(d.id);
      if (id < 1 || id > 15) error('PKS006', d.id, `key number ${K.s[d.id]!} out of range (1..15; key 0 is the kernel's unprotected default)`);
      else {
        const other = ir.keys.find((x) => x !== k && x.id === id);
        if (other) error('PKS009', d.id, `key number ${id} is already used by key '${other.name}'`);
        k.id = id;
      }
      if (d.dflt !== null) {
        if (KEY_DEFAULTS.has(K.s[d.dflt]!)) k.default = K.s[d.dflt]! as KeyDefault;
        else error('PKS014', d.dflt, `expected noaccess, readonly or rw after default, found '${K.s[d.dflt]!}'`);
      }
      break;
    }
    case 'page': {
      const p = ir.pages[i]!;
      if (d.key !== null) {
        const ki = scope.lookup(d.key, 'key');
        if (ki >= 0) p.key = ir.keys[ki]!.id;
      }
      p.highmem = d.mem !== null && K.s[d.mem]! === 'highmem';
      if (p.highmem && ir.machine.arch === 'x86_64')
        error('PKS015', d.mem!, `x86_64 has no highmem: every page is in the direct map (declare 'arch x86_32' for the highmem model)`);
      break;
    }
    case 'context':
      defineContext(d, ir.contexts[i]!, ir, scope, error);
      break;
    case 'work': {
      const w = ir.works[i]!;
      const wi = scope.lookup(d.worker, 'context');
      if (wi >= 0 && ir.contexts[wi]!.kind !== 'worker') error('PKS008', d.worker, `'${K.s[d.worker]!}' is not a worker: declare it with 'worker ${K.s[d.worker]!} cpu N'`);
      w.worker = wi;
      Object.assign(w, compileProgram(scope, d.body, false));
      break;
    }
    case 'expect':
      ir.expects.push(compileExpect(d, scope, error));
      break;
    case 'invariant': {
      const at = loc(scope.file, K, d.kw);
      ir.invariants.push({
        expr: compileExpr(scope, d.expr, false),
        name: `invariant@${at.file.slice(Math.max(at.file.lastIndexOf('/'), at.file.lastIndexOf('\\')) + 1)}:${at.line}`,
        text: joinTokens(K, d.from, d.to),
        loc: at,
      });
      break;
    }
    default:
      break;
  }
}

function defineContext(d: ContextAst, c: ContextDecl, ir: ScenarioIR, scope: ScenarioScope, error: ErrorFn): void {
  const K = scope.toks;
  if (K.num(d.cpu) >= ir.machine.cpus)
    error('PKS006', d.cpu, `CPU ${K.s[d.cpu]!} out of range: the scenario has ${ir.machine.cpus} CPU${ir.machine.cpus === 1 ? '' : 's'} (cpus ${ir.machine.cpus})`);
  else c.cpu = K.num(d.cpu);
  const irq = c.kind === 'softirq' || c.kind === 'hardirq' || c.kind === 'nmi';
  let trigger: Trigger = irq ? { type: 'raise' } : { type: 'start' };
  const t = d.trigger;
  if (t && !irq) {
    error('PKS020', t.tok, `a ${K.s[d.kw]!} cannot have a trigger: it runs from the start; only softirq, hardirq and nmi take 'on CHANNEL', 'at tick N' or 'at any'`);
  } else if (t?.kind === 'on') {
    trigger = { type: 'channel', channel: scope.lookup(t.channel, 'channel') };
  } else if (t?.kind === 'tick') {
    if (K.num(t.tick) > MAX_TICK) error('PKS006', t.tick, `tick ${K.s[t.tick]!} out of range (0..${MAX_TICK})`);
    trigger = { type: 'tick', tick: K.num(t.tick) };
  } else if (t?.kind === 'any') {
    trigger = { type: 'any' };
  }
  c.trigger = trigger;
  if (d.body !== null) Object.assign(c, compileProgram(scope, d.body, c.kind === 'user'));
}

function compileExpect(d: ExpectAst, scope: ScenarioScope, error: ErrorFn): Expectation {
  const K = scope.toks;
  let policy: string | null = null;
  if (d.policy !== null) {
    const design = findDesign(K.s[d.policy]!);
    if (!design) {
      const names = designNames();
      const s = suggest(K.s[d.policy]!, names);
      error('PKS012', d.policy, `unknown policy '${K.s[d.policy]!}' (${names.join(', ')})${s ? `; did you mean '${s}'?` : ''}`);
    } else if (d.mode !== null && design.modes.length === 0) {
      error('PKS012', d.mode, `${design.name} has no modes`);
    } else if (d.mode !== null && !(design.modes as readonly string[]).includes(K.s[d.mode]!)) {
      error('PKS012', d.mode, `unknown ${design.name} mode '${K.s[d.mode]!}' (${design.modes.join(', ')})`);
    }
    policy = d.mode !== null ? `${K.s[d.policy]!}:${K.s[d.mode]!}` : K.s[d.policy]!;
  }
  const text = joinTokens(scope.toks, d.from, d.to);
  const base = { policy, loc: loc(scope.file, K, d.kw), text };
  const m = K.s[d.metric]!;
  const short = SHORTHANDS.get(m);
  if (short && d.op === null) return { ...base, metric: short[0], op: short[1], value: short[2] };
  if (!(METRICS as readonly string[]).includes(m)) {
    const s = suggest(m, [...METRICS, ...SHORTHANDS.keys()]);
    error('PKS013', d.metric, `unknown metric '${m}'${s ? `; did you mean '${s}'?` : ''}`);
  } else if (d.op === null || d.value === null) {
    error('PKS001', d.metric, `expected a comparison after '${m}', e.g. expect ${m} == 0`);
  }
  const value = d.value === null ? 0 : K.num(d.value);
  if (d.value !== null && value > MAX_VALUE) error('PKS006', d.value, `value ${K.s[d.value]!} out of range (0..${MAX_VALUE})`);
  return { ...base, metric: m, op: (d.op === null ? '==' : K.s[d.op]!) as CmpOp, value };
}
