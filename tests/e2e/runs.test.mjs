// Runs in the browser (issue 11): an owner registers an agent in the page, deploys it, and
// starts the reference runner (`$AGENTRY_BIN agent run --exec 'sh -s'`, so a prompt is the
// shell script it runs). From the agent's Runs tab they start runs, watch the log arrive
// live and the run complete with its result, cancel a long run, do the same without
// JavaScript, filter and page the runs list, and read the runs panel on the agents page;
// at 390 px in dark mode nothing scrolls sideways. Run through ./run.sh.
// With AGENTRY_E2E_SCREENSHOTS=<dir> the pages are also saved as PNG files there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, PASSWORD, PHONE, openPage, signUp, uniqueEmail, visit, waitForHydration } from './helpers.mjs';

const BIN = process.env.AGENTRY_BIN;
const SHOTS = process.env.AGENTRY_E2E_SCREENSHOTS;
const POW_TIMEOUT = 90_000;
const RUN_TIMEOUT = 30_000;

/** A call to the REST API with the page's session cookie: `{status, json}`. */
async function api(page, method, url, body) {
  return page.evaluate(async ([method, url, body]) => {
    const r = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  }, [method, url, body]);
}

/** Registers an agent named `name` on /agents/register (the PoW in the page): `{id, key}`. */
async function registerAgent(page, name) {
  await visit(page, '/agents/register');
  await page.getByRole('button', { name: 'Generate key pair' }).click();
  await page.locator('#reg-generated-key').waitFor();
  await page.fill('#reg-name', name);
  await page.getByRole('button', { name: 'Register agent' }).click();
  await page.getByRole('heading', { name: `${name} is registered` }).waitFor({ timeout: POW_TIMEOUT });
  const key = await page.locator('#agent-api-key').inputValue();
  assert.match(key, /^agk_/);
  const list = await api(page, 'GET', '/api/v1/agents');
  const agent = list.json.value.find((a) => a.name === name);
  assert.ok(agent, JSON.stringify(list.json));
  return { id: agent.id, key };
}

/** Deploys a one-step definition whose lease is 3 s, so the runner's heartbeat (a third of
 * it) learns of a cancel within a second. */
async function deploy(page, id) {
  const draft = { trigger: 'manual', workflowStructure: { steps: [{ id: 'only', kind: 'code' }] },
    timeouts: { heartbeatSeconds: 3 } };
  const put = await api(page, 'PUT', `/api/v1/agents/${id}/draft`, draft);
  assert.equal(put.status, 200, JSON.stringify(put.json));
  const deployed = await api(page, 'POST', `/api/v1/agents/${id}/deploy`, {});
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
}

