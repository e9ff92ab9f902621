import { test, expect } from '@playwright/test';
import { PASSWORD, emailedLink, hydrated, signIn, smtpPort, watchConsole } from './support';

// The access story end to end, in order: the first start creates a workspace, a newcomer asks for
// access and an admin in another browser approves it, a viewer cannot change anything, and a
// display link opens the office screen until it is revoked. (Files run alphabetically with one
// worker, so this runs on a fresh server before the demo tests.)
test.describe.configure({ mode: 'serial' });

test('the first start sets up the workspace and its owner', async ({ page }) => {
  const problems = watchConsole(page, true);
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  // The token the server printed at its first start (.ci/test chooses it).
  await page.getByLabel('Setup token').fill(process.env.SETUP_TOKEN ?? '');
  await page.getByLabel('Workspace name').fill('Acme');
  await page.getByLabel('Your name').fill('Olivia Owner');
  await page.getByLabel('Work email').fill('owner@acme.test');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.locator('[data-field="password"]')).toContainText('at least 10 characters');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(/\/health$/);
  await expect(page.getByTestId('nav-user')).toContainText('Olivia Owner');
  await expect(page.locator('[data-testid="health-queue"] tbody tr').first()).toBeVisible();
  expect(problems).toEqual([]);
});

test('a newcomer requests access and sees Health once an admin approves', async ({ browser }) => {
  const admin = await signIn(browser, 'owner@acme.test');
  await admin.goto('/settings/access');
  await hydrated(admin);
  await admin.getByTestId('allowed-domains').fill('acme.test');
  await admin.getByTestId('save-domains').click();
  await expect(admin.getByTestId('domains-saved')).toContainText('acme.test');
  // Sign-ups prove their address by email: the workspace sends through the test SMTP server.
  await admin.goto('/settings#email');
  await hydrated(admin);
  const email = admin.getByTestId('email-form');
  await email.getByTestId('email-host').fill('127.0.0.1');
  await email.getByTestId('email-port').fill(smtpPort ?? '2525');
  await email.getByTestId('email-security').selectOption('none');
  await email.getByTestId('email-from_address').fill('csm@acme.test');
  await email.getByTestId('email-from_name').fill('Acme Customer Success');
  await email.getByTestId('save-email').click();
  await expect(admin.getByTestId('email-saved')).toBeVisible();
  await admin.goto('/settings/access');
  await hydrated(admin);

  const newcomer = await (await browser.newContext()).newPage();
  const problems = watchConsole(newcomer, true);
  await newcomer.goto('/sign-up');
  await hydrated(newcomer);
  await newcomer.getByLabel('Your name').fill('Nina New');
  await newcomer.getByLabel('Work email').fill('nina@acme.test');
  await newcomer.getByLabel('Password').fill(PASSWORD);
  await newcomer.getByRole('button', { name: 'Create account' }).click();
  // No account and no session until the emailed link is opened.
  await expect(newcomer.getByTestId('check-inbox')).toContainText('nina@acme.test');
  const confirm = await emailedLink('nina@acme.test', '/verify-email');
  await newcomer.goto(confirm);
  await hydrated(newcomer);
  await newcomer.getByRole('button', { name: 'Confirm and sign in' }).click();
  await expect(newcomer).toHaveURL(/\/success-unlock$/);
  await hydrated(newcomer);
  await expect(newcomer.getByRole('link', { name: 'Preview with demo data' })).toBeVisible();

  // Bad input: messages next to the fields, nothing recorded.
  await newcomer.getByLabel('Why do you need it?').fill('pls');
  await newcomer.getByRole('button', { name: 'Send request' }).click();
  await expect(newcomer.locator('[data-field="team"]')).toBeVisible();
  await expect(newcomer.locator('[data-field="reason"]')).toContainText('at least 10 characters');
  await expect(newcomer.getByTestId('request-status')).toHaveCount(0);

  await newcomer.getByLabel('Your team').fill('CS EMEA');
  await newcomer.getByLabel('Role you need').selectOption('csm');
  await newcomer.getByLabel('Why do you need it?').fill('I own the EMEA renewals this quarter.');
  await expect(newcomer.locator('[data-field="reason"]')).toHaveCount(0);
  await newcomer.getByRole('button', { name: 'Send request' }).click();
  await expect(newcomer.getByTestId('request-status')).toHaveAttribute('data-status', 'pending');

  // The admin, in another browser, sees the badge and approves.
  await admin.reload();
  await hydrated(admin);
  await expect(admin.getByTestId('access-badge')).toHaveText('1');
  const card = admin.locator('[data-testid="request-card"][data-email="nina@acme.test"]');
  await expect(card).toContainText('I own the EMEA renewals this quarter.');
  await card.getByTestId('approve').click();
  await expect(admin.getByTestId('pending-requests')).toContainText('No one is waiting');
  await expect(admin.getByTestId('audit-log')).toContainText('access granted');

  await newcomer.reload();
  await hydrated(newcomer);
  await expect(newcomer.getByTestId('request-status')).toHaveAttribute('data-status', 'approved');
  await newcomer.getByRole('link', { name: 'Open Success' }).click();
  await expect(newcomer).toHaveURL(/\/health$/);
  await expect(newcomer.locator('[data-testid="health-queue"] tbody tr').first()).toBeVisible();
  await expect(newcomer.getByTestId('nav-user')).toContainText('CSM');
  expect(problems).toEqual([]);
});

