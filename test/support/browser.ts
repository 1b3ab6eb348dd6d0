import type { Page } from 'playwright-core';
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
