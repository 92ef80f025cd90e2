// Browser journeys through the Agentry web app, in Debian's Chromium via playwright-core.
// Run through ./run.sh, which starts a server and sets AGENTRY_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, openPage, uniqueEmail, waitForHydration } from './helpers.mjs';

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
    await page.getByRole('link', { name: 'Register your first agent' }).waitFor();
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

    // So do the other signed-in pages.
    for (const p of ['/agents/pending', '/agents/tokens', '/outbox']) {
      await page.goto(p);
      await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === p);
    }

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

// --- Registration (issue 4) -------------------------------------------------

const POW_TIMEOUT = 90_000;

/** Signs up through the form (hydrated) and waits for the page `next` leads to. */
async function signUp(page, email, { next = null, organization = 'E2E Agents' } = {}) {
  await page.goto(next ? `/signup?next=${encodeURIComponent(next)}` : '/signup');
  await waitForHydration(page);
  await page.fill('#signup-email', email);
  await page.fill('#signup-password', PASSWORD);
  await page.fill('#signup-organization', organization);
  await page.getByRole('button', { name: 'Create account' }).click();
  const target = next ? new URL(next, BASE).pathname : '/agents';
  await page.waitForURL((url) => url.pathname === target);
  await waitForHydration(page);
}

/** On /agents/register (hydrated): generates a key in the browser and fills the form. */
async function fillRegistration(page, name, ownerEmail = null) {
  await page.getByRole('button', { name: 'Generate key pair' }).click();
  const publicKey = page.locator('#reg-generated-key');
  await publicKey.waitFor();
  assert.match(await publicKey.inputValue(), /^[A-Za-z0-9+/]{43}=$/);
  await page.fill('#reg-name', name);
  if (ownerEmail) await page.fill('#reg-owner-email', ownerEmail);
}

