// Kanban move round trip between two browsers: browser A moves a card with its "Move to…" menu,
// and we time until browser B (another context, same workspace) shows it in the new column.
// Not a test: a benchmark against a running server.
//
//   SUCCESS_URL=http://127.0.0.1:3000 SUCCESS_EMAIL=owner@acme.test SUCCESS_PASSWORD='…' \
//     node end2end/bench/kanban-roundtrip.cjs [moves]
const { chromium } = require('@playwright/test');

(async () => {
  const base = process.env.SUCCESS_URL || 'http://127.0.0.1:3000';
  const moves = Number(process.argv[2] || 20);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const first = await browser.newContext();
  const a = await first.newPage();
  await a.goto(`${base}/sign-in`);
  await a.waitForLoadState('networkidle');
  await a.getByLabel('Email').fill(process.env.SUCCESS_EMAIL || 'owner@acme.test');
  await a.getByLabel('Password').fill(process.env.SUCCESS_PASSWORD || 'correct horse battery');
  await a.getByRole('button', { name: 'Sign in' }).click();
  await a.waitForURL(/\/health$/);
  const b = await (await browser.newContext({ storageState: await first.storageState() })).newPage();
  for (const p of [a, b]) {
    await p.goto(`${base}/pipeline`);
    await p.waitForLoadState('networkidle');
    await p.locator('[data-testid="live-indicator"][data-state="live"]').waitFor();
  }
  const card = a.locator('[data-stage="discovery"] [data-deal-id][data-movable="true"]').first();
  const id = await card.getAttribute('data-deal-id');
  const times = [];
  for (let i = 0; i < moves; i++) {
    const to = i % 2 === 0 ? 'evaluation' : 'discovery';
    const started = Date.now();
    await a.locator(`[data-deal-id="${id}"]`).getByTestId('move-to').selectOption(to);
    await b.locator(`[data-stage="${to}"] [data-deal-id="${id}"]`).waitFor({ timeout: 10_000 });
    times.push(Date.now() - started);
    await a.waitForTimeout(300);
  }
  times.sort((x, y) => x - y);
  const at = (p) => times[Math.min(times.length - 1, Math.round((p / 100) * (times.length - 1)))];
  console.log(`${moves} moves, A's menu → B shows the card (ms): p50 ${at(50)}  p95 ${at(95)}  max ${at(100)}`);
  await browser.close();
})();
