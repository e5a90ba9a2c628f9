// Helpers for the console's browser tests: axe-core run in the page, screenshots under
// test-output/console, and waiting on text the page shows.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { waitFor } from '../support/wait.js';

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'console');

let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays
 * as strict as it is) and returns the serious and critical violations, one line each.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))',
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the element's text contains `expected`; returns that text. */
export async function waitForText(page: Page, selector: string, expected: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    `${selector} to show "${expected}"`,
    timeoutMs,
    async () => {
      const text =
        (await page
          .locator(selector)
          .first()
          .textContent()
          .catch(() => null)) ?? '';
      return text.includes(expected) ? text : undefined;
    },
    { everyMs: 50 },
  );
}
