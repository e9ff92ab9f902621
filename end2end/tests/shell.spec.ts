import { test, expect } from '@playwright/test';
import { hydrated, watchConsole } from './support';

// These tests look at the read-only Pied Piper preview, which anyone may open.
test.beforeEach(async ({ page }) => {
  await page.goto('/demo/enter?next=/health');
});

test('Health shows the Pied Piper demo accounts with real figures', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health');
  await hydrated(page);
  await expect(page.getByTestId('demo-banner')).toBeVisible();
  const rows = page.locator('[data-testid="health-queue"] tbody tr');
  await expect(rows).toHaveCount(25);
  await expect(page.getByTestId('health-summary')).toContainText('Total ARR');
  await expect(page.getByTestId('health-summary')).toContainText('$');
  // The ARR-by-renewal chart is drawn by ECharts after hydration.
  await expect(page.locator('#renewal-chart canvas')).toHaveCount(1);
  await expect(page.getByTestId('pager')).toContainText('1–25 of');
  expect(problems).toEqual([]);
});

test('the wasm, script and styles have content-hashed names and are kept for good', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage(); // a first visit: nothing cached yet
  const assets: { path: string; cache: string }[] = [];
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    if (path.startsWith('/pkg/')) assets.push({ path, cache: res.headers()['cache-control'] ?? '' });
  });
  await page.goto('/demo/enter?next=/health');
  await hydrated(page);
  const paths = assets.map((a) => a.path);
  // The shell's script, wasm and styles, and the Health page's own wasm chunk with its loader.
  for (const main of [/^\/pkg\/success\.[\w-]{22}\.js$/, /^\/pkg\/success\.[\w-]{22}\.wasm$/, /^\/pkg\/success\.[\w-]{22}\.css$/]) {
    expect(paths.filter((p) => main.test(p)), String(main)).toHaveLength(1);
  }
  expect(paths.length).toBeGreaterThan(3);
  for (const a of assets) {
    expect(a.path).toMatch(/\.[\w-]{22}\.(js|wasm|css|json)$/);
    expect(a.cache, a.path).toBe('public, max-age=31536000, immutable');
  }
});

test('every navigation link opens its page', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health');
  await hydrated(page);
  const pages: [string, string, string][] = [
    ['Convert', '/convert', 'convert-queue'],
    ['Contracts', '/contracts', 'contracts-table'],
    ['Pipeline', '/pipeline', 'board'],
    ['Re-engage', '/re-engage', 'reengage-queue'],
    ['Close the Loop', '/close-the-loop', 'request-cards'],
    ['Settings', '/settings', 'integrations'],
    ['Health', '/health', 'health-queue'],
  ];
  for (const [label, path, testId] of pages) {
    await page.locator('.side-nav').getByRole('link', { name: label, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(label === 'Settings' ? 'Settings' : label);
    await expect(page.getByTestId(testId)).toBeVisible();
    await expect(page.getByTestId(testId).locator('tbody tr, article').first()).toBeVisible();
  }
  expect(problems).toEqual([]);
});

test('a customer detail opens from the queue and shows its story', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health?q=hooli');
  await hydrated(page);
  await page.getByRole('link', { name: 'Hooli', exact: true }).click();
  await expect(page).toHaveURL(/\/accounts\/\d+$/);
  await expect(page.getByTestId('account-name')).toHaveText('Hooli');
  await expect(page.getByText('Payment failed').first()).toBeVisible();
  await expect(page.getByTestId('usage-bars').locator('.usage-col')).toHaveCount(26);
  // The activity feed: newest first, calls with their quotes, invoices and payments.
  const feed = page.getByTestId('activity-feed');
  await expect(feed.locator('.activity-item').first()).toBeVisible();
  await expect(feed.locator('blockquote').first()).toBeVisible();
  await expect(feed).toContainText('Invoice');
  const whens = await feed.locator('.activity-when').allInnerTexts();
  const days = whens.map((w) => Date.parse(w.split(',')[0]));
  for (let i = 1; i < days.length; i++) expect(days[i]).toBeLessThanOrEqual(days[i - 1]);
  await expect(page.getByTestId('last-activity')).not.toHaveText('—');
  await expect(page.getByTestId('enrichment')).toContainText('Segment');
  await expect(page.getByTestId('enrichment')).toContainText('Enterprise');
  expect(problems).toEqual([]);
});

