import fs from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

/**
 * axe-core, run inside the page under test. Its source is read from
 * node_modules and evaluated in the page, so nothing is fetched. It is
 * evaluated through the DevTools protocol (page.evaluate of the source) rather
 * than added as an inline <script>: the app's strict CSP rightly refuses
 * inline scripts, and the test must not turn that CSP off.
 */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary: string }>;
}

/** Runs axe on the whole document as it is now; returns every violation (any impact). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

/** One line per failing element, readable in a test log. */
export function describeViolations(label: string, violations: AxeViolation[]): string {
  return violations
    .flatMap((v) =>
      v.nodes.map(
        (n) => `[${label}] ${v.impact} ${v.id}: ${v.help} — ${n.target.join(' ')}\n    ${n.failureSummary.replace(/\n/g, '\n    ')}`,
      ),
    )
    .join('\n');
}

/**
 * Fails when axe finds a serious or critical violation on the page, listing
 * each one with the element it found it on. Minor and moderate ones are
 * printed but do not fail: the bar is "zero serious or critical".
 */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<void> {
  const all = await axeViolations(page);
  const serious = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lesser = all.filter((v) => !serious.includes(v));
  if (lesser.length > 0) console.warn(describeViolations(label, lesser));
  if (serious.length > 0) console.error(describeViolations(label, serious));
  // Soft: every screen of a test is checked and reported, and the test still fails.
  expect
    .soft(
      serious.map((v) => `${v.id} ×${v.nodes.length}`),
      `${label}: serious/critical axe violations`,
    )
    .toEqual([]);
}
