// `npm run build` step: writes the viewer bundle next to the compiled report module
// (dist/report/viewer.bundle.js) so that an installed pksim needs no esbuild at run time.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VIEWER_BUNDLE_NAME, buildViewerScript } from './bundle.js';

if (import.meta.url.endsWith('.ts')) {
  // From the sources the bundle is built on demand; a file here would go stale.
  console.error('build-viewer: run the compiled dist/report/build-viewer.js');
  process.exit(2);
}
const out = fileURLToPath(new URL(`./${VIEWER_BUNDLE_NAME}`, import.meta.url));
writeFileSync(out, buildViewerScript());
