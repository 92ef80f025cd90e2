// Browser journeys through the organization and account pages and the phone header, in
// Debian's Chromium via playwright-core. Run through ./run.sh, which starts a server and
// sets AGENTRY_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, PHONE, openPage, signUp, uniqueEmail, visit, waitForHydration } from './helpers.mjs';

test('an owner sees the plan and seat bar, renames the organization, previews and changes the plan', async () => {
  // The custom plan without a seat limit is refused (400) on purpose.
  const { context, page, problems } = await openPage({}, [/status of 400/]);
  try {
    await signUp(page, uniqueEmail('plan'), 'Plan Robotics');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization' }).click();
    await page.waitForURL((url) => url.pathname === '/organization');
    await page.getByRole('heading', { level: 1, name: 'Plan Robotics' }).waitFor();
    await waitForHydration(page);

    const meter = page.locator('meter#seat-meter');
    assert.equal(await meter.getAttribute('max'), '3');
    assert.equal(await meter.getAttribute('value'), '0');
    await page.getByText('0 of 3 seats used').waitFor();
    assert.equal(await page.locator('.plan-name').innerText(), 'free');

    // Members: the owner alone, marked as you.
    const members = page.getByRole('region', { name: 'Members' });
    await members.getByText('you', { exact: true }).waitFor();
    assert.equal(await members.locator('li.row').count(), 1);

    // Rename in place; the header's switcher follows.
    await page.fill('#org-name', 'Renamed Robotics');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Renamed to “Renamed Robotics”.').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Renamed Robotics' }).waitFor();
    const switcher = page.getByRole('navigation', { name: 'Main' }).getByRole('combobox', { name: 'Organization' });
    await page.waitForFunction(() => document.querySelector('#org-switcher')?.innerText.includes('Renamed Robotics'));
    assert.match(await switcher.innerText(), /Renamed Robotics \(owner\)/);

    // A custom plan needs a seat limit: the services say so.
    await page.selectOption('#plan-choice', 'enterprise');
    await page.getByRole('button', { name: 'Preview the change' }).click();
    await page.getByText('The enterprise plan needs a seatLimit.').waitFor();

    // Preview first: nothing changes yet, and focus lands on the preview.
    await page.selectOption('#plan-choice', 'team');
    await page.getByRole('button', { name: 'Preview the change' }).click();
    const preview = page.getByRole('region', { name: 'What the change does' });
    await preview.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'plan-preview-title');
    await preview.getByText('free → team').waitFor();
    await preview.getByText('3 → 25').waitFor();
    assert.equal(await page.locator('.plan-name').innerText(), 'free');

    // Confirm.
    await preview.getByRole('button', { name: 'Change to team' }).click();
    await page.getByText('The plan is now team, with 25 seats.').waitFor();
    assert.equal(await page.locator('.plan-name').innerText(), 'team');
    assert.equal(await meter.getAttribute('max'), '25');
    await page.getByText('0 of 25 seats used').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'plan-title');

    // It stuck.
    await visit(page, '/organization');
    assert.equal(await page.locator('.plan-name').innerText(), 'team');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the owner signs out another session from the account page; that browser is signed out', async () => {
  const email = uniqueEmail('sessions');
  const { context, page, problems } = await openPage();
  const other = await openPage({ userAgent: 'E2E Other Browser/1.0' });
  try {
    await signUp(page, email);
    // A second browser signs in as the same user.
    await other.page.goto('/login');
    await waitForHydration(other.page);
    await other.page.fill('#login-email', email);
    await other.page.fill('#login-password', PASSWORD);
    await other.page.getByRole('button', { name: 'Log in' }).click();
    await other.page.waitForURL((url) => url.pathname === '/agents');

    await page.getByRole('link', { name: `Account: ${email}` }).click();
    await page.waitForURL((url) => url.pathname === '/account');
    await waitForHydration(page);
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByText('this session').waitFor();
    const rows = sessions.locator('li.row');
    assert.equal(await rows.count(), 2);
    const theirs = rows.filter({ hasText: 'E2E Other Browser/1.0' });
    await theirs.getByText('IP address').waitFor();
    await theirs.getByRole('button', { name: /^Sign out/ }).click();
    await sessions.getByText('That session was signed out.').waitFor();
    await theirs.waitFor({ state: 'detached' });
    assert.equal(await sessions.locator('li.row').count(), 1);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'sessions-title');

    // The other browser's next page load is signed out.
    await other.page.goto('/agents');
    await other.page.waitForURL((url) => url.pathname === '/login');

    // Still signed in here.
    await visit(page, '/account');
    await page.getByText('this session').waitFor();
    assert.deepEqual(problems, []);
    assert.deepEqual(other.problems, []);
  } finally {
    await context.close();
    await other.context.close();
  }
});

