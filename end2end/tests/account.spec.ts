import { test, expect } from '@playwright/test';
import { PASSWORD, emailedLink, hydrated, signIn, smtpPort, watchConsole } from './support';

// Account security end to end, after access.spec.ts (which creates Acme, its email settings
// and nina@acme.test): a forgotten password reset through the emailed link, and a member an
// admin removes seeing "signed out" on the page they have open.
test.describe.configure({ mode: 'serial' });

test('a forgotten password is reset through the emailed link', async ({ browser }) => {
  test.skip(!smtpPort, 'needs SMTP_PORT and SMTP_MAILDIR (set by .ci/test)');
  const page = await (await browser.newContext()).newPage();
  const problems = watchConsole(page, true);
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByTestId('forgot-password').click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await page.getByLabel('Email').fill('nina@acme.test');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  // The same words whether or not the address has an account.
  await expect(page.getByTestId('reset-requested')).toContainText('If nina@acme.test has an account');

  const reset = await emailedLink('nina@acme.test', '/reset-password');
  await page.goto(reset);
  await hydrated(page);
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.locator('[data-field="password"]')).toContainText('at least 10 characters');
  // The same password again keeps the other suites' sign-ins working.
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page).toHaveURL(/\/health$/);
  await expect(page.getByTestId('nav-user')).toContainText('Nina New');

  // The link worked once.
  await page.goto(reset);
  await hydrated(page);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.getByTestId('form-error')).toContainText('does not work any more');
  expect(problems).toEqual([]);
});

test('a member an admin removes sees "signed out" on the page they have open', async ({ browser }) => {
  const admin = await signIn(browser, 'owner@acme.test');
  await admin.goto('/settings/access');
  await hydrated(admin);
  await admin.getByLabel('Email to invite').fill('rita@partner.test');
  await admin.getByLabel('Role for the invitation').selectOption('csm');
  await admin.getByTestId('create-invitation').click();
  const link = await admin.getByTestId('invitation-link').inputValue();

  const rita = await (await browser.newContext()).newPage();
  await rita.goto(link);
  await hydrated(rita);
  await rita.getByLabel('Your name').fill('Rita Removed');
  await rita.getByLabel('Password').fill(PASSWORD);
  await rita.getByRole('button', { name: 'Create account' }).click();
  await expect(rita).toHaveURL(/\/health$/);
  await hydrated(rita);
  await expect(rita.getByTestId('live-indicator')).toHaveAttribute('data-state', 'live');

  await admin.reload();
  await hydrated(admin);
  const row = admin.getByTestId('members-table').locator('[data-email="rita@partner.test"]');
  const removed = admin.waitForResponse((r) => r.url().includes('/api/fn/remove_member') && r.ok());
  await row.getByTestId('remove-member').click();
  await removed;
  // Within a second of the server's answer, her open page says so and stops listening.
  await expect(rita.getByTestId('signed-out')).toBeVisible({ timeout: 1_000 });
  await expect(rita.getByTestId('live-indicator')).toHaveAttribute('data-state', 'signed-out');
  await expect(admin.getByTestId('members-table').locator('[data-email="rita@partner.test"]')).toHaveCount(0);
  await expect(admin.getByTestId('audit-log')).toContainText('member removed');

  await rita.reload();
  await expect(rita).toHaveURL(/\/sign-in/);
});
