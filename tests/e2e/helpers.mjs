// Shared by every browser test file (e2e, org, members, bundle): one Chromium per
// file, pages that record console errors and CSP violations, and the sign-up flow.
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const BASE = process.env.AGENTRY_URL;
if (!BASE) throw new Error('AGENTRY_URL is not set; run tests/e2e/run.sh');

export const PASSWORD = 'correct horse battery staple';
export const TIMEOUT = 15_000;
export const PHONE = { width: 390, height: 844 };

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
});

/** A bare browser context (no recording), for tests that watch the network themselves. */
export function newContext(options) {
  return browser.newContext(options);
}

export function uniqueEmail(tag) {
  return `e2e-${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/**
 * A fresh context and page that records console errors, uncaught page errors and CSP
 * violations. `allow` lists console messages a test expects (regular expressions).
 */
export async function openPage(options = {}, allow = []) {
  const context = await browser.newContext({ baseURL: BASE, ...options });
  context.setDefaultTimeout(TIMEOUT);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allow.some((re) => re.test(msg.text()))) {
      problems.push(`console error on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  return { context, page, problems };
}

export async function waitForHydration(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
}

/** Signs up through the form and lands on the agents page, hydrated. */
export async function signUp(page, email, organization = 'E2E Org') {
  await page.goto('/signup');
  await waitForHydration(page);
  await page.fill('#signup-email', email);
  await page.fill('#signup-password', PASSWORD);
  await page.fill('#signup-organization', organization);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.pathname === '/agents');
  await waitForHydration(page);
}

export async function visit(page, path) {
  await page.goto(path);
  await waitForHydration(page);
}

