// The import graph of src/: every arrow points down the layers, and no file reaches itself.
//
// Layers, bottom to top: arch, mm, kernel, policy, scenario, sim, analysis, report, cli. A file may
// import its own layer and the layers below it; src/index.ts (the public API) may import anything.
// src/analysis/audit is part of analysis: it may not import report or cli either.
//
// Imports are read with a regex (import/export ... from '...', side-effect imports, and import('...')
// with a literal), type-only ones included: a type-only cycle still ties two modules together.
//
// KNOWN_UPWARD and KNOWN_CYCLE_EDGES below list the violations that existed when this test was written
// (2026-11-27), which other branches are fixing. The test fails on any violation not listed there, and
// also on a listed one that is gone, so the lists only shrink: delete the line it names.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

export const LAYERS = ['arch', 'mm', 'kernel', 'policy', 'scenario', 'sim', 'analysis', 'report', 'cli'] as const;

/** Upward imports that exist today: 'from -> to' (paths under src/). None since the kernel owns its vocabulary. */
const KNOWN_UPWARD = new Set<string>([]);

/** Edges inside an import cycle today: 'from -> to'. None: shared types live in modules that import nothing back. */
const KNOWN_CYCLE_EDGES = new Set<string>([]);

export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** The layer of a path under src/, or null for a package entry at the top of src/. */
export function layerOf(file: string): number | null {
  const top = file.split('/')[0]!;
  if (!top.endsWith('.ts')) {
    const i = (LAYERS as readonly string[]).indexOf(top);
    if (i < 0) throw new Error(`src/${file}: directory src/${top} is in no layer; add it to LAYERS in test/architecture.test.ts`);
    return i;
  }
  // The package entries (index.ts and the curated ./audit, ./explore, ./report) may import anything.
  return null;
}

const IMPORT_RE = /^[ \t]*(import|export)\s+(type\s+)?([\w*\s{},$]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_RE = /^[ \t]*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative imports of one file (src-relative paths), type-only ones marked. */
export function importsOf(text: string): { spec: string; typeOnly: boolean }[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const clause = m[3]!.trim();
    const names = clause.startsWith('{')
      ? clause
          .slice(1, -1)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
    const typeOnly = m[2] !== undefined || (names.length > 0 && names.every((n) => n.startsWith('type ')));
    out.push({ spec: m[4]!, typeOnly });
  }
  for (const m of code.matchAll(SIDE_EFFECT_RE)) out.push({ spec: m[1]!, typeOnly: false });
  for (const m of code.matchAll(DYNAMIC_RE)) out.push({ spec: m[1]!, typeOnly: false });
  return out.filter((i) => i.spec.startsWith('.'));
}

export function buildGraph(): { files: string[]; edges: Edge[] } {
  const files = walk(SRC).map((p) => relative(SRC, p));
  const edges: Edge[] = [];
  for (const f of files) {
    for (const { spec, typeOnly } of importsOf(readFileSync(join(SRC, f), 'utf8'))) {
      const abs = resolve(SRC, dirname(f), spec).replace(/\.js$/, '.ts');
      const target = existsSync(abs) ? abs : existsSync(join(abs, 'index.ts')) ? join(abs, 'index.ts') : null;
      if (target === null) throw new Error(`src/${f}: cannot resolve import '${spec}'`);
      const to = relative(SRC, target);
      if (to.startsWith('..')) throw new Error(`src/${f}: imports '${spec}' from outside src/`);
      const dup = edges.find((e) => e.from === f && e.to === to);
      if (dup) dup.typeOnly &&= typeOnly;
      else edges.push({ from: f, to, typeOnly });
    }
  }
  return { files, edges };
}

/** Imports that point up the layers, with the reason. */
export function upward(edges: Edge[]): { edge: Edge; why: string }[] {
  const out: { edge: Edge; why: string }[] = [];
  for (const e of edges) {
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    if (a === null) continue; // src/index.ts may import anything
    if (b === null) out.push({ edge: e, why: 'imports the public API entry src/index.ts' });
    else if (b > a) out.push({ edge: e, why: `${LAYERS[a]} (layer ${a}) imports ${LAYERS[b]} (layer ${b}), above it` });
  }
  return out;
}