/** `agentry agent run` for the key, its stderr kept for the failure message. */
function startRunner(key) {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentry-runner-'));
  const keyFile = path.join(dir, 'key');
  writeFileSync(keyFile, key, { mode: 0o600 });
  const child = spawn(BIN, ['agent', 'run', '--key-file', keyFile, '--server', BASE, '--exec', 'sh -s', '--grace', '2'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AGENTRY_SERVER: '' } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const end = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return end;
    },
  };
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Starts a run from the agent's Runs tab and lands on its page (hydrated): its id. */
async function startRun(page, agentId, prompt) {
  await visit(page, `/agents/${agentId}?tab=runs`);
  await page.getByLabel('Prompt').fill(prompt);
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL((url) => /^\/runs\/\d+$/.test(url.pathname));
  await waitForHydration(page);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

const logLines = (page) => page.locator('.run-log__line').allInnerTexts();
const status = (page) => page.locator('.run-status');

test('start runs from the agent page, follow them live, cancel one, and list them', { timeout: 240_000 }, async () => {
  assert.ok(BIN, 'AGENTRY_BIN is not set; run tests/e2e/run.sh');
  // A blank prompt answers its server function with 422, on purpose.
  const { context, page, problems } = await openPage({}, [/status of 422/]);
  const plain = await openPage({ javaScriptEnabled: false });
  let runner;
  try {
    const email = uniqueEmail('runs');
    await signUp(page, email, 'Runs Co');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs', exact: true }).waitFor();
    const agent = await registerAgent(page, 'shell-runner');

    // A registered agent that was never deployed cannot run yet, and the tab says why.
    await visit(page, `/agents/${agent.id}?tab=runs`);
    await page.getByText('Deploy a version of its definition first').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start run' }).count(), 0);
    await deploy(page, agent.id);
    runner = startRunner(agent.key);

    // The services' 422 is shown at the prompt, which takes the focus.
    await visit(page, `/agents/${agent.id}?tab=runs`);
    await page.getByLabel('Prompt').fill('   ');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.locator('#run-prompt-error').getByText('the prompt is empty').waitFor();
    assert.equal(await page.getByLabel('Prompt').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-prompt');
    await shot(page, 'agent-runs-tab');

    // A run's lines arrive while it runs; then it completes with its result.
    const first = await startRun(page, agent.id, 'echo first; sleep 2; echo second; sleep 2; echo done');
    await page.getByRole('heading', { level: 1, name: `Run #${first}` }).waitFor();
    await page.locator('.run-log__line', { hasText: 'first' }).waitFor({ timeout: RUN_TIMEOUT });
    assert.ok(!(await logLines(page)).includes('done'), 'the first line shows before the run ends');
    await status(page).getByText('running').waitFor();
    await page.locator('.run-log__line', { hasText: 'second' }).waitFor({ timeout: RUN_TIMEOUT });
    await status(page).getByText('completed').waitFor({ timeout: RUN_TIMEOUT });
    assert.deepEqual(await logLines(page), ['first', 'second', 'done']);
    const result = page.getByRole('region', { name: 'Result' });
    await result.getByText('"exit_code": 0').waitFor();
    assert.match(await result.innerText(), /"output": "first\\nsecond\\ndone\\n"/);
    assert.equal(await page.getByRole('progressbar', { name: 'Progress' }).getAttribute('aria-valuenow'), '100');
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0);
    await page.getByRole('region', { name: 'Attempts' }).getByRole('cell', { name: 'completed', exact: true }).waitFor();
    await shot(page, 'run-completed');
    // A reload renders the same log from the server.
    await page.reload();
    assert.deepEqual(await logLines(page), ['first', 'second', 'done']);
    await waitForHydration(page);

    // A long run is cancelled from its page: the runner stops it, and the page says so live.
    const long = await startRun(page, agent.id, 'echo started; sleep 60');
    await page.locator('.run-log__line', { hasText: 'started' }).waitFor({ timeout: RUN_TIMEOUT });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await status(page).getByText('cancelled').waitFor({ timeout: RUN_TIMEOUT });
    await page.getByRole('region', { name: 'Error' }).getByText('"message": "Cancelled."').waitFor();
    await page.locator('.run-log__event', { hasText: 'Cancel requested' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0);
    await page.getByRole('region', { name: 'Attempts' }).getByRole('cell', { name: 'cancelled', exact: true }).waitFor();
    await shot(page, 'run-cancelled');

    // Without JavaScript: the start form and Cancel are plain forms; errors come back too.
    await plain.page.goto('/login');
    await plain.page.fill('#login-email', email);
    await plain.page.fill('#login-password', PASSWORD);
    await plain.page.getByRole('button', { name: 'Log in' }).click();
    await plain.page.waitForURL((url) => url.pathname === '/agents');
    await plain.page.goto(`/agents/${agent.id}?tab=runs`);
    await plain.page.getByLabel('Prompt').fill(' ');
    await plain.page.getByRole('button', { name: 'Start run' }).click();
    await plain.page.locator('#run-prompt-error').getByText('the prompt is empty').waitFor();
    await plain.page.getByLabel('Prompt').fill('echo plain; sleep 60');
    await plain.page.getByRole('button', { name: 'Start run' }).click();
    await plain.page.waitForURL((url) => /^\/runs\/\d+$/.test(url.pathname));
    const plainRun = Number(new URL(plain.page.url()).pathname.split('/').pop());
    await plain.page.getByRole('button', { name: 'Cancel run' }).click();
    await plain.page.waitForURL((url) => url.pathname === `/runs/${plainRun}`);
    await plain.page.locator('.run-log__event', { hasText: /Cancel requested|Cancelled/ }).first().waitFor();
    // The runner stops it within a heartbeat or two; a reload shows the outcome.
    for (let i = 0; i < 60 && !(await plain.page.locator('.run-status', { hasText: 'cancelled' }).count()); i++) {
      await new Promise((r) => setTimeout(r, 500));
      await plain.page.reload();
    }
    await plain.page.locator('.run-status', { hasText: 'cancelled' }).waitFor();

    // The list: newest first, a status filter in the URL, the agent's runs.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/runs');
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    assert.deepEqual(await rows.locator('th').allInnerTexts(), [`Run #${plainRun}`, `Run #${long}`, `Run #${first}`]);
    await shot(page, 'runs-list-all');
    await page.getByRole('navigation', { name: 'Runs by status' }).getByRole('link', { name: 'Cancelled' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'cancelled');
    await page.locator('a[aria-current="page"]', { hasText: 'Cancelled' }).waitFor();
    assert.deepEqual(await rows.locator('th').allInnerTexts(), [`Run #${plainRun}`, `Run #${long}`]);
    await visit(page, `/runs?agent_id=${agent.id}&status=completed`);
    await page.getByText('Runs of shell-runner').waitFor();
    assert.deepEqual(await rows.locator('th').allInnerTexts(), [`Run #${first}`]);
    await visit(page, '/runs?status=timed_out');
    await page.getByRole('heading', { name: 'No runs match' }).waitFor();

    // With the runner gone, new runs wait: the agents page counts them, and the list pages.
    assert.deepEqual(await runner.stop(), { code: 0, signal: null }, runner.stderr());
    runner = null;
    const me = await api(page, 'GET', '/api/v1/me');
    const org = me.json.currentOrganization.id;
    for (let i = 0; i < 51; i++) {
      const r = await api(page, 'POST', `/v1/organizations/${org}/agent/run`, { prompt: `echo ${i}`, agent_id: agent.id });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    await visit(page, '/agents');
    const glance = page.getByRole('region', { name: 'Runs' });
    await glance.getByRole('link', { name: /51\s+queued/ }).waitFor();
    await glance.getByRole('link', { name: /0\s+running/ }).waitFor();
    await glance.getByRole('link', { name: /0\s+failed or timed out/ }).waitFor();
    await glance.getByRole('link', { name: /\d+ s\s+age of the oldest queued run/ }).waitFor();
    await shot(page, 'agents-glance');
    await glance.getByRole('link', { name: /51\s+queued/ }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'queued');
    await page.getByRole('link', { name: 'Older runs' }).waitFor();
    assert.equal(await rows.count(), 50);
    await page.getByRole('link', { name: 'Older runs' }).click();
    await page.waitForURL((url) => url.searchParams.has('cursor') && url.searchParams.get('status') === 'queued');
    await page.getByRole('link', { name: 'Newest runs' }).waitFor();
    assert.equal(await rows.count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Older runs' }).count(), 0);
    await shot(page, 'runs-list');

    assert.deepEqual(problems, []);
    assert.deepEqual(plain.problems, []);
  } finally {
    if (runner) await runner.stop();
    await context.close();
    await plain.context.close();
  }
});

test('at 390 px in dark mode the run pages do not scroll sideways', async () => {
  const { context, page, problems } = await openPage({ viewport: PHONE, colorScheme: 'dark' });
  try {
    await signUp(page, uniqueEmail('runs-phone'), 'A rather long organization name for a phone');
    const agent = await registerAgent(page, 'phone-runner-with-a-long-name');
    await deploy(page, agent.id);
    const me = await api(page, 'GET', '/api/v1/me');
    const org = me.json.currentOrganization.id;
    const long = `echo ${'x'.repeat(300)}`;
    const r = await api(page, 'POST', `/v1/organizations/${org}/agent/run`, { prompt: long, agent_id: agent.id });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    for (const [name, url] of [['phone-agents', '/agents'], ['phone-runs', '/runs'], ['phone-run', `/runs/${r.json.id}`],
      ['phone-agent-runs-tab', `/agents/${agent.id}?tab=runs`]]) {
      await visit(page, url);
      await page.locator('h1').waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= PHONE.width, `${url} is ${width} px wide`);
      await shot(page, name);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
