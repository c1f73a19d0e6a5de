// Headless Debian chromium driven by playwright-core (never `playwright install`).
// In CI (process.env.CI) the browser tests must run: a missing chromium fails them. Elsewhere
// they are skipped with a plain message saying how to get it.

import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium; PKSIM_CHROMIUM points elsewhere (another distro's path). */
export const CHROMIUM = process.env.PKSIM_CHROMIUM || '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const MUST_RUN = !!process.env.CI;
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Whether to run the browser tests; prints how to get chromium when skipping. */
export function browserTestsEnabled(): boolean {
  if (HAVE_CHROMIUM || MUST_RUN) return true;
  console.log("e2e tests need Debian's chromium: apt-get install chromium");
  return false;
}

export async function launch(): Promise<Browser> {
  if (!HAVE_CHROMIUM) throw new Error(`CI is set but ${CHROMIUM} is missing: apt-get install chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
  /** Milliseconds from navigation start to the viewer's first full render. */
  loadMs: number;
}

/** Opens a report file and waits for the viewer to have drawn it. */
export async function openReport(browser: Browser, file: string, width = 1400): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 10_000 });
  const loadMs = Number(await page.getAttribute('body', 'data-load-ms'));
  return { page, errors, requests, dialogs, loadMs };
}
