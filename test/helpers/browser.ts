/**
 * Debian's Chromium driven by playwright-core (never a browser download).
 * `.ci/run` installs the package `chromium`; in CI a missing browser fails the
 * test, elsewhere the browser tests are skipped with the reason.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

const CANDIDATES = [process.env.OPS_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const chromiumPath = CANDIDATES.find((p): p is string => !!p && existsSync(p));

/** A `describe` skip reason, or undefined when the browser tests can run. */
export const browserSkip: string | undefined = chromiumPath
  ? undefined
  : process.env.CI === 'true'
    ? undefined // in CI the launch below fails loudly instead
    : 'no Chromium here (apt-get install chromium, or set OPS_TEST_CHROMIUM)';

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium found: .ci/run installs the Debian package chromium (or set OPS_TEST_CHROMIUM)');
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium refuses its own sandbox.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Where screenshots go: kept by CI as artifacts (`artifacts/` at the repo root, ignored by git). */
export function artifactPath(name: string): string {
  const dir = fileURLToPath(new URL('../../../artifacts/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return `${dir}${name}`;
}
