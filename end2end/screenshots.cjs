// The README's screenshots: every page of the Pied Piper demo at 1440×900, saved to
// public/screenshots/. Not a test: run it against a running server after a build.
//
//   SUCCESS_URL=http://127.0.0.1:3000 node end2end/screenshots.cjs
const { chromium } = require('@playwright/test');
const path = require('path');

const pages = [
  ['health', '/health'],
  ['customer', null], // the riskiest account on Health
  ['convert', '/convert'],
  ['contracts', '/contracts'],
  ['pipeline', '/pipeline'],
  ['reengage', '/re-engage'],
  ['close-the-loop', '/close-the-loop'],
  ['settings', '/settings'],
];

(async () => {
  const base = process.env.SUCCESS_URL || 'http://127.0.0.1:3000';
  const out = path.join(__dirname, '..', 'public', 'screenshots');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${base}/demo/enter?next=/health`);
  for (const [name, route] of pages) {
    let url = route;
    if (!url) {
      await page.goto(`${base}/health`);
      url = await page.locator('a[href^="/accounts/"]').first().getAttribute('href');
    }
    await page.goto(`${base}${url}`);
    await page.waitForLoadState('networkidle');
    // Charts finish their entry animation.
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(out, `${name}.png`) });
    console.log(`${name}.png  ${url}`);
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
