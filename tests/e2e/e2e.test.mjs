// Browser journeys through the Agentry web app, in Debian's Chromium via playwright-core.
// Run through ./run.sh, which starts a server and sets AGENTRY_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.AGENTRY_URL;
if (!BASE) throw new Error('AGENTRY_URL is not set; run tests/e2e/run.sh');

const PASSWORD = 'correct horse battery staple';
const TIMEOUT = 15_000;

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A unique email per test run and purpose. */
function uniqueEmail(tag) {
  return `e2e-${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/**
 * A fresh context and page that records every console error and uncaught page error.
 * `allow` lists console messages that a test expects (matched as regular expressions).
 */
async function openPage(options = {}, allow = []) {
  const context = await browser.newContext({ baseURL: BASE, ...options });
  context.setDefaultTimeout(TIMEOUT);
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

async function waitForHydration(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached' });
}

function path(page) {
  return new URL(page.url()).pathname;
}

test('sign up, see the empty agents page, sign out, sign in again (hydrated)', async () => {
  const { context, page, problems } = await openPage();
  const email = uniqueEmail('journey');
  try {
    await page.goto('/signup');
    await waitForHydration(page);

    await page.fill('#signup-email', email);
    const password = page.locator('#signup-password');
    await password.fill(PASSWORD);

    // The show/hide toggle is client-side only: it proves the app hydrated.
    assert.equal(await password.getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Show password' }).click();
    assert.equal(await password.getAttribute('type'), 'text');
    const hide = page.getByRole('button', { name: 'Hide password' });
    assert.equal(await hide.getAttribute('aria-pressed'), 'true');
    await hide.click();
    assert.equal(await password.getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Show password' }).waitFor();

    await page.fill('#signup-organization', 'E2E Robotics');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL((url) => url.pathname === '/agents');
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor();
    const register = page.getByRole('button', { name: 'Register an agent (coming soon)' });
    assert.equal(await register.isDisabled(), true);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByText(email).waitFor();
    await nav.getByRole('combobox', { name: 'Organization' }).waitFor();
    assert.match(await nav.getByRole('combobox').innerText(), /E2E Robotics/);

    // Sign out: back to the log-in page, and /agents is no longer reachable.
    await nav.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await nav.getByRole('link', { name: 'Log in' }).waitFor();

    await page.goto('/agents');
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/agents');
    await waitForHydration(page);

    // Sign in again; `next` brings us back to the agents page.
    await page.fill('#login-email', email);
    await page.fill('#login-password', PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/agents');
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor();
    await nav.getByText(email).waitFor();

    // `/` sends a signed-in user to the agents page.
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/agents');
    await waitForHydration(page);

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a wrong password shows the services error in the live region (hydrated)', async () => {
  // The browser reports the 401 response of the failed log-in as a console error; that one
  // is expected, anything else fails the test.
  const { context, page, problems } = await openPage({}, [/status of 401/]);
  try {
    await page.goto('/login');
    await waitForHydration(page);
    await page.fill('#login-email', uniqueEmail('nobody'));
    await page.fill('#login-password', 'not the password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    const status = page.locator('.form-status');
    await status.getByText("That email and password don't match an account.").waitFor();
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    assert.equal(path(page), '/login');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('forms work without JavaScript: sign up, duplicate sign-up error, log in, sign out', async () => {
  const { context, page, problems } = await openPage({ javaScriptEnabled: false });
  const email = uniqueEmail('nojs');
  try {
    await page.goto('/signup');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', PASSWORD);
    await page.fill('#signup-organization', 'No Script Ltd');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/agents');
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByText(email).waitFor();
    assert.equal(await page.locator('body').getAttribute('data-hydrated'), null);

    // Signing up twice with the same email is refused with a clear message.
    await context.clearCookies();
    await page.goto('/signup');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', PASSWORD);
    await page.fill('#signup-organization', 'No Script Ltd');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/signup' && url.searchParams.has('__err'));
    await page.getByText('That email is already registered').waitFor();

    // Signing out without JavaScript: log in first, then post the sign-out form.
    await page.goto('/login');
    await page.fill('#login-email', email);
    await page.fill('#login-password', PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/agents');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' }).waitFor();

    // Signed out, the agents page redirects (a real 302 from the server) to log in.
    await page.goto('/agents');
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/agents');

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('unknown paths answer 404 with a helpful page', async () => {
  // Chromium logs the 404 status of the document itself; that is the point of this test.
  const { context, page, problems } = await openPage({}, [/status of 404/]);
  try {
    const res = await page.goto('/no-such-page');
    assert.equal(res.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await waitForHydration(page);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
