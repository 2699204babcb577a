import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Accessibility and looks of a console page, shared by every browser test: axe-core run in the
 * page (0 serious or critical violations) in the light and dark themes and at a phone's width,
 * with a screenshot of each into test-results/screenshots (git-ignored) for a person to look at.
 *
 *   await checkPage(page, 'queues', () => page.getByRole('heading', { name: 'Queues' }).waitFor());
 */

/** Evaluated rather than added as a script tag: the hub's Content-Security-Policy forbids inline scripts. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

/** The layouts every page is checked in. */
export const LAYOUTS = [
  { name: 'light', colorScheme: 'light', width: 1400, height: 900 },
  { name: 'dark', colorScheme: 'dark', width: 1400, height: 900 },
  { name: 'phone', colorScheme: 'light', width: 390, height: 844 },
] as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core on the page as it is now; answers the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a script, untyped in the page.
    const axe = (window as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`) }));
  });
}

/** One line per violation, for an assertion message a person can act on. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Checks the page in each layout: sets the theme and width, waits for `ready` (something the
 * page shows once loaded), runs axe and takes a screenshot named `<name>-<layout>`. Answers
 * the violations per layout (empty when clean); restores the light desktop layout after.
 */
export async function checkPage(page: Page, name: string, ready: () => Promise<unknown>): Promise<Record<string, AxeViolation[]>> {
  const found: Record<string, AxeViolation[]> = {};
  try {
    for (const layout of LAYOUTS) {
      await page.setViewportSize({ width: layout.width, height: layout.height });
      await page.emulateMedia({ colorScheme: layout.colorScheme, reducedMotion: 'reduce' });
      await page.waitForFunction((scheme) => document.documentElement.getAttribute('data-mantine-color-scheme') === scheme, layout.colorScheme);
      await ready();
      found[layout.name] = await seriousViolations(page);
      await screenshot(page, `${name}-${layout.name}`);
    }
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  }
  return found;
}

/** Fails with every layout's violations listed when any layout has one. */
export function expectClean(found: Record<string, AxeViolation[]>, page: string): void {
  const bad = Object.entries(found).filter(([, v]) => v.length > 0);
  if (bad.length > 0) {
    throw new Error(`axe: serious or critical violations on ${page}\n${bad.map(([layout, v]) => `[${layout}]\n${describeViolations(v)}`).join('\n')}`);
  }
}
