// The viewer (viewer/*.ts, browser code) as one script string to inline in the report.
// Built packages carry it prebuilt next to this module (`npm run build` writes
// dist/report/viewer.bundle.js through build-viewer.ts); from the sources (tsx, vitest) it is
// bundled on first use with esbuild's JS API. Same options either way, so same bytes.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const VIEWER_BUNDLE_NAME = 'viewer.bundle.js';

let cached: string | null = null;

function viewerEntry(): string {
  return fileURLToPath(new URL('../../viewer/main.ts', import.meta.url));
}

/** Bundles viewer/main.ts with esbuild (a devDependency: only needed when running from sources). */
export function buildViewerScript(): string {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [viewerEntry()],
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2020',
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no viewer bundle');
  return file.text;
}

export function viewerScript(): string {
  if (cached !== null) return cached;
  const prebuilt = new URL(`./${VIEWER_BUNDLE_NAME}`, import.meta.url);
  let text = existsSync(prebuilt) ? readFileSync(prebuilt, 'utf8') : buildViewerScript();
  // Inlined in <script>: the HTML parser must never see a closing tag inside it.
  text = text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  cached = text;
  return text;
}