test('search, filters and paging live in the URL', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health');
  await hydrated(page);
  await page.getByPlaceholder('Search accounts by name or domain').fill('raviga');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=raviga/);
  await expect(page.locator('[data-testid="health-queue"] tbody tr')).toHaveCount(1);
  await expect(page.locator('[data-testid="health-queue"]')).toContainText('Raviga Capital');

  await page.goto('/health?payment=problem');
  await hydrated(page);
  const chips = page.locator('[data-testid="health-queue"] tbody tr .thaw-badge', { hasText: /Payment failed|Past due/ });
  const rowCount = await page.locator('[data-testid="health-queue"] tbody tr').count();
  expect(rowCount).toBeGreaterThan(0);
  await expect(chips).toHaveCount(rowCount);

  await page.goto('/contracts');
  await hydrated(page);
  await page.getByRole('link', { name: 'Next ›' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId('pager')).toContainText('26–');
  expect(problems).toEqual([]);
});

test('unknown addresses get a 404 page, unknown accounts a clear message', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.goto('/accounts/999999999');
  await expect(page.getByRole('alert')).toContainText('Account was not found');
});

test('Health explains every score and filters by band and by the distribution chart', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health');
  await hydrated(page);
  const rows = page.locator('[data-testid="health-queue"] tbody tr');
  // The riskiest first, each with its score and its top risks.
  await expect(rows.first().locator('.score-chip')).toHaveAttribute('data-band', 'red');
  await expect(rows.first().getByTestId('factor').first()).toContainText('(');
  // Each row says where its risks come from, not only the customer page.
  await expect(rows.first().getByTestId('factor').first().locator('.factor-source')).toBeVisible();
  await expect(page.getByTestId('band-counts')).toBeVisible();
  await expect(page.getByTestId('health-summary')).toContainText('ARR at risk');

  await page.getByRole('link', { name: 'Healthy', exact: true }).click();
  await expect(page).toHaveURL(/band=green/);
  await expect(rows.first()).toBeVisible();
  const bands = await rows.locator('.score-chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-band')));
  expect(new Set(bands)).toEqual(new Set(['green']));

  // Clicking a bar of the ARR distribution filters the queue to that score bucket.
  await page.goto('/health');
  await hydrated(page);
  const chart = page.locator('#score-chart');
  await expect(chart.locator('canvas')).toHaveCount(1);
  const box = (await chart.boundingBox())!;
  const barWidth = (box.width - 80) / 10;
  await chart.click({ position: { x: 64 + barWidth * 2.5, y: box.height / 2 } });
  await expect(page).toHaveURL(/bucket=20/);
  await expect(page.getByTestId('bucket-filter')).toContainText('Score 20–29');
  expect(problems).toEqual([]);
});

test('a customer page shows the score, its trend and every factor with evidence', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/health?q=hooli');
  await hydrated(page);
  await page.getByRole('link', { name: 'Hooli', exact: true }).click();
  const panel = page.getByTestId('health-panel');
  await expect(panel.locator('.score-chip')).toHaveAttribute('data-band', 'red');
  await expect(panel.getByTestId('factor-list').getByTestId('factor').filter({ hasText: 'Payment problems' })).toContainText('(Stripe)');
  await expect(panel.getByTestId('factor-list')).toContainText('failed charge');
  const points = Number(await panel.getByTestId('score-trend').getAttribute('data-points'));
  expect(points).toBeGreaterThan(5);
  expect(problems).toEqual([]);
});

test('the demo preview can try scorecard changes but not save them', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/settings/scoring');
  await hydrated(page);
  await expect(page.getByTestId('scorecard-readonly')).toBeVisible();
  await expect(page.getByTestId('save-scorecard')).toHaveCount(0);
  await page.getByTestId('green-from').fill('95');
  await expect(page.getByTestId('moved-count')).not.toHaveText('0 accounts would change band');
  expect(problems).toEqual([]);
});