test('an invited viewer reads but cannot move deals or manage access', async ({ browser }) => {
  const admin = await signIn(browser, 'owner@acme.test');
  await admin.goto('/settings/access');
  await hydrated(admin);
  await admin.getByLabel('Email to invite').fill('victor@partner.test');
  await admin.getByLabel('Role for the invitation').selectOption('viewer');
  await admin.getByTestId('create-invitation').click();
  const link = await admin.getByTestId('invitation-link').inputValue();
  expect(link).toMatch(/\/sign-up\?invite=[0-9a-f]{64}$/);

  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(link);
  await hydrated(viewer);
  await expect(viewer.getByTestId('invitation')).toContainText('as Viewer');
  await expect(viewer.getByLabel('Work email')).toHaveValue('victor@partner.test');
  await viewer.getByLabel('Your name').fill('Victor Viewer');
  await viewer.getByLabel('Password').fill(PASSWORD);
  await viewer.getByRole('button', { name: 'Create account' }).click();
  await expect(viewer).toHaveURL(/\/health$/);

  // On the board a viewer's cards do not move: no drag, no Move to… menu.
  await viewer.goto('/pipeline');
  await hydrated(viewer);
  const card = viewer.locator('[data-stage="discovery"] [data-deal-id]').first();
  const cardId = await card.getAttribute('data-deal-id');
  await expect(card).toHaveAttribute('data-movable', 'false');
  await expect(viewer.getByTestId('move-to')).toHaveCount(0);
  const from = (await card.boundingBox())!;
  const to = (await viewer.locator('[data-stage="proposal"]').boundingBox())!;
  await viewer.mouse.move(from.x + from.width - 12, from.y + from.height / 2);
  await viewer.mouse.down();
  await viewer.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 12 });
  await viewer.mouse.up();
  // A move shows on the board at the drop itself (before the server answers), so the card must
  // still be in Discovery now; the server's own refusal is checked below.
  await expect(viewer.locator(`[data-stage="discovery"] [data-deal-id="${cardId}"]`)).toBeVisible();
  await expect(viewer.locator(`[data-stage="proposal"] [data-deal-id="${cardId}"]`)).toHaveCount(0);

  await viewer.goto('/pipeline?view=table');
  await hydrated(viewer);
  const moves = viewer.getByTestId('move-deal');
  await expect(moves.first()).toBeVisible();
  const n = await moves.count();
  for (let i = 0; i < n; i++) await expect(moves.nth(i)).toBeDisabled();
  const dealId = await viewer.locator('[data-deal-id]').first().getAttribute('data-deal-id');
  const status = await viewer.evaluate(async (id) => {
    const res = await fetch('/api/fn/move_deal', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `deal_id=${id}&stage=proposal&version=1`,
    });
    return res.status;
  }, dealId);
  expect(status).toBe(403);

  await viewer.goto('/settings');
  await hydrated(viewer);
  await expect(viewer.getByRole('link', { name: 'Access' })).toHaveCount(0);
  await viewer.goto('/settings/access');
  await expect(viewer.getByRole('alert')).toContainText('Only admins and owners');
});

