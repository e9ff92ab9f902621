import { expect, test, Page, Browser } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

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
  // Set by the wasm once the page (and its lazily loaded chunk) is hydrated.
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
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
    // The minute must fit in the test's own time, whatever that test allowed itself.
    test.info().setTimeout(test.info().timeout + 75_000);
    await page.waitForTimeout(61_000);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/health$/);
  }
  return page;
}

// The messages the test SMTP server (end2end/smtp-server.py, started by .ci/test) has received.
export const smtpPort = process.env.SMTP_PORT;
export const maildir = process.env.SMTP_MAILDIR;

export function received(): string[] {
  const dir = path.join(maildir!, 'new');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

// Quoted-printable soft line breaks and escapes, so the text can be searched as written.
export function decoded(message: string): string {
  return message
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// The path of the newest emailed link to `to` that starts with `prefix` (e.g. "/verify-email"),
// waiting for the outbox to send it.
export async function emailedLink(to: string, prefix: string): Promise<string> {
  const pattern = new RegExp(`https?://[^/\\s]+(${prefix.replace(/[?]/g, '\\?')}\\?token=[0-9a-f]{64})`);
  let found = '';
  await expect
    .poll(
      () => {
        const hits = received()
          .map(decoded)
          .filter((m) => m.includes(`To: `) && m.toLowerCase().includes(to.toLowerCase()))
          .map((m) => m.match(pattern)?.[1])
          .filter((m): m is string => !!m);
        found = hits[hits.length - 1] ?? '';
        return found;
      },
      { timeout: 15_000 },
    )
    .not.toBe('');
  return found;
}
