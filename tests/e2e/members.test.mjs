// Browser journeys with two people: an owner invites a member by email, the member signs
// up from the emailed link and joins, the owner changes their role and removes them, and
// the audit page shows (and verifies) all of it. Run through ./run.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, PHONE, openPage, signUp, uniqueEmail, visit, waitForHydration } from './helpers.mjs';

/** The newest outbox email to `to`, and the first link in it that contains `part`. */
async function emailedLink(page, to, part) {
  await visit(page, '/outbox');
  const email = page.locator('article.email', { hasText: to }).first();
  await email.waitFor();
  const href = await email.locator(`a[href*="${part}"]`).first().getAttribute('href');
  assert.ok(href.startsWith(`${BASE}${part}`), href);
  return href;
}

async function noSidewaysScroll(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `${what} is ${width} px wide`);
}

test('invite by email, sign up from the link and join; role change, audit log, removal', async () => {
  const owner = await openPage();
  // A bad filter answers the audit page with 400, on purpose.
  const invitee = await openPage({ viewport: PHONE }, [/status of 400/]);
  const ownerEmail = uniqueEmail('owner');
  const newEmail = uniqueEmail('newbie');
  try {
    const op = owner.page;
    await signUp(op, ownerEmail, 'Join Co');
    await visit(op, '/organization');

    // Invite: the form says what happened and the pending list shows the address.
    const invitations = op.getByRole('region', { name: 'Invite a member' });
    await invitations.getByText('No invitations are waiting.').waitFor();
    await op.fill('#invite-email', newEmail.toUpperCase());
    await op.selectOption('#invite-role', 'member');
    await op.getByRole('button', { name: 'Send invitation' }).click();
    await invitations.getByText(`Invited ${newEmail} as member; the link is in their email.`).waitFor();
    await invitations.getByRole('button', { name: `Resend the invitation to ${newEmail}` }).waitFor();

    // Resend: the first link dies, the second works.
    const first = await emailedLink(op, newEmail, '/join?token=');
    await visit(op, '/organization');
    await op.getByRole('button', { name: `Resend the invitation to ${newEmail}` }).click();
    await op.getByText(`A new link went to ${newEmail}.`).waitFor();
    const second = await emailedLink(op, newEmail, '/join?token=');
    assert.notEqual(first, second);

    const ip = invitee.page;
    await visit(ip, first);
    await ip.getByText('This invitation link is not valid').waitFor();

    // Signed out, the link says who invited whom, and sign-up comes back to it.
    await visit(ip, second);
    await ip.getByText(`${ownerEmail} invited ${newEmail} to join Join Co as member.`).waitFor();
    await noSidewaysScroll(ip, 'the join page');
    await ip.getByRole('link', { name: 'Create an account' }).click();
    await ip.waitForURL((url) => url.pathname === '/signup');
    await waitForHydration(ip);
    await ip.fill('#signup-email', newEmail);
    await ip.fill('#signup-password', PASSWORD);
    await ip.fill('#signup-organization', 'Newbie Own');
    await ip.getByRole('button', { name: 'Create account' }).click();
    await ip.waitForURL((url) => url.pathname === '/join');
    await waitForHydration(ip);
    await ip.getByRole('button', { name: 'Join the organization' }).click();
    await ip.waitForURL((url) => url.pathname === '/organization');
    await ip.getByRole('heading', { level: 1, name: 'Join Co' }).waitFor();
    await ip.getByText('Your role here: member').waitFor();
    // Members do not invite, and do not read the audit log.
    assert.equal(await ip.getByRole('region', { name: 'Invite a member' }).count(), 0);
    assert.equal(await ip.getByRole('link', { name: 'Audit log' }).count(), 0);

    // The owner sees the new member, and the invitation is gone from the pending list.
    await visit(op, '/organization');
    const members = op.getByRole('region', { name: 'Members' });
    await members.locator('.row__title', { hasText: newEmail }).waitFor();
    await op.getByText('No invitations are waiting.').waitFor();

    // Role change; the member's very next page shows it.
    const select = op.getByLabel(`Role of ${newEmail}`);
    await select.selectOption('operator');
    await op.getByRole('button', { name: `Change role of ${newEmail}` }).click();
    await op.getByText(`${newEmail} is now operator.`).waitFor();
    await visit(ip, '/organization');
    await ip.getByText('Your role here: operator').waitFor();

    // Operators read the audit log: it shows the join and the role change, filters by
    // action (in the URL), verifies, and fits a phone.
    await ip.getByRole('link', { name: 'Audit log' }).click();
    await ip.waitForURL((url) => url.pathname === '/organization/audit');
    await waitForHydration(ip);
    const entries = ip.getByRole('region', { name: 'Entries' });
    await entries.getByText('member.joined').waitFor();
    await entries.getByText('member.role_changed').waitFor();
    await noSidewaysScroll(ip, 'the audit page');
    await ip.fill('#audit-action', 'member.role_changed');
    await ip.getByRole('button', { name: 'Apply filters' }).click();
    await ip.waitForURL((url) => url.searchParams.get('action') === 'member.role_changed');
    const matching = ip.getByRole('region', { name: 'Matching entries' });
    await matching.getByText('member.role_changed').waitFor();
    assert.equal(await matching.getByText('member.joined').count(), 0);
    const exportHref = await ip.getByRole('link', { name: 'Export (JSON Lines)' }).getAttribute('href');
    assert.match(exportHref, /\/audit\/export\?action=member\.role_changed$/);
    const exported = await ip.evaluate(async (href) => (await fetch(href)).text(), exportHref);
    const lines = exported.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.action), ['member.role_changed']);
    await ip.getByRole('link', { name: 'Verify the chain' }).click();
    await ip.getByText(/The chain is intact: \d+ entries checked/).waitFor();
    await noSidewaysScroll(ip, 'the filtered audit page');

    // A bad time is named at its field, before hydration too.
    await visit(ip, '/organization/audit?since=yesterday');
    await ip.locator('#audit-since-error').getByText('An RFC 3339 time').waitFor();

    // Removal ends the member's sessions in that organization: their next page asks them
    // to log in.
    await visit(op, '/organization');
    await op.getByRole('button', { name: `Remove ${newEmail}` }).click();
    const dialog = op.getByRole('dialog', { name: `Remove ${newEmail}?` });
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await op.getByText(`${newEmail} was removed`).waitFor();
    await ip.goto('/organization');
    await ip.waitForURL((url) => url.pathname === '/login');

    assert.deepEqual(owner.problems, []);
    assert.deepEqual(invitee.problems, []);
  } finally {
    await owner.context.close();
    await invitee.context.close();
  }
});

