import { defineConfig } from '@playwright/test';

// Runs against the app that `cargo leptos end-to-end` (or .ci/run) has built and started.
export default defineConfig({
  testDir: './tests',
  // Every new browser context compiles the 30 MB debug wasm again (8 s seen on a loaded machine),
  // and the access tests open two or three contexts each.
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: process.env.SUCCESS_URL ?? 'http://127.0.0.1:3000',
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
  projects: [{ name: 'chromium' }],
});
