import { Browser, chromium, Page } from 'playwright-core';
import { waitFor } from './infra';

/**
 * Waits until `expression` is truthy in the page. Polled with page.evaluate, which the console's
 * Content-Security-Policy (no 'unsafe-eval') allows, unlike page.waitForFunction: its predicate is
 * compiled inside the page and refused there.
 */
export function waitInPage(
  page: Page,
  expression: string,
  what: string,
  timeoutMs = 30_000,
): Promise<unknown> {
  return waitFor(async () => await page.evaluate(expression), what, timeoutMs, 100);
}

/**
 * Debian's headless Chromium as the browser tests use it. Without the background-networking flags
 * it keeps trying hosts this machine's closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
