import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium): playwright's own browser downloads are not reachable. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium, with nothing of its own on the network (no updates, sync or QUIC probes), so
 * that every request it makes is the page's. Never skipped, not even locally: a missing browser is
 * a failure that says how to install it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
