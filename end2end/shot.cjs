const { chromium } = require('playwright');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const base = 'http://127.0.0.1:3555';
  await page.goto(base + '/sign-in');
  await page.getByLabel('Email').fill('owner@acme.test');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/health/);
  for (const [path, file] of process.argv.slice(2).map(a => a.split('='))) {
    await page.goto(base + path);
    await page.waitForTimeout(2500);
    await page.screenshot({ path: file, fullPage: false });
  }
  await browser.close();
})();