test('a display link opens the office screen until it is revoked', async ({ browser }) => {
  // The wall opens in a fresh browser context: it compiles the (debug, ~30 MB) wasm from scratch.
  test.setTimeout(90_000);
  const admin = await signIn(browser, 'owner@acme.test');
  await admin.goto('/settings/access');
  await hydrated(admin);
  await admin.getByLabel('Display name').fill('Lobby TV');
  await admin.getByTestId('create-display-link').click();
  const link = await admin.getByTestId('display-link').inputValue();
  expect(link).toMatch(/\/tv\/[0-9a-f]{64}$/);

  const tv = await (await browser.newContext()).newPage();
  await tv.goto(link);
  await expect(tv.getByTestId('tv')).toContainText('Acme');
  await expect(tv.getByTestId('tv')).toContainText('Total ARR');
  // Live once hydrated; compiling a debug build's wasm takes 5–10 s on a busy 2-core machine.
  await expect(tv.getByTestId('live-indicator')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });

  // A rescoring announced over the event stream refreshes the wall within seconds (its own
  // refresh is only every minute).
  const asOf = await tv.getByTestId('tv-board').getAttribute('data-as-of');
  await admin.goto('/health');
  await hydrated(admin);
  await admin.getByTestId('rescore').click();
  await expect(tv.getByTestId('tv-board')).not.toHaveAttribute('data-as-of', asOf!, { timeout: 10_000 });

  // A panel can be pinned: the pipeline by stage.
  await tv.goto(`${link}?panel=3`);
  await expect(tv.getByTestId('tv-pipeline').locator('[data-stage]').first()).toBeVisible();

  await admin.goto('/settings/access');
  await hydrated(admin);
  const row = admin.getByTestId('display-links').locator('tr', { hasText: 'Lobby TV' });
  await expect(row).not.toContainText('last seen never');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(admin.getByTestId('display-links').locator('tr', { hasText: 'Lobby TV' })).toContainText('Revoked');

  await tv.reload();
  await expect(tv.getByTestId('tv-error')).toContainText('revoked or has expired');
});

test('a CSM routes an account to Pipeline, sees it on top there, and untracks another', async ({ browser }) => {
  const owner = await signIn(browser, 'owner@acme.test');
  const problems = watchConsole(owner, true);
  await hydrated(owner);
  const row = owner.locator('[data-testid="health-queue"] tbody tr').first();
  const name = (await row.locator('.account-link').innerText()).trim();
  await row.getByTestId('route-to').selectOption('pipeline');
  await row.getByTestId('routed-link').click();
  await expect(owner).toHaveURL(/\/pipeline$/);
  const routed = owner.getByTestId('routed-panel').getByTestId('routed-row').filter({ hasText: name });
  await expect(routed).toContainText('Routed from Health');
  await expect(routed).toContainText('expansion deal opened');
  await expect(owner.getByTestId('board').locator('[data-stage="discovery"]')).toContainText(`${name} expansion`);
  await routed.getByTestId('dismiss-route').click();
  await expect(owner.getByTestId('routed-panel')).toHaveCount(0);

  await owner.goto('/health');
  await hydrated(owner);
  // The sample data may already hold untracked accounts (it is generated for today's date).
  const toggle = owner.getByRole('link', { name: /^Show untracked/ });
  const shown = (await toggle.count()) ? (await toggle.innerText()).match(/\((\d+)\)/) : null;
  const before = shown ? Number(shown[1]) : 0;
  const second = owner.locator('[data-testid="health-queue"] tbody tr').nth(1);
  const other = (await second.locator('.account-link').innerText()).trim();
  await second.locator('.account-link').click();
  await expect(owner.getByTestId('account-name')).toHaveText(other);
  await hydrated(owner);
  await owner.getByTestId('track-toggle').click();
  await expect(owner.getByTestId('track-toggle')).toHaveText('Track again');
  await owner.goto('/health');
  await hydrated(owner);
  await expect(owner.locator('[data-testid="health-queue"]')).not.toContainText(other);
  await owner.getByRole('link', { name: `Show untracked (${before + 1})` }).click();
  await expect(owner.locator('[data-testid="health-queue"]')).toContainText(other);
  expect(problems).toEqual([]);
});
