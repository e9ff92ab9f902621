import { test, expect } from '@playwright/test';
import { hydrated, signIn, watchConsole } from './support';

// Settings → Integrations against the local vendor fakes (`server fake-vendors`, started by
// .ci/test at FAKE_VENDORS_URL): a wrong key is refused with Stripe's own words and nothing is
// stored; the right key connects; Sync now shows live progress and ends with the run's counts and
// the records it skipped, with why. Runs after access.spec.ts, which set up Acme and its owner.
test.describe.configure({ mode: 'serial' });

const FAKES = process.env.FAKE_VENDORS_URL ?? 'http://127.0.0.1:4010';

test('the owner connects Stripe, syncs with a live progress bar, and reads what was skipped', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/settings');
  await hydrated(page);
  const card = page.getByTestId('integration-stripe');
  await expect(card).toContainText('Not connected');

  await card.getByTestId('open-connect').click();
  await card.getByTestId('credential').fill('pk_live_123');
  await card.getByTestId('base-url').fill(FAKES);
  await card.getByTestId('connect').click();
  await expect(card.getByTestId('credential-error')).toContainText('publishable key');

  await card.getByTestId('credential').fill('sk_test_wrong_key');
  await card.getByTestId('connect').click();
  await expect(card.getByTestId('credential-error')).toContainText(
    'Stripe refused the credentials (401): Invalid API Key provided: sk_****_key',
  );
  await expect(card).toContainText('Not connected');

  await card.getByTestId('credential').fill('sk_test_fake_success');
  await card.getByTestId('connect').click();
  await expect(card.getByTestId('integration-answer')).toHaveText('Stripe accepted the key.');
  await expect(card).toContainText('Connected');
  await expect(card).toContainText('sk_••••cess');
  await expect(page.locator('body')).not.toContainText('sk_test_fake_success');

  await card.getByTestId('sync-now').click();
  const bar = card.getByTestId('sync-progress');
  await expect(bar).toBeVisible();
  await expect(bar).toContainText(/Step [12] of 2/);
  await expect(bar).toBeHidden({ timeout: 60_000 });
  const lastRun = card.locator('.integration-last-run');
  await expect(lastRun).toContainText('succeeded');
  await expect(lastRun).toContainText(/\d+ fetched, \d+ written, [1-9]\d* skipped/);

  // The fake bills some customers in EUR, and Acme has no EUR rate yet: those are skipped, named.
  const runs = page.locator('table').last();
  await runs.getByRole('button', { name: /skipped — why\?/ }).first().click();
  // Counted by why first, then the records one by one.
  await expect(page.getByTestId('run-reasons').first()).toContainText(/\d+ subscriptions? skipped: .*exchange rate for EUR/);
  await expect(page.getByTestId('skipped-records').first()).toContainText('no exchange rate for EUR is configured');

  const rates = page.getByTestId('exchange-rates');
  await rates.getByTestId('rate-currency').fill('EUR');
  await rates.getByTestId('rate-value').fill('1,08.5');
  await rates.getByTestId('save-rate').click();
  await expect(rates.locator('.field-error')).toContainText('positive number');
  await rates.getByTestId('rate-value').fill('1.08');
  await rates.getByTestId('save-rate').click();
  await expect(rates).toContainText('1 EUR = 1.08 USD');

  const newestRun = runs.locator('tbody tr').first();
  const previousRun = await newestRun.innerText();
  await card.getByTestId('sync-now').click();
  await expect(card.getByTestId('sync-progress')).toBeVisible();
  await expect(card.getByTestId('sync-progress')).toBeHidden({ timeout: 60_000 });
  // The runs table reloads when the sync's end is announced.
  await expect(newestRun).not.toHaveText(previousRun);
  await runs.getByRole('button', { name: /skipped — why\?/ }).first().click();
  const newest = page.getByTestId('skipped-records').first();
  await expect(newest).toContainText('has no items');
  await expect(newest).not.toContainText('exchange rate');

  // HubSpot enriches the accounts billing brought in; its prospects never become accounts.
  const hubspot = page.getByTestId('integration-hubspot');
  await hubspot.getByTestId('open-connect').click();
  await hubspot.getByTestId('credential').fill('pat-fake-success');
  await hubspot.getByTestId('base-url').fill(FAKES);
  await hubspot.getByTestId('connect').click();
  await expect(hubspot.getByTestId('integration-answer')).toHaveText('HubSpot accepted the token.');
  await hubspot.getByTestId('sync-now').click();
  await expect(hubspot.locator('.integration-last-run')).toContainText('succeeded', { timeout: 60_000 });
  await page.goto('/health?q=company12.example&untracked=show');
  await hydrated(page);
  await page.locator('[data-testid="health-queue"] .account-link', { hasText: /^Company 12$/ }).click();
  await expect(page.getByTestId('account-name')).toHaveText('Company 12');
  await expect(page.locator('body')).toContainText('Customer tier');
  await expect(page.locator('body')).toContainText('Computer software');
  expect(problems).toEqual([]);
});

