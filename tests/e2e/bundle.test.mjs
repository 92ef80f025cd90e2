// The hydrate bundle on the wire, and the API reference in the browser (issue 8).
// Run through ./run.sh, which starts a server and sets AGENTRY_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BASE, newContext } from './helpers.mjs';

const BUDGET = 610_000; // bytes on the wire, brotli, wasm + JS

/** GET with exactly these request headers; the body's bytes as sent (not decoded). */
function rawGet(path, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(new URL(path, BASE), { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks).length }));
    }).on('error', reject);
  });
}

test('the hydrate bundle is content-hashed, precompressed and immutable', async () => {
  const html = await (await fetch(`${BASE}/`)).text();
  const js = html.match(/href="(\/pkg\/agentry_hydrate\.[0-9a-f]{16}\.js)"/)?.[1];
  const wasm = html.match(/href="(\/pkg\/agentry_hydrate\.[0-9a-f]{16}_bg\.wasm)"/)?.[1];
  assert.ok(js && wasm, `hashed bundle names in the page: ${html.slice(0, 2000)}`);
  assert.ok(html.includes(`, "${js.slice('/pkg/'.length, -'.js'.length)}",`), 'the loader imports the hashed JS');

  let onWire = 0;
  for (const path of [js, wasm]) {
    const br = await rawGet(path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200, path);
    assert.equal(br.headers['content-encoding'], 'br', path);
    assert.match(br.headers.vary ?? '', /accept-encoding/i, path);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable', path);
    const gz = await rawGet(path, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip', path);
    const plain = await rawGet(path);
    assert.equal(plain.headers['content-encoding'], undefined, path);
    assert.ok(br.bytes < gz.bytes && gz.bytes < plain.bytes, `${path}: br ${br.bytes}, gzip ${gz.bytes}, raw ${plain.bytes}`);
    onWire += br.bytes;
  }
  // What a first visit downloads to hydrate, as served (PERFORMANCE.md, "Hydrate bundle").
  console.log(`# hydrate bundle on the wire (brotli, wasm + JS): ${onWire} bytes (budget ${BUDGET})`);
  assert.ok(onWire <= BUDGET, `the hydrate bundle is ${onWire} bytes on the wire, over the ${BUDGET}-byte budget`);

  // Fixed names are revalidated, never cached blindly.
  const css = await rawGet('/pkg/main.css', { 'accept-encoding': 'br' });
  assert.equal(css.status, 200);
  assert.equal(css.headers['cache-control'], 'no-cache');
  assert.ok(css.headers['last-modified']);
  const again = await rawGet('/pkg/main.css', { 'accept-encoding': 'br', 'if-modified-since': css.headers['last-modified'] });
  assert.equal(again.status, 304);
});

test('the API reference renders from this server only, and "Try it out" calls the API', async () => {
  const context = await newContext({ baseURL: BASE });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${BASE}/`) && !url.startsWith('data:')) foreign.push(url);
  });
  try {
    await page.goto('/api/docs');
    assert.equal(new URL(page.url()).pathname, '/api/docs/');
    const me = page.locator('.opblock', { has: page.locator('[data-path="/api/v1/me"]') }).first();
    await me.locator('.opblock-summary').click();
    await me.locator('button.execute').click();
    // Not signed in: the API answers 401, shown in the live response.
    await me.locator('.live-responses-table .response-col_status', { hasText: '401' }).waitFor();
    // 401 is the answer the test asked for; the browser logs it as a failed resource load.
    const unexpected = problems.filter((p) => !/status of 401/.test(p));
    assert.deepEqual(unexpected, [], 'console errors (a CSP violation would show here)');
    assert.deepEqual(foreign, [], 'requests to other origins');
  } finally {
    await context.close();
  }
});
