// The agent directory in the browser: create definitions, filter and sort the table, share
// the URL, edit the draft (a broken one is shown at its step), deploy twice and roll back,
// bulk-deactivate with a confirmation, and transfer an agent to a member who accepts it
// from their inbox. Run through ./run.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, PHONE, openPage, signUp, uniqueEmail, visit, waitForHydration } from './helpers.mjs';

/** Creates an agent through the REST API with the page's session. */
async function createAgent(page, body) {
  const res = await page.evaluate(async ([base, body]) => {
    const r = await fetch(`${base}/api/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, json: await r.json() };
  }, [BASE, body]);
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json;
}

async function rowNames(page) {
  return page.locator('table.directory tbody th[scope=row]').allInnerTexts();
}

test('filter, sort, share, edit, deploy, roll back, bulk-deactivate, and transfer an agent', async () => {
  // Bad drafts and bad filters answer their server functions with 4xx, on purpose.
  const owner = await openPage({}, [/status of 4\d\d/]);
  const member = await openPage({ viewport: PHONE }, [/status of 4\d\d/]);
  const ownerEmail = uniqueEmail('dir-owner');
  const memberEmail = uniqueEmail('dir-member');
  try {
    const op = owner.page;
    await signUp(op, ownerEmail, 'Directory Co');

    // A definition from the page's form opens its own page.
    await op.getByText('New agent definition').click();
    await op.fill('#new-agent-name', 'Churn Analyzer');
    await op.selectOption('#new-agent-type', 'workflow');
    await op.getByRole('button', { name: 'Create draft' }).click();
    await op.waitForURL((url) => /^\/agents\/\d+$/.test(url.pathname));
    await op.getByRole('heading', { level: 1, name: 'Churn Analyzer' }).waitFor();
    const churnId = Number(new URL(op.url()).pathname.split('/').pop());
    for (const [name, type] of [['Billing Bot', 'task'], ['churn-notifier', 'task'], ['Zeta Flow', 'workflow']]) {
      await createAgent(op, { name, type });
    }

    // Search and the type picker are the URL; sorting is a header link.
    await visit(op, '/agents');
    await op.fill('#agents-q', 'churn');
    await op.getByRole('button', { name: 'Apply' }).click();
    await op.waitForURL((url) => url.searchParams.get('q') === 'churn');
    await op.locator('table.directory').waitFor();
    assert.deepEqual((await rowNames(op)).sort(), ['Churn Analyzer', 'churn-notifier']);
    await op.getByRole('link', { name: /^Name/ }).click();
    await op.waitForURL((url) => url.searchParams.get('orderby') === 'name asc');
    await op.getByRole('columnheader', { name: /Name/ }).and(op.locator('[aria-sort=ascending]')).waitFor();
    assert.deepEqual(await rowNames(op), ['Churn Analyzer', 'churn-notifier']);
    await op.getByRole('link', { name: /^Name/ }).click();
    await op.waitForURL((url) => url.searchParams.get('orderby') === 'name desc');
    await op.locator('[aria-sort=descending]').waitFor();
    assert.deepEqual(await rowNames(op), ['churn-notifier', 'Churn Analyzer']);

    // The URL is the view: a fresh page with it shows the same rows, before and after hydration.
    const shared = op.url();
    const other = await owner.context.newPage();
    await other.goto(shared);
    assert.deepEqual(await rowNames(other), ['churn-notifier', 'Churn Analyzer']);
    await waitForHydration(other);
    await other.close();

    // An advanced filter with a typo is explained where it was typed.
    await visit(op, '/agents?filter=' + encodeURIComponent("tpye eq 'task'"));
    await op.getByText(/Did you mean type\?/).waitFor();
    await visit(op, '/agents?filter=' + encodeURIComponent("type eq 'workflow'") + '&orderby=name%20asc');
    assert.deepEqual(await rowNames(op), ['Churn Analyzer', 'Zeta Flow']);

    // Bulk: select both, deactivate, confirm with the count.
    await op.getByLabel('Select all on this page').check();
    await op.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Deactivate' }).click();
    const bulk = op.getByRole('dialog', { name: 'Deactivate 2 agents?' });
    await bulk.getByRole('button', { name: 'Deactivate' }).click();
    await op.getByText('Deactivated 2 of 2 agents.').waitFor();
    await visit(op, '/agents?filter=' + encodeURIComponent('enabled eq false') + '&cols=enabled');
    assert.deepEqual((await rowNames(op)).sort(), ['Churn Analyzer', 'Zeta Flow']);

    // The draft: a dangling edge is shown at its step and cannot be saved by the server.
    await visit(op, `/agents/${churnId}?tab=definition`);
    const draft = {
      trigger: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
      workflowStructure: {
        steps: [{ id: 'fetch', kind: 'http', config: {} }, { id: 'score', kind: 'prompt', config: {} }],
        edges: [{ from: 'fetch', to: 'score' }, { from: 'score', to: 'nowhere' }],
      },
      agentSelection: {},
    };
    await op.fill('#draft-json', JSON.stringify(draft, null, 2));
    await op.locator('#draft-problems').getByText(/problem/).waitFor();
    await op.locator('.dag__node--bad').first().waitFor();
    draft.workflowStructure.edges.pop();
    await op.fill('#draft-json', JSON.stringify(draft, null, 2));
    await op.getByText('The definition is valid.').waitFor();
    await op.getByRole('img', { name: 'Workflow graph: 2 steps, 1 edges' }).waitFor();
    await op.getByRole('button', { name: 'Save draft' }).click();
    await op.getByText('Draft saved.').waitFor();
    await op.fill('#deploy-name', 'Weekday mornings');
    await op.getByRole('button', { name: 'Deploy the saved draft' }).click();
    await op.getByText('Deployed: this version is now active.').waitFor();

    // A second version, then roll back to the first.
    draft.workflowStructure.steps.push({ id: 'notify', kind: 'prompt', config: {} });
    draft.workflowStructure.edges.push({ from: 'score', to: 'notify' });
    await op.fill('#draft-json', JSON.stringify(draft, null, 2));
    await op.getByRole('button', { name: 'Save draft' }).click();
    await op.getByText('Draft saved.').waitFor();
    await op.locator('.diff ins', { hasText: 'notify' }).first().waitFor();
    await op.getByRole('button', { name: 'Deploy the saved draft' }).click();
    await op.getByText('Deployed: this version is now active.').waitFor();
    await visit(op, `/agents/${churnId}?tab=versions`);
    await op.getByRole('button', { name: 'Make active (version 1)' }).click();
    await op.getByText('Version 1 is active again.').waitFor();
    // The Audit tab lists what just happened to this agent, newest first.
    await visit(op, `/agents/${churnId}?tab=audit`);
    const actions = await op.locator('ol.audit li code.row__title').allTextContents();
    assert.equal(actions[0], 'agent.version_activated', actions.join(', '));
    assert.ok(actions.includes('agent.deployed') && actions.includes('agent.created'), actions.join(', '));
    await visit(op, `/agents/${churnId}?tab=schedule`);
    await op.getByText(/Europe\/Berlin/).first().waitFor();
    assert.equal(await op.locator('ol.runs').first().locator('li').count(), 5);

    // A member joins from an emailed invitation; the owner transfers the agent to them.
    const org = await op.evaluate(async (base) => (await (await fetch(`${base}/api/v1/me`)).json()).currentOrganization.id, BASE);
    const invited = await op.evaluate(async ([base, org, email]) => (await fetch(`${base}/api/v1/organizations/${org}/invitations`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, role: 'member' }),
    })).status, [BASE, org, memberEmail]);
    assert.equal(invited, 201);
    await visit(op, '/outbox');
    const link = await op.locator('article.email', { hasText: memberEmail }).first().locator('a[href*="/join?token="]').first().getAttribute('href');
    const mp = member.page;
    await signUp(mp, memberEmail, 'Member Own');
    await visit(mp, link);
    await mp.getByRole('button', { name: 'Join the organization' }).click();
    await mp.waitForURL((url) => url.pathname === '/organization');

    await visit(op, `/agents/${churnId}?tab=transfer`);
    await op.selectOption('#transfer-to', { label: memberEmail });
    await op.fill('#transfer-message', 'Yours from Monday');
    await op.getByRole('button', { name: 'Request transfer' }).click();
    await op.getByText('Transfer requested: it waits for the recipient.').waitFor();

    // The recipient sees it in the inbox and accepts; the agent is theirs.
    await visit(mp, '/agents/transfers');
    await mp.getByText('Yours from Monday').waitFor();
    const width = await mp.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `the inbox is ${width} px wide`);
    await mp.getByRole('button', { name: 'Accept Churn Analyzer' }).click();
    await mp.getByText('You own Churn Analyzer now.').waitFor();
    await visit(op, `/agents/${churnId}`);
    await op.getByText(memberEmail).first().waitFor();

    assert.deepEqual(owner.problems, []);
    assert.deepEqual(member.problems, []);
  } finally {
    await owner.context.close();
    await member.context.close();
  }
});
