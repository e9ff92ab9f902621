import { expect, Page, Browser } from '@playwright/test';

// Shared by the spec files (Playwright only runs files named *.spec.ts).

export const PASSWORD = 'correct horse battery';

// Console errors and failed requests make a test fail: a page that renders but logs errors is broken.
// `allowRefusals`: tests that provoke 400/401/403/409 on purpose accept the browser's log of them.
export function watchConsole(page: Page, allowRefusals = false): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (allowRefusals && /status of 4(00|01|03|09)/.test(msg.text())) return;
    problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // A request cut short by navigating away (net::ERR_ABORTED) is not a failure.
  page.on('requestfailed', (req) => {
    if (req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()}`);
  });
  return problems;
}

// The wasm bundle has loaded and hydrated once network activity settles.
export async function hydrated(page: Page) {
  await page.waitForLoadState('networkidle');
}

// Signs in in a browser context of its own and lands on Health.
export async function signIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Sign-ins are limited per address and minute, and the suites sign in often from 127.0.0.1:
  // when the limit answers, wait the minute out once.
  const landed = await page.waitForURL(/\/health$/, { timeout: 5_000 }).then(() => true, () => false);
  if (!landed) {
    if (!(await page.getByText('Too many attempts in the last minute').isVisible())) {
      throw new Error(`signing in as ${email} failed`);
    }
    await page.waitForTimeout(61_000);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/health$/);
  }
  return page;
}