test('a signed-in user with another address is told to switch accounts; a bad link says so', async () => {
  const owner = await openPage();
  const other = await openPage();
  try {
    const invited = uniqueEmail('invited');
    await signUp(owner.page, uniqueEmail('owner2'), 'Mismatch Co');
    await visit(owner.page, '/organization');
    await owner.page.fill('#invite-email', invited);
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await owner.page.getByText(`Invited ${invited} as member`).waitFor();
    const href = await emailedLink(owner.page, invited, '/join?token=');

    const someoneElse = uniqueEmail('else');
    await signUp(other.page, someoneElse, 'Else Co');
    await visit(other.page, href);
    await other.page.getByText(`You are signed in as ${someoneElse}, but this invitation was sent to ${invited}.`).waitFor();
    assert.equal(await other.page.getByRole('button', { name: 'Join the organization' }).count(), 0);

    // Cancel: the link stops working.
    await visit(owner.page, '/organization');
    await owner.page.getByRole('button', { name: `Cancel the invitation to ${invited}` }).click();
    await owner.page.getByText(`Cancelled the invitation to ${invited}.`).waitFor();
    await visit(other.page, href);
    await other.page.getByText('This invitation link is not valid').waitFor();
    await visit(other.page, '/join?token=mbr_nonsense');
    await other.page.getByText('This invitation link is not valid').waitFor();

    assert.deepEqual(owner.problems, []);
    assert.deepEqual(other.problems, []);
  } finally {
    await owner.context.close();
    await other.context.close();
  }
});