test('PostHog usage syncs, signals come in by token and CSV, and an unmatched group is linked', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(page, true);
  await page.goto('/settings');
  await hydrated(page);

  const posthog = page.getByTestId('integration-posthog');
  await posthog.getByTestId('open-connect').click();
  await posthog.getByTestId('credential').fill('phx_fake_success');
  await posthog.getByTestId('base-url').fill(FAKES);
  await posthog.getByTestId('target').fill('project 1');
  await posthog.getByTestId('connect').click();
  await expect(posthog.getByTestId('target-error')).toContainText('A PostHog project ID is a number');
  await posthog.getByTestId('target').fill('999');
  await posthog.getByTestId('connect').click();
  await expect(posthog.getByTestId('target-error')).toContainText('PostHog answered 404: Not found.');
  await posthog.getByTestId('target').fill('4242');
  await posthog.getByTestId('connect').click();
  await expect(posthog.getByTestId('integration-answer')).toContainText('companies are the "company" groups of project 4242');
  await posthog.getByTestId('sync-now').click();
  await expect(posthog.locator('.integration-last-run')).toContainText('succeeded', { timeout: 90_000 });

  // Signals: a token shown once, then a CSV checked row by row before anything is written.
  await page.goto('/settings/data');
  await hydrated(page);
  const tokens = page.getByTestId('api-tokens');
  await tokens.getByTestId('create-token').click();
  await expect(tokens.locator('.field-error')).toContainText('Name the token');
  await tokens.getByTestId('token-name').fill('BuildBetter');
  await tokens.getByTestId('create-token').click();
  await expect(tokens.getByTestId('token-value')).toHaveText(/^sst_[0-9a-f]{64}$/);
  await expect(tokens.getByTestId('token-row')).toHaveCount(1);

  const csv = page.getByTestId('csv-import');
  await csv.getByTestId('csv-text').fill(
    'external_id,account_domain,source,sentiment,topic,quote,occurred_at\n' +
      'e2e-1,company12.example,call,-0.8,pricing,"Too expensive, says finance",2026-11-20\n' +
      'e2e-2,company12.example,tweet,0.3,pricing,Hm,2026-11-20\n',
  );
  await csv.getByTestId('csv-preview').click();
  await expect(csv.getByTestId('csv-summary')).toHaveText('1 rows can be imported (0 update signals already stored); 1 have errors.');
  await expect(csv.getByTestId('preview-bad')).toContainText('source "tweet" is not one of');
  await expect(csv.getByTestId('preview-ok')).toContainText('Company 12');
  await csv.getByTestId('csv-import-button').click();
  await expect(csv.getByTestId('csv-imported')).toHaveText('Imported: 1 new, 0 updated; 1 rows left out.');

  // Company 0 pays from free mail, so its PostHog group matched nothing; its name suggests the account.
  const matching = page.getByTestId('matching');
  const row = matching.getByTestId('unmatched-row').filter({ hasText: 'org_0' });
  await expect(row).toContainText('Company 0');
  await row.getByTestId('link-company').click();
  await expect(matching.getByTestId('unmatched-row').filter({ hasText: 'org_0' })).toHaveCount(0);

  await page.goto('/health?q=company12.example&untracked=show');
  await hydrated(page);
  await page.locator('[data-testid="health-queue"] .account-link', { hasText: /^Company 12$/ }).click();
  await expect(page.locator('body')).toContainText('Too expensive, says finance');
  expect(problems).toEqual([]);
});
