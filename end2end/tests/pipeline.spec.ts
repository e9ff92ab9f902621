import { test, expect, Page, Browser } from '@playwright/test';
import { hydrated, signIn, watchConsole } from './support';

// The Pipeline board: drag and drop between browsers, live; the keyboard and Move to… menu; a
// stale move snapping back; the table view's filters in the URL. Runs after access.spec.ts, which
// creates owner@acme.test with the sample data.

async function drag(page: Page, dealId: string, toStage: string) {
  const card = page.locator(`[data-deal-id="${dealId}"]`);
  const from = (await card.boundingBox())!;
  const to = (await page.locator(`[data-stage="${toStage}"] .board-cards`).boundingBox())!;
  await page.mouse.move(from.x + from.width - 12, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width - 24, from.y + from.height / 2 + 14, { steps: 4 });
  await page.mouse.move(to.x + to.width / 2, to.y + 6, { steps: 16 });
  await page.mouse.up();
}

// One sign-in for the file (sign-ins are rate limited per minute); each test opens browser
// contexts of its own with that session.
let session: Awaited<ReturnType<import('@playwright/test').BrowserContext['storageState']>>;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000); // room for the sign-in limit's minute
  const page = await signIn(browser, 'owner@acme.test');
  session = await page.context().storageState();
  await page.context().close();
});

async function signedIn(browser: Browser): Promise<Page> {
  return (await browser.newContext({ storageState: session })).newPage();
}

async function movableIn(page: Page, stage: string): Promise<string> {
  const card = page.locator(`[data-stage="${stage}"] [data-deal-id][data-movable="true"]`).first();
  await expect(card).toBeVisible();
  return (await card.getAttribute('data-deal-id'))!;
}

test('a card dragged in one browser moves at once there and, live, in another', async ({ browser }) => {
  const a = await signedIn(browser);
  const b = await signedIn(browser);
  const problems = watchConsole(a);
  for (const p of [a, b]) {
    await p.goto('/pipeline');
    await hydrated(p);
    await expect(p.getByTestId('live-indicator')).toHaveAttribute('data-state', 'live');
  }
  const id = await movableIn(a, 'discovery');
  const count = (p: Page, stage: string) => p.locator(`[data-stage="${stage}"] [data-testid="column-count"]`);
  const before = Number(await count(a, 'proposal').innerText());

  await drag(a, id, 'proposal');
  await expect(a.locator(`[data-stage="proposal"] [data-deal-id="${id}"]`)).toBeVisible();
  await expect(count(a, 'proposal')).toHaveText(String(before + 1));
  // The other browser sees it without a reload.
  await expect(b.locator(`[data-stage="proposal"] [data-deal-id="${id}"]`)).toBeVisible({ timeout: 5_000 });
  await expect(count(b, 'proposal')).toHaveText(String(before + 1));
  await expect(b.locator(`[data-stage="discovery"] [data-deal-id="${id}"]`)).toHaveCount(0);

  // After a reload it is still there: the server kept the move.
  await a.reload();
  await hydrated(a);
  await expect(a.locator(`[data-stage="proposal"] [data-deal-id="${id}"]`)).toBeVisible();
  expect(problems).toEqual([]);
});

test('the arrow keys and the Move to… menu move a card too', async ({ browser }) => {
  const page = await signedIn(browser);
  await page.goto('/pipeline');
  await hydrated(page);
  const id = await movableIn(page, 'discovery');
  // The card moves at once; each move is awaited until the server has kept it, since the next
  // move carries the version that answer brings.
  const kept = () =>
    page.waitForResponse((r) => r.url().includes('/api/fn/move_deal') && r.request().method() === 'POST');
  await page.locator(`[data-deal-id="${id}"]`).focus();
  let answer = kept();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator(`[data-stage="evaluation"] [data-deal-id="${id}"]`)).toBeVisible();
  expect((await answer).status()).toBe(200);
  answer = kept();
  await page.locator(`[data-deal-id="${id}"]`).getByTestId('move-to').selectOption('awaiting_countersign');
  await expect(page.locator(`[data-stage="awaiting_countersign"] [data-deal-id="${id}"]`)).toBeVisible();
  expect((await answer).status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(page.locator(`[data-stage="awaiting_countersign"] [data-deal-id="${id}"]`)).toBeVisible();
  // Salesbricks deals are locked and say why.
  const locked = page.locator('[data-deal-id][data-movable="false"]').first();
  if ((await locked.count()) > 0) {
    await expect(locked.getByTestId('locked')).toHaveAttribute('title', /change the stage in Salesbricks/);
  }
});

