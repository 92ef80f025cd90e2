// Browser tests: the pool in headless Chromium under a strict CSP (node --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage } from './server.mjs';

const vectors = JSON.parse(readFileSync(new URL('../../pow-wasm/test-vectors.json', import.meta.url), 'utf8'));
let server, browser, page, problems;

before(async () => {
  server = await startServer();
  browser = await launch();
  ({ page, problems } = await openPage(browser, server.url));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const challengeOf = (v, extra = {}) => ({
  id: v.claims.id, token: v.token, algorithm: 'sha256', difficulty: v.claims.difficulty,
  target: v.target, solutions: v.claims.k, expiresAt: new Date(Date.now() + 600_000).toISOString(),
  issuedTo: String(v.claims.subject), ...extra,
});

test('SIMD build is selected in Chromium', async () => {
  assert.equal(await page.evaluate(() => window.pow.detectSimd()), true);
});

test('pool solves the protocol vectors with progress events', async () => {
  for (const v of vectors.vectors) {
    const r = await page.evaluate(async ({ ch, pkHex }) => {
      const pk = Uint8Array.from(pkHex.match(/../g), (h) => parseInt(h, 16));
      const events = [];
      const sol = await window.pow.solve(ch, pk, { workers: 2, onProgress: (p) => events.push(p) });
      const ok = await window.pow.verify(ch, pk, sol);
      return { sol, events, ok };
    }, { ch: challengeOf(v), pkHex: vectors.publicKeyHex });
    assert.deepEqual(r.sol.nonces, v.nonces);
    assert.equal(r.sol.kernel, 'simd128');
    assert.deepEqual(r.ok, { ok: true });
    assert.ok(r.events.length >= 1);
    assert.equal(r.events.at(-1).found, v.claims.k);
  }
});

test('pool solves a real (difficulty 16, k 8) challenge, reporting progress', async () => {
  const v = vectors.vectors[0];
  const ch = challengeOf(v, { difficulty: 16, target: '0001000000000000', solutions: 8 });
  const r = await page.evaluate(async ({ ch, pkHex }) => {
    const pk = Uint8Array.from(pkHex.match(/../g), (h) => parseInt(h, 16));
    const events = [];
    const sol = await window.pow.solve(ch, pk, { onProgress: (p) => events.push(p) });
    return { sol, events, ok: await window.pow.verify(ch, pk, sol), hc: navigator.hardwareConcurrency };
  }, { ch, pkHex: vectors.publicKeyHex });
  assert.equal(r.sol.nonces.length, 8);
  assert.equal(new Set(r.sol.nonces).size, 8);
  assert.deepEqual(r.ok, { ok: true });
  assert.equal(r.sol.workers, Math.min(r.hc, 8));
  const last = r.events.at(-1);
  for (const f of ['attempts', 'hashesPerSecond', 'found', 'k', 'etaSeconds']) assert.equal(typeof last[f], 'number', f);
  assert.equal(last.found, 8);
  assert.ok(last.hashesPerSecond > 1e6, `rate ${last.hashesPerSecond}`);
});

test('AbortSignal cancels: promise rejects, workers are terminated, no more progress', async () => {
  const v = vectors.vectors[0];
  const ch = challengeOf(v, { difficulty: 32, target: '0000000100000000', solutions: 64 });
  const during = page.evaluate(async ({ ch, pkHex }) => {
    const pk = Uint8Array.from(pkHex.match(/../g), (h) => parseInt(h, 16));
    const ac = new AbortController();
    window.progressCount = 0;
    setTimeout(() => ac.abort(), 500);
    const t0 = performance.now();
    try {
      await window.pow.solve(ch, pk, { workers: 2, signal: ac.signal, onProgress: () => window.progressCount++ });
      return { code: 'resolved' };
    } catch (e) {
      return { code: e.code, name: e.name, ms: performance.now() - t0, count: window.progressCount };
    }
  }, { ch, pkHex: vectors.publicKeyHex });
  // While solving, the page has 2 workers.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(page.workers().length, 2);
  const r = await during;
  assert.equal(r.code, 'aborted');
  assert.equal(r.name, 'PowError');
  assert.ok(r.ms < 1500, `took ${r.ms} ms`);
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(page.workers().length, 0, 'workers terminated');
  assert.equal(await page.evaluate(() => window.progressCount), r.count, 'no progress after abort');
});

test('malformed challenge rejects with a typed error in the browser', async () => {
  const v = vectors.vectors[0];
  const codes = await page.evaluate(async (cases) => {
    const out = [];
    for (const ch of cases) {
      try { await window.pow.solve(ch, new Uint8Array(32)); out.push('resolved'); } catch (e) { out.push(e.code); }
    }
    return out;
  }, [challengeOf(v, { algorithm: 'md5' }), challengeOf(v, { solutions: 0 }), { token: 'x' },
    challengeOf(v, { expiresAt: '2000-01-01T00:00:00Z' })]);
  assert.deepEqual(codes, ['unsupported_algorithm', 'invalid_k', 'invalid_challenge', 'expired']);
});

test('no CSP violations or page errors', () => {
  assert.deepEqual(problems, []);
});
