// `pksim audit PATH...`: find kmap()/kunmap()/kmap_local_*()/kmap_atomic() calls in kernel C
// code and say which kmap() sites are thread-local. See README "Auditing kmap() call sites".

import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { applyEdits, editBytes, unifiedDiff } from '../analysis/audit/fix.js';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { formatJson, formatSummary, formatText, printablePath } from '../analysis/audit/format.js';
import { formatSarif } from '../analysis/audit/sarif.js';
import { formatMbox, touchedLines, type FileFix } from '../analysis/audit/patch.js';
import { summarise } from '../analysis/audit/summary.js';
import type { AuditResult } from '../analysis/audit/types.js';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_SITES, defaultJobs, runAudit } from '../analysis/audit/run.js';
import { auditBase } from '../analysis/audit/prefilter.js';
import { AuditError } from '../analysis/audit/errors.js';
import { EXIT_LIMIT, EXIT_USAGE, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { HELP_OPTION, defineCommand, parseCommand } from './options.js';

/** `pksim audit`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'audit',
  usage:
    'pksim audit PATH... [--format text|json|sarif] [--terse|--verbose] [--jobs N] [--no-tree] [--callees FILE] [--cache DIR] [--patch FILE|-] [--fix [--atomic] [--write|--mbox]] [--all] [--summary]\npksim audit PATH... --scenario FILE:LINE [--out FILE [--force]]',
  about: `Finds every kmap(), kunmap(), kmap_local_page(), kmap_local_folio(), kunmap_local(),
kmap_atomic() and kunmap_atomic() call in the C files under PATH (files that do not
mention them are skipped unparsed) and classifies each kmap() site:
  local    the mapping is made and released by one thread (in the function, in storage
           that dies with its frame, or through a get/put helper pair whose callers all
           release it): convertible to kmap_local_page()
  global   the address or the mapping escapes: stored where it outlives the call, handed
           to work items, completions, callbacks or iterators, unmapped elsewhere
  unclear  could not be decided; the reason says what is missing
Callers, put helpers in headers and struct members called indirectly are looked up in the
other files of the site's subsystem (first two directories) unless --no-tree is given.
For each kmap_atomic() site it says whether the code relies on disabled page faults or
preemption. It also warns about unmaps missing on a path, unmaps out of LIFO order (today
for kmap_local/kmap_atomic, after conversion for kmap), and kunmap() given the wrong
argument.`,
  positionals: 'path',
  options: {
    format: {
      type: 'string',
      value: 'F',
      values: ['text', 'json', 'sarif'],
      default: 'text',
      help: 'text (file:line:col: severity: message [code] lines and a summary table), json, sarif (2.1.0)',
    },
    json: { type: 'boolean', help: 'the same as --format json' },
    terse: { type: 'boolean', help: 'text: one short line per site, no reasons' },
    verbose: { type: 'boolean', short: 'v', help: 'text: every reason, one per line under its site' },
    all: { type: 'boolean', help: 'text: also list kmap_local_page/kmap_local_folio/kmap_atomic sites' },
    summary: { type: 'boolean', help: 'text: only the summary table' },
    jobs: { type: 'string', short: 'j', value: 'N', default: 'number of CPUs', help: 'worker threads; the result is the same for any N' },
    'no-tree': { type: 'boolean', help: 'per-file mode: do not look at the other files of a subsystem (faster on a\nsingle file)' },
    callees: {
      type: 'string',
      value: 'F',
      file: true,
      help: "callee data adding to the built-in list: lines 'sync NAME: why',\n'async NAME: why', 'consume NAME(field,...): why'; NAME may be an a* or *b\npattern, or ->member for indirect calls; # starts a comment",
    },
    cache: { type: 'string', value: 'DIR', help: 'keep per-file results in DIR, keyed by size and mtime: a second run reads\nand parses only the files that changed' },
    patch: {
      type: 'string',
      value: 'F',
      file: true,
      help: 'audit a unified diff (F, or - for standard input) against the patched tree\nPATH: only sites on lines the patch adds or touches are reported',
    },
    'max-file-size': { type: 'string', value: 'MB', default: DEFAULT_MAX_FILE_SIZE / 2 ** 20, help: 'skip (and name) a file larger than MB megabytes that would be parsed' },
    'max-sites': { type: 'string', value: 'N', default: DEFAULT_MAX_SITES, help: 'skip (and name) a file with more than N kmap()/kunmap()-family calls' },
    fix: {
      type: 'boolean',
      help: "print a unified diff converting the local sites whose conversion is\nmechanical; apply it with 'patch -p1' inside PATH. Files are not changed.",
    },
    atomic: { type: 'boolean', help: 'with --fix: also convert kmap_atomic() sites, adding pagefault_disable()/\npreempt_disable() where the code relies on them' },
    write: { type: 'boolean', help: 'with --fix: rewrite the files in place instead of printing the diff' },
    mbox: {
      type: 'boolean',
      help: 'with --fix: print git format-patch style mails, one per subsystem, with a\ncommit message saying why each conversion is safe (apply with git am)',
    },
    scenario: {
      type: 'string',
      value: 'FILE:LINE',
      help: "write a .pks scenario skeleton for the kmap() site at FILE:LINE: the contexts\nthe mapping reaches (a work item, a completion callback as a softirq, the task),\nthe unmap and the handoff, with comments naming the kernel lines; run it with\n'pksim compare'",
    },
    out: { type: 'string', value: 'FILE', file: true, help: 'with --scenario: write the scenario to FILE instead of standard output' },
    force: { type: 'boolean', help: 'with --out: overwrite an existing file' },
    ...HELP_OPTION,
  },
  notes: `Paths: text output relative to the current directory; json relative to the PATH given (to
their common directory for several); sarif relative to the git work tree holding PATH, or
to PATH. Exit status: 0 when the audit ran (findings are reported, not failures), 2 for bad
usage or unreadable input, with a one-line message naming the file, 3 when a resource limit
(--max-file-size, --max-sites, tree-sitter's memory) left a file unanalysed (named in the output).`,
});

export async function command(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  if (!positionals.length) throw new UsageError('expected at least one PATH (a kernel tree, a directory or a C file)');
  if (values.json && values.format !== undefined && values.format !== 'json') throw new UsageError(`--json and --format ${values.format} disagree`);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format: '${format}' is not text, json or sarif`);
  let jobs = defaultJobs();
  if (values.jobs !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.jobs) || Number(values.jobs) > 256) throw new UsageError(`--jobs: '${values.jobs}' is not a number of threads (1..256)`);
    jobs = Number(values.jobs);
  }
  if (values.write && !values.fix) throw new UsageError('--write only makes sense with --fix');
  if (values.atomic && !values.fix) throw new UsageError('--atomic only makes sense with --fix');
  if (values.mbox && !values.fix) throw new UsageError('--mbox only makes sense with --fix');
  if (values.mbox && values.write) throw new UsageError('--mbox and --write disagree: --mbox prints patches');
  if (values.terse && values.verbose) throw new UsageError('--terse and --verbose disagree');
  // The options that shape the text report would be ignored by the JSON, SARIF or --fix output.
  for (const o of ['terse', 'verbose', 'all', 'summary'] as const)
    if (values[o] && (format !== 'text' || values.fix)) throw new UsageError(`--${o} shapes the text output: not with ${values.fix ? '--fix' : `--format ${format}`}`);
  if (values.out !== undefined && values.scenario === undefined) throw new UsageError('--out only makes sense with --scenario');
  if (values.force && values.out === undefined) throw new UsageError('--force only makes sense with --out');
  if (values.scenario !== undefined) {
    if (values.fix) throw new UsageError('--scenario and --fix disagree: one site, or a diff');
    // Loaded only here: it brings the simulator (about 20 ms of module loading before the workers could start).
    const { checkOut, parseSiteRef } = await import('./audit-scenario.js');
    parseSiteRef(values.scenario);
    checkOut(values.out, Boolean(values.force));
  }
  // --patch FILE|-: only the sites on lines the diff adds or touches (the tree is the patched one).
  let touched: Map<string, Set<number>> | null = null;
  if (values.patch !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.patch === '-' ? 0 : values.patch, 'utf8');
    } catch (e) {
      throw new UsageError(`${values.patch}: cannot read the patch (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      touched = touchedLines(text, values.patch === '-' ? '<stdin>' : values.patch);
    } catch (e) {
      if (e instanceof AuditError) throw new UsageError(e.message, EXIT_USAGE, e.code);
      throw e;
    }
  }

  let lastDraw = 0;
  const onProgress = io.isTTY
    ? (done: number, total: number) => {
        const now = Date.now();
        if (done !== total && now - lastDraw < 100) return;
        lastDraw = now;
        io.err(`\r\x1b[Kaudit: ${total < 0 ? done : `${done}/${total}`} files`);
        if (done === total) io.err('\r\x1b[K');
      }
    : undefined;
  let maxFileSize: number | undefined;
  if (values['max-file-size'] !== undefined) {
    const v = values['max-file-size'];
    if (!/^[1-9][0-9]*$/.test(v) || Number(v) > 4096) throw new UsageError(`--max-file-size: '${v}' is not a number of megabytes (1..4096)`);
    maxFileSize = Number(v) * 2 ** 20;
  }
  let maxSites: number | undefined;
  if (values['max-sites'] !== undefined) {
    const v = values['max-sites'];
    if (!/^[1-9][0-9]*$/.test(v) || Number(v) > 1e7) throw new UsageError(`--max-sites: '${v}' is not a number of calls (1..10000000)`);
    maxSites = Number(v);
  }
  let res;
  try {
    res = await runAudit(positionals, {
      jobs,
      fix: Boolean(values.fix) || format === 'sarif',
      ...(touched ? { only: [...touched.keys()] } : {}),
      ...(values.callees !== undefined ? { calleesFile: values.callees } : {}),
      tree: !values['no-tree'],
      atomic: Boolean(values.atomic),
      ...(maxFileSize !== undefined ? { maxFileSize } : {}),
      ...(maxSites !== undefined ? { maxSites } : {}),
      ...(values.cache !== undefined ? { cacheDir: values.cache } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  } catch (e) {
    // Bad input found by the audit itself: one line, exit 2 (the code is for scripts using the API).
    if (e instanceof AuditError) throw new UsageError(e.message, EXIT_USAGE, e.code);
    throw e;
  }

  if (touched) res = { ...res, ...onlyTouched(res, touched) };
  if (values.scenario !== undefined) {
    const absOf = new Map(res.inputs.map((f) => [f.rel, f.abs]));
    const files = res.files.map((f) => ({ file: f.file, abs: absOf.get(f.file) ?? join(auditBase(positionals), f.file), sites: f.sites }));
    const { writeSiteScenario } = await import('./audit-scenario.js');
    return writeSiteScenario(
      io,
      files,
      res.inputs.map((f) => f.abs),
      values.scenario,
      values.out,
      Boolean(values.force),
    );
  }
  if (values.fix) {
    const absOf = new Map<string, string>();
    for (const f of res.inputs) if (!absOf.has(f.rel)) absOf.set(f.rel, f.abs);
    let sites = 0;
    let atomics = 0;
    let files = 0;
    let diff = '';
    const mails: FileFix[] = [];
    for (const f of res.files) {
      if (!f.fixes.length) continue;
      const abs = absOf.get(f.file)!;
      const old = readFileSync(abs, 'utf8');
      const edits = f.fixes.flatMap((x) => x.edits);
      const updated = applyEdits(old, edits);
      const d = unifiedDiff(f.file, old, updated);
      if (!d) continue;
      diff += d;
      const fixed = new Set(f.fixes.map((x) => x.site));
      mails.push({ file: f.file, diff: d, sites: f.sites.filter((s, i) => fixed.has(i) || (s.call === 'kmap' && s.fixable)) });
      files++;
      sites += f.sites.filter((s) => s.fixable).length;
      atomics += f.sites.filter((s) => s.atomic?.convertible).length;
      if (values.write) {
        const bytes = editBytes(readFileSync(abs), edits);
        if (bytes === null) io.err(`audit: ${printablePath(f.file)}: not rewritten: it mixes UTF-8 with bytes that are not UTF-8 (apply the diff by hand)\n`);
        else writeFileSync(abs, bytes);
      }
    }
    if (!values.write) io.out(values.mbox ? formatMbox(mails) : diff);
    const where = positionals.length > 1 ? auditBase(positionals) : 'the PATH given';
    const what = values.atomic ? `${sites} kmap() and ${atomics} kmap_atomic() site(s)` : `${sites} kmap() site(s)`;
    io.err(
      `audit: ${values.write ? 'rewrote' : 'diff converts'} ${what} in ${files} file(s) to kmap_local_page()${values.write ? '' : `; apply with 'patch -p1' in ${where}`}\n`,
    );
    return 0;
  }
  const base = auditBase(positionals);
  if (format === 'json') io.out(formatJson(res));
  else if (format === 'sarif') {
    // Inside a git work tree, URIs are relative to its root (what code-scanning UIs expect).
    const git = gitRoot(base);
    const root = git ?? base;
    io.out(formatSarif(res, pathToFileURL(root).href, (f) => relative(root, join(base, f))));
  } else {
    // Text: paths relative to the current directory, as compilers print them.
    const path = (f: string) => relative(process.cwd(), join(base, f)) || f;
    io.out(values.summary ? formatSummary(res.summary) : formatText(res, { all: Boolean(values.all), terse: Boolean(values.terse), verbose: Boolean(values.verbose), path }));
  }
  // A file a limit skipped leaves the audit incomplete: say so once, exit 3 (as every limit).
  const skipped = res.files.filter((f) => f.limit !== undefined);
  if (skipped.length === 0) return 0;
  const limits = [...new Set(skipped.map((f) => f.limit))].map((l) => (l === 'wasm-memory' ? "tree-sitter's wasm memory" : `--${l}`));
  io.err(`audit: ${skipped.length} file(s) not analysed: a resource limit stopped them (${limits.join(', ')}); the rest of the result stands\n`);
  return EXIT_LIMIT;
}

function gitRoot(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (d === dirname(d)) return null;
  }
}

/** Only the sites and findings on lines a patch adds or touches. */
function onlyTouched(res: AuditResult, touched: Map<string, Set<number>>): AuditResult {
  const files = res.files
    .filter((f) => touched.has(f.file))
    .map((f) => {
      const lines = touched.get(f.file)!;
      const keep = f.sites.map((s) => lines.has(s.line));
      const index = new Map<number, number>();
      keep.forEach((k, i) => k && index.set(i, index.size));
      return {
        ...f,
        sites: f.sites.filter((_, i) => keep[i]),
        findings: f.findings
          .filter((x) => lines.has(x.line) || (x.site !== undefined && keep[x.site]))
          .map((x) => (x.site !== undefined ? { ...x, site: index.get(x.site) } : x)),
        fixes: f.fixes.filter((x) => keep[x.site]).map((x) => ({ ...x, site: index.get(x.site)! })),
      };
    });
  const summary = summarise(res.summary.filesScanned, files, res.summary.elapsedMs);
  return { files, summary };
}