test('a move on a stale board snaps back to the true state with the reason', async ({ browser }) => {
  const a = await signedIn(browser);
  const b = await signedIn(browser);
  watchConsole(b, true);
  // B hears nothing from the server: its board goes stale.
  await b.route('**/api/events**', (route) => route.abort());
  for (const p of [a, b]) {
    await p.goto('/pipeline');
    await hydrated(p);
  }
  await expect(b.getByTestId('live-indicator')).not.toHaveAttribute('data-state', 'live');
  const id = await movableIn(a, 'discovery');
  await a.locator(`[data-deal-id="${id}"]`).getByTestId('move-to').selectOption('proposal');
  await expect(a.locator(`[data-stage="proposal"] [data-deal-id="${id}"]`)).toBeVisible();

  // B still shows it in Discovery and moves it to Evaluation: refused, and B shows the truth.
  await b.locator(`[data-deal-id="${id}"]`).getByTestId('move-to').selectOption('evaluation');
  await expect(b.getByTestId('move-error')).toContainText('Someone else moved this deal first');
  await expect(b.getByTestId('move-error')).toContainText('Proposal');
  await expect(b.locator(`[data-stage="proposal"] [data-deal-id="${id}"]`)).toBeVisible();
  await expect(b.locator(`[data-stage="evaluation"] [data-deal-id="${id}"]`)).toHaveCount(0);
});

test('the table view keeps its view and filters in the URL and changes stages inline', async ({ browser }) => {
  const page = await signedIn(browser);
  const problems = watchConsole(page);
  // Route an account from Health first, so the Routed filter has a deal whatever ran before.
  await page.goto('/health');
  await hydrated(page);
  const first = page.locator('[data-testid="health-queue"] tbody tr').first();
  const name = (await first.locator('.account-link').innerText()).trim();
  const row = page.locator('[data-testid="health-queue"] tbody tr').filter({ hasText: name });
  await row.getByTestId('route-to').selectOption('pipeline');
  await expect(row.getByTestId('routed-link')).toBeVisible();
  await page.goto('/pipeline');
  await hydrated(page);
  await page.getByTestId('view-table').click();
  await expect(page).toHaveURL(/view=table/);
  await page.getByTestId('filter-source').selectOption('routed');
  await expect(page).toHaveURL(/source=routed/);
  await expect(page).toHaveURL(/view=table/);
  const rows = page.getByTestId('pipeline-table').locator('tbody tr');
  await expect(rows.filter({ hasText: `${name} expansion` }).first()).toBeVisible();
  for (const text of await rows.locator('td:nth-child(8)').allInnerTexts()) expect(text.trim()).toBe('Routed');
  await page.getByTestId('view-board').click();
  await expect(page).toHaveURL(/source=routed/);
  await expect(page).not.toHaveURL(/view=table/);
  await expect(page.getByTestId('board')).toBeVisible();
  expect(problems).toEqual([]);
});

test('an admin reorders the stages in Settings and the board follows', async ({ browser }) => {
  const page = await signedIn(browser);
  const problems = watchConsole(page);
  await page.goto('/settings');
  await hydrated(page);
  const order = page.getByTestId('stage-order').locator('li');
  await expect(order.first()).toHaveAttribute('data-stage', 'discovery');
  await order.first().getByRole('button', { name: 'Move down' }).click();
  await expect(order.first()).toHaveAttribute('data-stage', 'evaluation');
  await page.goto('/pipeline');
  await hydrated(page);
  await expect(page.locator('.board-column').first()).toHaveAttribute('data-stage', 'evaluation');
  // Back as it was, for the suites after this one.
  await page.goto('/settings');
  await hydrated(page);
  await order.nth(1).getByRole('button', { name: 'Move up' }).click();
  await expect(order.first()).toHaveAttribute('data-stage', 'discovery');
  expect(problems).toEqual([]);
});