test('owner registers an agent in the browser, sees its key once, then revokes it', async () => {
  const { context, page, problems } = await openPage();
  const email = uniqueEmail('owner');
  try {
    await signUp(page, email);
    await page.getByText('0 of 3 seats').waitFor();
    await page.getByRole('link', { name: 'Register your first agent' }).click();
    await page.waitForURL((url) => url.pathname === '/agents/register');
    await page.getByRole('heading', { name: 'Register an agent' }).waitFor();

    // A hard challenge shows live progress and can be cancelled.
    await page.goto('/agents/register?difficulty=32');
    await waitForHydration(page);
    await fillRegistration(page, 'e2e-slow-bot');
    await page.getByRole('button', { name: 'Register agent' }).click();
    const pow = page.locator('section.pow');
    await pow.getByText(/H\/s/).waitFor({ timeout: POW_TIMEOUT });
    assert.match(await pow.locator('[aria-live="polite"]').innerText(), /Solving the proof of work/);
    assert.ok((await pow.locator('progress').getAttribute('max')) !== null);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByText('Cancelled. Nothing was registered.').waitFor();

    // The server's normal difficulty is quick: register for real.
    await page.goto('/agents/register');
    await waitForHydration(page);
    await fillRegistration(page, 'e2e-bot');
    await page.fill('#reg-description', 'Registered by the browser test');
    await page.getByRole('button', { name: 'Register agent' }).click();
    await page.getByRole('heading', { name: 'e2e-bot is registered' }).waitFor({ timeout: POW_TIMEOUT });
    const key = page.locator('#agent-api-key');
    assert.match(await key.inputValue(), /^agk_/);
    await page.getByText('This API key is shown only once.').waitFor();
    await page.getByRole('button', { name: 'Copy Agent API key' }).click();
    await page.locator('.secret [role="status"]').filter({ hasText: /\S/ }).waitFor();

    // The private key generated in the browser downloads as JSON.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download private key (JSON)' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^agentry-agent-\d+-e2e-bot\.json$/);

    // The list shows it, holding one seat.
    await page.getByRole('link', { name: 'Go to agents' }).click();
    await page.waitForURL((url) => url.pathname === '/agents');
    const row = page.getByRole('row', { name: /e2e-bot/ });
    await row.getByText('registered').waitFor();
    await page.getByText('1 of 3 seats').waitFor();

    // Revoke, with confirmation: the key dies and the seat comes back.
    await row.getByRole('button', { name: 'Revoke e2e-bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke e2e-bot?' });
    await dialog.waitFor();
    await dialog.getByLabel(/Reason/).fill('end of the test');
    await dialog.getByRole('button', { name: 'Revoke agent' }).click();
    await page.getByText('e2e-bot was revoked').waitFor();
    await page.getByRole('row', { name: /e2e-bot/ }).getByText('revoked').waitFor();
    await page.getByText('0 of 3 seats').waitFor();
    assert.equal(await dialog.count(), 0);

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('signed out, an agent registers with an invite; the owner confirms it from the outbox link', async () => {
  // The second confirmation of the same link is refused with 409, on purpose.
  const owner = await openPage({}, [/status of 409/]);
  const stranger = await openPage();
  const ownerEmail = uniqueEmail('invitee');
  try {
    // The owner has an account, so the invite joins their organization and holds a seat.
    await signUp(owner.page, ownerEmail, { organization: 'Invited Ltd' });

    // Someone without an account registers the agent in the browser, naming the owner.
    const page = stranger.page;
    await page.goto('/agents/register');
    await waitForHydration(page);
    await page.getByText('You are not signed in.').waitFor();
    await fillRegistration(page, 'invited-bot', ownerEmail);
    await page.getByRole('button', { name: 'Register and send invite' }).click();
    await page.getByRole('heading', { name: 'invited-bot is waiting for its owner' }).waitFor({ timeout: POW_TIMEOUT });
    assert.equal(await page.locator('#agent-api-key').count(), 0);

    // The owner sees it pending and resends the invite.
    const op = owner.page;
    await op.goto('/agents/pending');
    await waitForHydration(op);
    const row = op.getByRole('row', { name: /invited-bot/ });
    await row.getByText(ownerEmail).waitFor();
    await row.getByRole('button', { name: 'Resend invite for invited-bot' }).click();
    await op.getByText(/Invite for invited-bot sent again/).waitFor();
    await row.locator('td.num').getByText('1').waitFor();

    // The newest email in the outbox carries the live link.
    await op.goto('/outbox');
    await waitForHydration(op);
    const email = op.locator('article.email').first();
    await email.getByText(ownerEmail).waitFor();
    const link = email.locator('a[href*="/invite/confirm?token="]');
    const href = await link.getAttribute('href');
    assert.ok(href.startsWith(`${BASE}/invite/confirm?token=`), href);

    // Signed out, the link offers to log in and comes back.
    await owner.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
    await op.waitForURL((url) => url.pathname === '/login');
    await op.goto(href);
    await waitForHydration(op);
    await op.getByRole('link', { name: 'Log in to confirm' }).click();
    await op.waitForURL((url) => url.pathname === '/login');
    await waitForHydration(op);
    await op.fill('#login-email', ownerEmail);
    await op.fill('#login-password', PASSWORD);
    await op.getByRole('button', { name: 'Log in' }).click();
    await op.waitForURL((url) => url.pathname === '/invite/confirm' && url.searchParams.has('token'));
    await waitForHydration(op);
    await op.getByRole('button', { name: 'Confirm agent' }).click();
    await op.getByText('is registered to').waitFor();
    assert.match(await op.locator('#agent-api-key').inputValue(), /^agk_/);

    // The link works once.
    await op.goto(href);
    await waitForHydration(op);
    await op.getByRole('button', { name: 'Confirm agent' }).click();
    await op.getByText('This invite was already used or cancelled').waitFor();
    await op.goto('/agents');
    await op.getByRole('row', { name: /invited-bot/ }).getByText('registered').waitFor();
    await op.getByText('1 of 3 seats').waitFor();

    assert.deepEqual(owner.problems, []);
    assert.deepEqual(stranger.problems, []);
  } finally {
    await owner.context.close();
    await stranger.context.close();
  }
});

test('an owner cancels a pending invite with a reason, freeing its seat', async () => {
  const owner = await openPage();
  const stranger = await openPage();
  const ownerEmail = uniqueEmail('canceller');
  try {
    await signUp(owner.page, ownerEmail);
    const page = stranger.page;
    await page.goto('/agents/register');
    await waitForHydration(page);
    await fillRegistration(page, 'unwanted-bot', ownerEmail);
    await page.getByRole('button', { name: 'Register and send invite' }).click();
    await page.getByRole('heading', { name: 'unwanted-bot is waiting for its owner' }).waitFor({ timeout: POW_TIMEOUT });

    const op = owner.page;
    await op.goto('/agents');
    await op.getByText('1 of 3 seats').waitFor();
    await op.getByRole('link', { name: 'Pending invites' }).click();
    await op.waitForURL((url) => url.pathname === '/agents/pending');
    await waitForHydration(op);
    await op.getByRole('row', { name: /unwanted-bot/ }).getByRole('button', { name: 'Cancel invite for unwanted-bot' }).click();
    const dialog = op.getByRole('dialog', { name: 'Cancel the invite for unwanted-bot?' });
    await dialog.getByLabel(/Reason/).fill('not ours');
    await dialog.getByRole('button', { name: 'Cancel invite' }).click();
    await op.getByText('Invite for unwanted-bot cancelled').waitFor();
    await op.getByRole('heading', { name: 'No invites here' }).waitFor();

    // The email filter and the page links keep their state in the URL.
    await op.fill('#pending-email', ownerEmail);
    await op.getByRole('button', { name: 'Apply' }).click();
    await op.waitForURL((url) => url.searchParams.get('email') === ownerEmail);
    await op.getByText('No invites', { exact: true }).waitFor();

    await op.goto('/agents');
    await op.getByText('0 of 3 seats').waitFor();
    assert.deepEqual(owner.problems, []);
    assert.deepEqual(stranger.problems, []);
  } finally {
    await owner.context.close();
    await stranger.context.close();
  }
});

test('sign-up honours next; the delegated tokens page mints a token and a CI snippet', async () => {
  const { context, page, problems } = await openPage();
  try {
    await signUp(page, uniqueEmail('tokens'), { next: '/agents/tokens' });
    await page.getByRole('heading', { name: 'Delegated tokens' }).waitFor();
    // A full load of the page hydrates too.
    await page.reload();
    await waitForHydration(page);
    await page.fill('#token-prefix', 'ci-');
    await page.fill('#token-difficulty', '20');
    await page.selectOption('#token-ttl', '300');
    await page.getByRole('button', { name: 'Mint token' }).click();
    const token = page.locator('#delegated-token');
    await token.waitFor();
    assert.match(await token.inputValue(), /^dlg_/);
    await page.getByText('This token is shown only once.').waitFor();
    const snippet = await page.locator('pre.snippet').innerText();
    assert.match(snippet, /agentry agent register/);
    assert.ok(snippet.includes(`--server ${BASE}`), snippet);
    assert.match(snippet, /--delegated-token "\$AGENTRY_DELEGATED_TOKEN"/);
    assert.match(snippet, /--name ci-/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('an invite link with an unknown token says so; one without a token too', async () => {
  const { context, page, problems } = await openPage({}, [/status of 404/]);
  try {
    await signUp(page, uniqueEmail('badlink'));
    await page.goto('/invite/confirm?token=inv_doesnotexist0000000000000000');
    await waitForHydration(page);
    await page.getByRole('button', { name: 'Confirm agent' }).click();
    await page.getByText("We don't know this invite.").waitFor();
    assert.equal(await page.getByRole('button', { name: 'Confirm agent' }).count(), 0);
    await page.goto('/invite/confirm');
    await page.getByText('This link has no invite token.').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a pasted public key registers too; registering it again is refused with a clear message', async () => {
  // The second registration of the same key answers 409, on purpose.
  const { context, page, problems } = await openPage({}, [/status of 409/]);
  const { generateKeyPairSync } = await import('node:crypto');
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const publicKey = Buffer.from(jwk.x, 'base64url').toString('base64');
  try {
    await signUp(page, uniqueEmail('paste'));
    for (const attempt of [1, 2]) {
      await page.goto('/agents/register');
      await waitForHydration(page);
      await page.getByLabel('Use my own public key').check();
      await page.fill('#reg-public-key', publicKey);
      await page.fill('#reg-name', `pasted-bot-${attempt}`);
      await page.getByRole('button', { name: 'Register agent' }).click();
      if (attempt === 1) {
        await page.getByRole('heading', { name: 'pasted-bot-1 is registered' }).waitFor({ timeout: POW_TIMEOUT });
        assert.match(await page.locator('#agent-api-key').inputValue(), /^agk_/);
        // No private key was generated here, so there is nothing to download.
        assert.equal(await page.getByRole('button', { name: 'Download private key (JSON)' }).count(), 0);
      } else {
        const alert = page.locator('#register-status .alert--error');
        await alert.waitFor({ timeout: POW_TIMEOUT });
        assert.match(await alert.innerText(), /already registered\. Generate a new key pair/);
        // The form keeps what was typed, ready for another try.
        assert.equal(await page.inputValue('#reg-name'), 'pasted-bot-2');
      }
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('with every seat taken, registering says so; "Register another agent" starts afresh', async () => {
  // The fourth registration (the free plan has 3 seats) is refused with 403, on purpose.
  const { context, page, problems } = await openPage({}, [/status of 403/]);
  try {
    await signUp(page, uniqueEmail('seats'));
    await page.goto('/agents/register');
    await waitForHydration(page);
    for (let i = 1; i <= 4; i++) {
      await fillRegistration(page, `seat-bot-${i}`);
      await page.getByRole('button', { name: 'Register agent' }).click();
      if (i <= 3) {
        await page.getByRole('heading', { name: `seat-bot-${i} is registered` }).waitFor({ timeout: POW_TIMEOUT });
        await page.getByRole('button', { name: 'Register another agent' }).click();
        assert.equal(await page.inputValue('#reg-name'), '');
      }
    }
    const alert = page.locator('#register-status .alert--error');
    await alert.waitFor({ timeout: POW_TIMEOUT });
    assert.match(await alert.innerText(), /No free seat/);
    await page.goto('/agents');
    await page.getByText('3 of 3 seats').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a forgotten password is reset from the emailed link, and the old sessions end', async () => {
  const signedIn = await openPage();
  const other = await openPage();
  const email = uniqueEmail('reset');
  const newPassword = 'a brand new passphrase';
  try {
    await signUp(signedIn.page, email);
    await other.page.goto('/login');
    await other.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await other.page.waitForURL((url) => url.pathname === '/forgot-password');
    await other.page.fill('#forgot-email', email);
    await other.page.getByRole('button', { name: 'Send the link' }).click();
    await other.page.getByText('If an account uses that address').waitFor();

    // The link reaches the account's outbox (queued in the background, so look again).
    let href = null;
    for (let i = 0; i < 20 && !href; i++) {
      await signedIn.page.goto('/outbox');
      const link = signedIn.page.locator('a[href*="/reset-password?token=pwr_"]');
      if (await link.count()) href = await link.first().getAttribute('href');
      else await signedIn.page.waitForTimeout(250);
    }
    assert.ok(href, 'a reset link in the outbox');

    await other.page.goto(href);
    await other.page.fill('#reset-password', newPassword);
    await other.page.getByRole('button', { name: 'Set the new password' }).click();
    await other.page.waitForURL((url) => url.pathname === '/login');
    await other.page.getByText('Your password was changed').waitFor();

    // Every session of the account ended; the new password works.
    await signedIn.page.goto('/agents');
    await signedIn.page.waitForURL((url) => url.pathname === '/login');
    await other.page.fill('#login-email', email);
    await other.page.fill('#login-password', newPassword);
    await other.page.getByRole('button', { name: 'Log in' }).click();
    await other.page.waitForURL((url) => url.pathname === '/agents');
    assert.deepEqual([...signedIn.problems, ...other.problems], []);
  } finally {
    await signedIn.context.close();
    await other.context.close();
  }
});
