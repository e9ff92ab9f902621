// What a first visit to Health downloads: the bytes on the wire (after compression) of every
// response, from Chromium's network log, with and without ECharts. Not a test: a measurement
// against a running server.
//
//   SUCCESS_URL=http://127.0.0.1:3000 node end2end/bench/first-load.cjs
const { chromium } = require('@playwright/test');

(async () => {
  const base = process.env.SUCCESS_URL || 'http://127.0.0.1:3000';
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const sizes = [];
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => sizes.push([urls.get(e.requestId) || '?', e.encodedDataLength]));
  await page.goto(`${base}/demo/enter?next=/health`);
  await page.waitForLoadState('networkidle');
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  let total = 0;
  let charts = 0;
  for (const [url, bytes] of sizes.sort((a, b) => b[1] - a[1])) {
    total += bytes;
    if (url.includes('echarts')) charts += bytes;
    console.log(`${kib(bytes).padStart(12)}  ${url.replace(base, '')}`);
  }
  console.log(`total ${kib(total)}; without ECharts ${kib(total - charts)}`);

  // A later visit in the same browser: the hashed files come from its cache, unasked.
  const again = await context.newPage();
  const cdp2 = await context.newCDPSession(again);
  await cdp2.send('Network.enable');
  let later = 0;
  let fetched = 0;
  let cached = 0;
  cdp2.on('Network.loadingFinished', (e) => {
    later += e.encodedDataLength;
    if (e.encodedDataLength > 0) fetched++;
  });
  cdp2.on('Network.requestServedFromCache', () => cached++);
  await again.goto(`${base}/health`);
  await again.waitForLoadState('networkidle');
  console.log(`a later visit: ${kib(later)} over the network in ${fetched} responses; ${cached} from the cache`);
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
