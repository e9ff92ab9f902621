import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { hydrated } from './support';

// axe-core in Chromium on every page of the sample workspace: nothing breaking WCAG 2.1 AA that
// axe rates serious or critical.

const AXE = fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const PAGES = ['/health', '/convert', '/contracts', '/pipeline', '/re-engage', '/close-the-loop', '/settings', '/success-unlock'];

test('no page breaks a serious or critical WCAG 2.1 AA rule', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/demo/enter?next=/health');
  await hydrated(page);
  const account = await page.locator('a[href^="/accounts/"]').first().getAttribute('href');
  const found: string[] = [];
  for (const route of [...PAGES, account!]) {
    await page.goto(route);
    await hydrated(page);
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      // @ts-ignore: axe is the script evaluated above
      const result = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      });
      return result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${v.id} ×${v.nodes.length}: ${v.nodes.slice(0, 2).map((n: any) => n.target.join(' ')).join(' | ')}`);
    });
    found.push(...violations.map((v: string) => `${route}: ${v}`));
  }
  expect(found).toEqual([]);
});