/** Strongly connected components with more than one file (or a file importing itself), by Tarjan. */
export function cycles(files: string[], edges: Edge[]): string[][] {
  const succ = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) succ.get(e.from)!.push(e.to);
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of succ.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || succ.get(v)!.includes(v)) out.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const key = (e: Edge) => `${e.from} -> ${e.to}`;
const show = (e: Edge) => `src/${e.from} -> src/${e.to}${e.typeOnly ? ' (type-only)' : ''}`;

describe('import graph of src/', () => {
  const { files, edges } = buildGraph();
  const up = upward(edges);
  const sccs = cycles(files, edges);
  const inCycle = (e: Edge) => sccs.some((c) => c.includes(e.from) && c.includes(e.to));
  const cycleEdges = edges.filter(inCycle);

  it('reads the imports of every file', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.length).toBeGreaterThan(files.length);
    expect(files.every((f) => !f.includes('/') || layerOf(f) !== null)).toBe(true);
  });

  it('has no new import pointing up the layers', () => {
    const fresh = up.filter((u) => !KNOWN_UPWARD.has(key(u.edge))).map((u) => `${show(u.edge)}: ${u.why}`);
    expect(fresh, `new upward imports:\n  ${fresh.join('\n  ')}`).toEqual([]);
  });

  it('has no new import cycle', () => {
    const fresh = cycleEdges.filter((e) => !KNOWN_CYCLE_EDGES.has(key(e)));
    const report = fresh.map((e) => {
      const c = sccs.find((s) => s.includes(e.from))!;
      return `${show(e)}: closes a cycle among ${c.map((f) => `src/${f}`).join(', ')}`;
    });
    expect(report, `new imports inside a cycle:\n  ${report.join('\n  ')}`).toEqual([]);
  });

  it('lists no known violation that is gone (delete the line it names)', () => {
    const upKeys = new Set(up.map((u) => key(u.edge)));
    const cycleKeys = new Set(cycleEdges.map(key));
    const stale = [
      ...[...KNOWN_UPWARD].filter((k) => !upKeys.has(k)).map((k) => `KNOWN_UPWARD: ${k}`),
      ...[...KNOWN_CYCLE_EDGES].filter((k) => !cycleKeys.has(k)).map((k) => `KNOWN_CYCLE_EDGES: ${k}`),
    ];
    expect(stale, `fixed, so remove from test/architecture.test.ts:\n  ${stale.join('\n  ')}`).toEqual([]);
  });
});

describe('the import reader', () => {
  it('reads value, type-only, multi-line, re-export, side-effect and dynamic imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      'import {',
      '  g,',
      '  h,',
      "} from './g.js';",
      "export * from './x.js';",
      "export type { Y } from './y.js';",
      "import './side.js';",
      "const m = await import('./lazy.js');",
      "import { readFileSync } from 'node:fs';",
      "// import { z } from './commented.js';",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { spec: './a.js', typeOnly: false },
      { spec: '../b.js', typeOnly: true },
      { spec: './c.js', typeOnly: true },
      { spec: './e.js', typeOnly: false },
      { spec: './g.js', typeOnly: false },
      { spec: './x.js', typeOnly: false },
      { spec: './y.js', typeOnly: true },
      { spec: './side.js', typeOnly: false },
      { spec: './lazy.js', typeOnly: false },
    ]);
  });

  it('finds an upward import and a cycle', () => {
    const edges: Edge[] = [
      { from: 'kernel/a.ts', to: 'scenario/b.ts', typeOnly: true },
      { from: 'scenario/b.ts', to: 'kernel/a.ts', typeOnly: false },
      { from: 'cli/c.ts', to: 'arch/d.ts', typeOnly: false },
    ];
    expect(upward(edges).map((u) => u.why)).toEqual(['kernel (layer 2) imports scenario (layer 4), above it']);
    expect(cycles(['arch/d.ts', 'cli/c.ts', 'kernel/a.ts', 'scenario/b.ts'], edges)).toEqual([['kernel/a.ts', 'scenario/b.ts']]);
  });
});
