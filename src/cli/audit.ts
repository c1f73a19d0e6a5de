// `pksim audit PATH...`: find kmap()/kunmap()/kmap_local_*()/kmap_atomic() calls in kernel C
// code and say which kmap() sites are thread-local. See README "Auditing kmap() call sites".

import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { applyEdits, unifiedDiff } from '../analysis/audit/fix.js';
import { formatJson, formatSarif, formatSummary, formatText } from '../analysis/audit/format.js';
import { defaultJobs, runAudit } from '../analysis/audit/run.js';
import { auditBase } from '../analysis/audit/prefilter.js';
import { AuditError } from '../analysis/audit/errors.js';
import { EXIT_USAGE, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { HELP_OPTION, defineCommand, helpText, parseConfig } from './options.js';

/** `pksim audit`: its options, declared once (parseArgs config, --help, completion). */
export const spec = defineCommand({
  name: 'audit',
  usage: 'pksim audit PATH... [--format text|json|sarif] [--jobs N] [--fix [--write]] [--all]',
  about: `Finds every kmap(), kunmap(), kmap_local_page(), kmap_local_folio(), kunmap_local(),
kmap_atomic() and kunmap_atomic() call in the C files under PATH (files that do not
mention kmap are skipped unparsed) and classifies each kmap() site:
  local    the address stays in the function (or a get/put helper pair) and is unmapped
           on every path: convertible to kmap_local_page()
  global   the address or the mapping escapes: stored in a struct/array/global, handed
           to work items, completions, callbacks or iterators, unmapped elsewhere
  unclear  could not be decided; the reason says why
It also warns about unmaps missing on a path, unmaps out of LIFO order (today for
kmap_local/kmap_atomic, after conversion for kmap), and kunmap() given the wrong argument.`,
  positionals: 'path',
  options: {
    format: { type: 'string', value: 'F', values: ['text', 'json', 'sarif'], default: 'text', help: 'text (file:line:col lines and a summary table), json, sarif (2.1.0)' },
    json: { type: 'boolean', help: 'the same as --format json' },
    jobs: { type: 'string', short: 'j', value: 'N', default: 'number of CPUs', help: 'worker threads' },
    fix: { type: 'boolean', help: "print a unified diff converting the local sites whose conversion is\nmechanical; apply it with 'patch -p1' inside PATH. Files are not changed." },
    write: { type: 'boolean', help: 'with --fix: also rewrite the files in place' },
    atomic: { type: 'boolean', help: 'with --fix: also convert kmap_atomic() sites to kmap_local_page(), adding\npagefault_disable()/preempt_disable() where the code relies on them' },
    all: { type: 'boolean', help: 'text format: also list kmap_local_page/kmap_local_folio/kmap_atomic sites' },
    summary: { type: 'boolean', help: 'text format: only the summary table' },
    'no-tree': { type: 'boolean', help: 'per-file mode: do not look at the other files of a subsystem for callers,\nput helpers and header helpers (faster on a single file)' },
    callees: {
      type: 'string',
      value: 'F',
      file: true,
      help: "callee data adding to the built-in list: lines 'sync NAME: why',\n'async NAME: why', 'consume NAME(field,...): why', NAME may be a*/\n*b pattern or ->member for indirect calls; # starts a comment",
    },
    ...HELP_OPTION,
  },
  notes: `Paths in the output are relative to the PATH given (to their common directory for several). Exit status: 0 when the audit ran
(findings are reported, not failures), 2 for bad usage or unreadable input.`,
});

export async function command(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: parseConfig(spec.options) });
  if (values.help) {
    io.out(helpText(spec));
    return 0;
  }
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

  let lastDraw = 0;
  const onProgress = io.isTTY
    ? (done: number, total: number) => {
        const now = Date.now();
        if (done !== total && now - lastDraw < 100) return;
        lastDraw = now;
        io.err(`\r\x1b[Kaudit: ${done}/${total} files`);
        if (done === total) io.err('\r\x1b[K');
      }
    : undefined;
  let res;
  try {
    res = await runAudit(positionals, { jobs, fix: Boolean(values.fix), ...(values.callees !== undefined ? { calleesFile: values.callees } : {}), tree: !values['no-tree'], atomic: Boolean(values.atomic), ...(onProgress ? { onProgress } : {}) });
  } catch (e) {
    // Bad input found by the audit itself: one line, exit 2 (the code is for scripts using the API).
    if (e instanceof AuditError) throw new UsageError(e.message, EXIT_USAGE, e.code);
    throw e;
  }

  if (values.fix) {
    const absOf = new Map<string, string>();
    for (const f of res.inputs) if (!absOf.has(f.rel)) absOf.set(f.rel, f.abs);
    let sites = 0;
    let atomics = 0;
    let files = 0;
    let diff = '';
    for (const f of res.files) {
      if (!f.fixes.length) continue;
      const abs = absOf.get(f.file)!;
      const old = readFileSync(abs, 'utf8');
      const edits = f.fixes.flatMap((x) => x.edits);
      const updated = applyEdits(old, edits);
      const d = unifiedDiff(f.file, old, updated);
      if (!d) continue;
      diff += d;
      files++;
      sites += f.sites.filter((s) => s.fixable).length;
      atomics += f.sites.filter((s) => s.atomic?.convertible).length;
      if (values.write) writeFileSync(abs, updated);
    }
    if (!values.write) io.out(diff);
    const where = positionals.length > 1 ? auditBase(positionals) : 'the PATH given';
    const what = values.atomic ? `${sites} kmap() and ${atomics} kmap_atomic() site(s)` : `${sites} kmap() site(s)`;
    io.err(`audit: ${values.write ? 'rewrote' : 'diff converts'} ${what} in ${files} file(s) to kmap_local_page()${values.write ? '' : `; apply with 'patch -p1' in ${where}`}\n`);
    return 0;
  }
  if (format === 'json') io.out(formatJson(res));
  else if (format === 'sarif') {
    const root = pathToFileURL(auditBase(positionals)).href;
    io.out(formatSarif(res, root));
  } else io.out(values.summary ? formatSummary(res.summary) : formatText(res, { all: Boolean(values.all) }));
  return 0;
}
