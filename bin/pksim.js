#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by npm ci via `prepare`).
import { main } from '../dist/cli/main.js';
import { installStdoutHandler } from '../dist/cli/io.js';

installStdoutHandler();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
