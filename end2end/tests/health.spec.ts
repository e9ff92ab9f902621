import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, watchConsole } from './support';

// Health and Customer Detail as a CSM uses them: overrides, the account chat, filters in the URL,
// live updates between two browsers, and the scorecard preview. Runs after access.spec.ts (files
// run alphabetically with one worker), which set up the Acme workspace and its owner.
test.describe.configure({ mode: 'serial' });

const queue = (page: Page) => page.locator('[data-testid="health-queue"]');
const rows = (page: Page) => page.locator('[data-testid="health-queue"] tbody tr');

test('a CSM overrides a band with a reason; it shows distinctly and files the account', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/health?band=green');
  await hydrated(page);
  const row = rows(page).first();
  const name = (await row.locator('.account-link').innerText()).trim();
  await row.locator('.account-link').click();
  await expect(page.getByTestId('account-name')).toHaveText(name);
  await hydrated(page);

  await page.getByTestId('override-open').click();
  await page.locator('#override-band').selectOption('red');
  await page.locator('#override-reason').fill('meh');
  await page.getByRole('button', { name: 'Save override' }).click();
  await expect(page.locator('[data-field="reason"]')).toContainText('at least 10 characters');
  await page.locator('#override-reason').fill('Champion told us on the QBR they are evaluating a competitor');
  await page.getByRole('button', { name: 'Save override' }).click();
  const banner = page.getByTestId('band-override');
  await expect(banner).toContainText('Band set by hand: Critical');
  await expect(banner).toContainText('evaluating a competitor');
  await expect(page.getByTestId('health-panel').locator('.score-chip-override')).toBeVisible();
  await expect(page.getByTestId('computed-band')).toHaveText('score alone: Healthy');

  await page.goto(`/health?band=red&q=${encodeURIComponent(name)}`);
  await hydrated(page);
  await expect(queue(page)).toContainText(name);
  await expect(rows(page).first().locator('.override-mark')).toHaveText('✎ CSM');

  await rows(page).first().locator('.account-link').click();
  await hydrated(page);
  await page.getByTestId('clear-override').click();
  await expect(page.getByTestId('band-override')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('the chat answers why an account is critical, citing the facts it used', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/health?band=red');
  await hydrated(page);
  await rows(page).first().locator('.account-link').click();
  await hydrated(page);
  await page.getByTestId('chat-open').click();
  await page.getByTestId('chat-input').fill('Why is this account critical?');
  await page.getByTestId('chat-send').click();
  const answer = page.getByTestId('chat-answer').last();
  await expect(answer).toContainText('health score of');
  await expect(answer.locator('.chat-sources li').first()).toBeVisible();
  await expect(answer).toContainText('Answered by built-in');
  // A source link jumps to the evidence on the page.
  const first = answer.locator('.chat-sources a').first();
  expect(await first.getAttribute('href')).toMatch(/^#/);

  await page.getByTestId('chat-input').fill('What is the weather in Palo Alto?');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-answer').last()).toContainText("only answer from this account's own data");
  expect(problems).toEqual([]);
});

test('owner, renewal window and payment filters live in the URL', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await hydrated(page);
  const owners = page.getByTestId('filter-owner').locator('option');
  const owner = (await owners.nth(2).innerText()).trim();
  await page.getByTestId('filter-owner').selectOption(owner);
  await expect(page).toHaveURL(new RegExp(`owner=${encodeURIComponent(owner).replace(/%20/g, '\\+')}`));
  await expect(rows(page).first()).toBeVisible();
  const ownerCells = await rows(page).locator('td:nth-child(8)').allInnerTexts();
  expect(ownerCells.length).toBeGreaterThan(0);
  for (const cell of ownerCells) expect(cell.trim()).toBe(owner);

  await page.getByTestId('filter-payment').selectOption('problem');
  await expect(page).toHaveURL(/payment=problem/);
  await expect(page).toHaveURL(/owner=/);
  // A summary figure opens the queue filtered to what it counts.
  await page.goto('/health');
  await hydrated(page);
  await page.locator('a.metric-link', { hasText: 'Payment problems' }).click();
  await expect(page).toHaveURL(/payment=problem/);
  await expect(page.getByTestId('filter-payment')).toHaveValue('problem');
  await page.goto('/health?renewal=30');
  await hydrated(page);
  await expect(page.getByTestId('filter-renewal')).toHaveValue('30');
  await page.goto('/health?renewal=45');
  await expect(page.getByText('not one of 30, 60 or 90 days')).toBeVisible();
  expect(problems.filter((p) => !/status of 500/.test(p))).toEqual([]);
});

test('an open Health page updates live when someone else untracks an account', async ({ browser }) => {
  const screen = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(screen, true);
  await hydrated(screen);
  const name = (await rows(screen).first().locator('.account-link').innerText()).trim();

  const csm = await signIn(browser, 'owner@acme.test');
  await rows(csm).first().locator('.account-link').click();
  await expect(csm.getByTestId('account-name')).toHaveText(name);
  await hydrated(csm);
  await csm.getByTestId('track-toggle').click();
  await expect(csm.getByTestId('track-toggle')).toHaveText('Track again');

  // No reload on the first screen: the server-sent event makes it refetch.
  await expect(queue(screen)).not.toContainText(name, { timeout: 10_000 });
  await csm.getByTestId('track-toggle').click();
  await expect(queue(screen)).toContainText(name, { timeout: 10_000 });
  expect(problems).toEqual([]);
});

test('the scorecard preview re-bands accounts in the browser before saving', async ({ browser }) => {
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/settings/scoring');
  await hydrated(page);
  await expect(page.getByTestId('moved-count')).toHaveText('0 accounts would change band');
  const greenBefore = parseInt(await page.getByTestId('preview-green').innerText(), 10);
  await page.getByTestId('green-from').fill('90');
  await expect(page.getByTestId('moved-count')).not.toHaveText('0 accounts would change band');
  const greenAfter = parseInt(await page.getByTestId('preview-green').innerText(), 10);
  expect(greenAfter).toBeLessThan(greenBefore);

  await page.getByTestId('red-below').fill('95');
  await expect(page.getByTestId('scorecard-error')).toContainText('Cut-offs');
  await expect(page.getByTestId('save-scorecard')).toBeDisabled();
  await page.getByTestId('red-below').fill('40');
  await page.getByTestId('save-scorecard').click();
  await expect(page.getByTestId('scorecard-saved')).toContainText('Saved.');
  await expect(page.getByTestId('moved-count')).toHaveText('0 accounts would change band');
  // Back to the built-in scorecard for the tests after this one.
  await page.getByRole('button', { name: 'Use the built-in scorecard' }).click();
  await page.getByTestId('save-scorecard').click();
  await expect(page.getByTestId('scorecard-saved')).toBeVisible();
  expect(problems).toEqual([]);
});