test('the account page creates an API key, shows it once, lists it and revokes it', async () => {
  const { context, page, problems } = await openPage();
  try {
    await signUp(page, uniqueEmail('keys'));
    await visit(page, '/account');
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys.getByText('You have no API keys.').waitFor();
    await page.fill('#key-name', 'deploy script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.locator('#created-api-key');
    await secret.waitFor();
    const key = await secret.inputValue();
    assert.match(key, /^uak_/);
    await page.getByText('This key is shown only once.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'created-key-title');
    const row = keys.locator('li.row', { hasText: 'deploy script' });
    await row.waitFor();
    await row.getByText('never').waitFor();

    // The key works, and its use shows in the list.
    const me = await fetch(`${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(me.status, 200);
    await visit(page, '/account');
    assert.equal(await page.locator('#created-api-key').count(), 0, 'the secret is shown once');
    await keys.locator('li.row', { hasText: 'deploy script' }).getByText('Last used').waitFor();
    assert.equal(await keys.locator('li.row', { hasText: 'deploy script' }).getByText('never').count(), 0);

    // Revoke it through the confirmation dialog.
    await keys.getByRole('button', { name: 'Revoke key deploy script' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the key “deploy script”?' });
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('Key “deploy script” was revoked').waitFor();
    await keys.locator('li.row', { hasText: 'deploy script' }).getByText('revoked', { exact: true }).waitFor();
    assert.equal(await keys.getByRole('button', { name: 'Revoke key deploy script' }).count(), 0);
    const after = await fetch(`${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(after.status, 401);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const colorScheme of ['light', 'dark']) {
  test(`at 390 px (${colorScheme}) the header is one compact row and no page scrolls sideways`, async () => {
    const { context, page, problems } = await openPage({ viewport: PHONE, colorScheme });
    try {
      await signUp(page, uniqueEmail(`phone-${colorScheme}`), 'A rather long organization name for a phone');
      for (const path of ['/agents', '/organization', '/account', '/agents/pending', '/agents/tokens', '/outbox']) {
        await visit(page, path);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= PHONE.width, `${path} is ${width} px wide`);
        const header = await page.locator('.site-header').boundingBox();
        assert.ok(header.height <= 64, `${path}: the header is ${header.height} px tall`);
        assert.equal(await page.getByRole('link', { name: 'Organization' }).isVisible(), false);
      }
      // The menu opens, is keyboard-closable, and a link in it navigates and closes it.
      const menu = page.getByRole('button', { name: 'Menu' });
      await menu.click();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Organization' }).waitFor();
      await page.keyboard.press('Escape');
      await nav.getByRole('link', { name: 'Organization' }).waitFor({ state: 'hidden' });
      await menu.click();
      await nav.getByRole('link', { name: 'Organization' }).click();
      await page.waitForURL((url) => url.pathname === '/organization');
      await nav.getByRole('link', { name: 'Organization' }).waitFor({ state: 'hidden' });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= PHONE.width);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test('the organization and account pages load without console errors or CSP violations, also before hydration', async () => {
  const { context, page, problems } = await openPage();
  const plain = await openPage({ javaScriptEnabled: false });
  try {
    const email = uniqueEmail('clean');
    await signUp(page, email);
    for (const path of ['/organization', '/account']) {
      await visit(page, path);
      await page.locator('h1').waitFor();
    }
    // Without JavaScript the pages render on the server, and sign-out of other sessions
    // is a plain form.
    await plain.page.goto('/login');
    await plain.page.fill('#login-email', email);
    await plain.page.fill('#login-password', PASSWORD);
    await plain.page.getByRole('button', { name: 'Log in' }).click();
    await plain.page.waitForURL((url) => url.pathname === '/agents');
    await plain.page.goto('/organization');
    await plain.page.getByText('0 of 3 seats used').waitFor();
    await plain.page.goto('/account');
    await plain.page.getByRole('button', { name: 'Sign out all other sessions' }).click();
    await plain.page.waitForURL((url) => url.pathname === '/account');
    await visit(page, '/account');
    await page.waitForURL((url) => url.pathname === '/login');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await plain.context.close();
  }
});
