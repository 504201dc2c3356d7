// The webviews' script loader (extension/webviewScript.ts) in headless Chromium, under the
// same CSP as the Trace panel: a first load that fails is tried again, and the page comes
// alive; a script that never loads ends in one console error, not an endless loop; a loader
// in the head, where the comparison page has it, loads too.

import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { webviewScript } from '../../extension/webviewScript';
import { CHROMIUM } from './codeServer';

const NONCE = '0123456789abcdef0123456789abcdef';
const ORIGIN = 'https://webview.test';
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return console.log(`test/ui/webviewScript skipped: no Chromium at ${CHROMIUM}`);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 60_000);
afterAll(() => browser?.close());

/** A page like the Trace panel's (the loader in the head: the comparison page's); its script request fails `failures` times, then succeeds. */
async function pageWithScript(failures: number, inHead = false): Promise<{ page: Page; requests: () => number; errors: string[]; pageErrors: string[] }> {
  const page = await browser!.newPage();
  let requests = 0;
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const loader = webviewScript(`${ORIGIN}/main.js`, NONCE);
  await page.route(`${ORIGIN}/index.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${NONCE}'">
      ${inHead ? loader : ''}</head><body><p id="state">markup only</p>${inHead ? '' : loader}</body></html>`,
  }));
  await page.route(`${ORIGIN}/main.js`, (route) => {
    requests++;
    if (requests <= failures) return route.abort('failed');
    // Like the comparison page's script (custom element definitions), it may run before the body is parsed.
    return route.fulfill({ contentType: 'text/javascript', body: "document.documentElement.dataset.state = 'alive'; window.addEventListener('DOMContentLoaded', function () { document.getElementById('state').textContent = 'alive'; }); if (document.readyState !== 'loading') document.getElementById('state').textContent = 'alive';" });
  });
  await page.goto(`${ORIGIN}/index.html`);
  return { page, requests: () => requests, errors, pageErrors };
}

describe('the webview script loader', () => {
  it('tries a failed script load again and the page comes alive', async (ctx) => {
    if (!browser) return ctx.skip();
    const { page, requests } = await pageWithScript(2);
    await page.locator('#state', { hasText: 'alive' }).waitFor({ timeout: 10_000 });
    expect(requests()).toBe(3);
  });

  it('loads from the head, where the body does not exist yet', async (ctx) => {
    if (!browser) return ctx.skip();
    const { page, requests, pageErrors } = await pageWithScript(1, true);
    await page.locator('#state', { hasText: 'alive' }).waitFor({ timeout: 10_000 });
    expect(requests()).toBe(2);
    expect(pageErrors).toEqual([]);
  });

  it('gives up after five attempts with one console error naming the script', async (ctx) => {
    if (!browser) return ctx.skip();
    const { page, requests, errors } = await pageWithScript(Number.POSITIVE_INFINITY);
    await expect.poll(() => errors.filter((e) => e.startsWith('The webview script did not load')), { timeout: 10_000 }).toEqual([`The webview script did not load: ${ORIGIN}/main.js`]);
    await page.waitForTimeout(500);
    expect(requests()).toBe(5);
    expect(await page.locator('#state').textContent()).toBe('markup only');
  });
});
