import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, watchConsole } from './support';

// Convert, Contracts and Re-engage as a CSM works them, on the Acme workspace's sample data. Runs
// last (files run alphabetically with one worker): settings.spec.ts has connected Stripe by then.
test.describe.configure({ mode: 'serial' });

const rows = (page: Page, id: string) => page.locator(`[data-testid="${id}"] tbody tr`);

test('Convert ranks running trials by priority, explains each likelihood and syncs billing', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/convert');
  await hydrated(page);
  await expect(page.getByTestId('model-note')).toContainText('learned from');
  await expect(page.getByTestId('model-note')).toContainText('hold-out AUC');
  const trials = rows(page, 'convert-queue');
  await expect(trials.first()).toBeVisible();
  // Priority order, each row with its likelihood and what drives it.
  const priorities = await trials.getByTestId('priority').allInnerTexts();
  const amounts = priorities.map((p) => Number(p.replace(/[^0-9.]/g, '')));
  for (let i = 1; i < amounts.length; i++) expect(amounts[i]).toBeLessThanOrEqual(amounts[i - 1]);
  await expect(trials.first().getByTestId('likelihood')).toHaveText(/^\d+%$/);
  await expect(trials.first().getByTestId('likelihood-factor').first()).toHaveText(/^[+−]\d+ /);

  // Prospects that are not trialling rank beside the trials, each explained, without a trial end.
  await page.getByRole('link', { name: 'Prospects without a trial' }).click();
  await expect(page).toHaveURL(/filter=prospects/);
  await expect.poll(async () => (await rows(page, 'convert-queue').getByTestId('no-trial').count())).toBeGreaterThan(0);
  const prospects = rows(page, 'convert-queue');
  await expect(prospects.getByTestId('days-left')).toHaveCount(0);
  await expect(prospects.first().getByTestId('likelihood')).toHaveText(/^\d+%$/);
  await expect(prospects.first()).toContainText('prospect, no trial');

  await page.getByRole('link', { name: 'Likely to convert (60%+)' }).click();
  await expect(page).toHaveURL(/filter=likely/);
  // The list swaps once the filtered page arrives (a client-side navigation: no load event to wait for).
  const likely = () => rows(page, 'convert-queue').getByTestId('likelihood').allInnerTexts();
  await expect.poll(async () => (await likely()).length).toBeGreaterThan(0);
  await expect.poll(async () => (await likely()).every((t) => parseInt(t, 10) >= 60)).toBe(true);
  await page.getByRole('link', { name: 'Likelihood', exact: true }).click();
  await expect(page).toHaveURL(/sort=likelihood/);
  await expect(page).toHaveURL(/filter=likely/);

  await page.getByTestId('sync-billing').click();
  await expect(page.getByTestId('sync-billing-result')).toHaveText(/1 sync started\.|2 syncs started\./);

  // The models, their quality and weights, on Settings → Scoring.
  await page.goto('/settings/scoring');
  await hydrated(page);
  await expect(page.getByTestId('model-convert').getByTestId('model-auc')).toHaveText(/^0\.\d\d$/);
  await expect(page.getByTestId('model-reengage').getByTestId('model-examples')).toContainText('won back');
  expect(problems).toEqual([]);
});

test('Contracts totals what the filters select, exports it, and shows a contract\'s invoices', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/contracts');
  await hydrated(page);
  await expect(page.getByTestId('contract-totals')).toContainText('MRR');
  await page.getByTestId('filter-payment').selectOption('problem');
  await expect(page).toHaveURL(/payment=problem/);
  await hydrated(page);
  const table = rows(page, 'contracts-table');
  await expect(table.first()).toBeVisible();
  const count = await table.count();
  await expect(table.locator('.thaw-badge', { hasText: /Payment failed|Past due/ })).toHaveCount(count);

  // The export is exactly the filtered list, header included.
  const href = await page.getByTestId('export-csv').getAttribute('href');
  expect(href).toContain('payment=problem');
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const lines = (await csv.text()).trim().split('\r\n');
  expect(lines[0]).toMatch(/^account,owner,source/);
  const total = Number((await page.getByTestId('contract-totals').locator('.metric-value').nth(2).innerText()).replace(/[^0-9]/g, ''));
  expect(lines.length - 1).toBe(total);

  await table.first().getByTestId('show-invoices').click();
  const timeline = page.getByTestId('invoice-timeline');
  await expect(timeline).toBeVisible();
  await expect(timeline.locator('li').first()).toContainText('$');
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(timeline).toBeHidden();
  expect(problems).toEqual([]);
});

test('Re-engage suggests why to reach out; contacted, snoozed and won back move the row', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/re-engage');
  await hydrated(page);
  await expect(page.locator('#lost-by-reason canvas')).toHaveCount(1);
  await expect(page.getByTestId('model-note')).toContainText('learned from');
  const queue = rows(page, 'reengage-queue');
  await expect(queue.first().getByTestId('why-now')).not.toBeEmpty();
  await expect(queue.first().getByTestId('likelihood')).toHaveText(/^\d+%$/);

  // Contacted: stays in the queue, says who and when.
  const first = queue.first();
  const firstId = await first.getAttribute('data-winback-id');
  await first.getByTestId('mark-contacted').click();
  await expect(page.getByTestId('winback-result')).toContainText('marked contacted');
  await expect(page.locator(`tr[data-winback-id="${firstId}"]`).getByTestId('winback-status')).toContainText('by Olivia Owner');

  // Snoozed: gone from the work queue, listed under Snoozed.
  const second = queue.nth(1);
  const secondId = await second.getAttribute('data-winback-id');
  await second.getByTestId('snooze').selectOption('30');
  await expect(page.getByTestId('winback-result')).toContainText('snoozed for 30 days');
  await expect(page.locator(`tr[data-winback-id="${secondId}"]`)).toHaveCount(0);
  await page.getByRole('link', { name: 'Snoozed', exact: true }).click();
  await expect(page).toHaveURL(/filter=snoozed/);
  await expect(page.locator(`tr[data-winback-id="${secondId}"]`)).toBeVisible();

  // Won back: a win-back deal opens in Pipeline, routed from Re-engage.
  await page.goto('/re-engage');
  await hydrated(page);
  const third = queue.first();
  const account = (await third.locator('.account-link').innerText()).trim();
  await third.getByTestId('won-back').click();
  await expect(page.getByTestId('winback-result')).toContainText('win-back deal is open in Pipeline');
  await page.goto('/pipeline');
  await hydrated(page);
  const routed = page.getByTestId('routed-row').filter({ hasText: account });
  await expect(routed.first()).toContainText('Routed from Re-engage');

  // The reason filter lives in the URL.
  await page.goto('/re-engage?reason=price&filter=all');
  await hydrated(page);
  await expect(page.getByTestId('reason-filter')).toContainText('Lost on: Price');
  for (const text of await rows(page, 'reengage-queue').getByTestId('lost-reason').allInnerTexts()) {
    expect(text.startsWith('Price')).toBeTruthy();
  }
  expect(problems).toEqual([]);
});
