import { expect, test, Page } from '@playwright/test';
import { hydrated } from './support';

// Every page of the sample workspace, at a desktop and a phone size: nothing scrolls sideways and
// no two things a person can click or type into cover each other.

const PAGES = ['/health', '/convert', '/contracts', '/pipeline', '/re-engage', '/close-the-loop', '/settings'];
const SIZES = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
];

// What is wrong with the page's layout, in words; empty when nothing is.
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) {
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 1)
        .filter((e) => ![...document.querySelectorAll('body *')].some((p) => p !== e && p.contains(e) && p.getBoundingClientRect().right > doc.clientWidth + 1))
        .slice(0, 3)
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
      problems.push(`the page scrolls sideways (${doc.scrollWidth}px in ${doc.clientWidth}px): ${wide.join(', ')}`);
    }
    // The part of an element its scrolling or clipping ancestors let show.
    const visible = (e: Element) => {
      let r = e.getBoundingClientRect();
      let box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      for (let p = e.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
          const c = p.getBoundingClientRect();
          box = {
            left: Math.max(box.left, c.left),
            top: Math.max(box.top, c.top),
            right: Math.min(box.right, c.right),
            bottom: Math.min(box.bottom, c.bottom),
          };
        }
      }
      return box;
    };
    const name = (e: Element) =>
      `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') || e.textContent || (e as HTMLInputElement).name || '').trim().slice(0, 30)}"`;
    const controls = [
      ...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=tab]'),
    ]
      .filter((e) => getComputedStyle(e).visibility !== 'hidden')
      .map((e) => ({ e, b: visible(e) }))
      .filter(({ b }) => b.right - b.left > 1 && b.bottom - b.top > 1);
    for (let i = 0; i < controls.length; i++) {
      for (let j = i + 1; j < controls.length; j++) {
        const a = controls[i];
        const b = controls[j];
        if (a.e.contains(b.e) || b.e.contains(a.e)) continue;
        const w = Math.min(a.b.right, b.b.right) - Math.max(a.b.left, b.b.left);
        const h = Math.min(a.b.bottom, b.b.bottom) - Math.max(a.b.top, b.b.top);
        if (w > 2 && h > 2) problems.push(`${name(a.e)} and ${name(b.e)} overlap by ${Math.round(w)}×${Math.round(h)}px`);
      }
    }
    return problems.slice(0, 10);
  });
}

for (const size of SIZES) {
  test(`at ${size.width}×${size.height} no page scrolls sideways and no controls overlap`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(size);
    await page.goto('/demo/enter?next=/health');
    await hydrated(page);
    const account = await page.locator('a[href^="/accounts/"]').first().getAttribute('href');
    for (const path of [...PAGES, account!]) {
      await page.goto(path);
      await hydrated(page);
      await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
      expect(await layoutProblems(page), `${path} at ${size.width}px`).toEqual([]);
    }
  });
}
