// Node package test: the installed tarball solves the PROTOCOL.md vectors (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { solve, verify, PowError, parseChallenge, detectSimd, targetForDifficulty } from '@agentry/pow';

const vectors = JSON.parse(readFileSync(new URL('../../pow-wasm/test-vectors.json', import.meta.url), 'utf8'));
const pk = Buffer.from(vectors.publicKeyHex, 'hex');
const soon = () => new Date(Date.now() + 10 * 60_000).toISOString();
const challengeOf = (v, extra = {}) => ({
  id: v.claims.id,
  token: v.token,
  algorithm: 'sha256',
  difficulty: v.claims.difficulty,
  target: v.target,
  solutions: v.claims.k,
  expiresAt: soon(),
  issuedTo: String(v.claims.subject),
  ...extra,
});
const rejectsWith = (p, code) => assert.rejects(p, (e) => e instanceof PowError && e.code === code);

test('package resolves to the node entry and has SIMD in Node 20', () => {
  assert.equal(detectSimd(), true);
  assert.equal(targetForDifficulty(8), 1n << 56n);
});

for (const [i, v] of vectors.vectors.entries()) {
  for (const opts of [{ workers: 2 }, { workers: 1, flavor: 'scalar' }, { workers: 0 }]) {
    test(`vector ${i + 1} solves with ${JSON.stringify(opts)}`, async () => {
      const events = [];
      const sol = await solve(challengeOf(v), pk, { ...opts, onProgress: (p) => events.push(p) });
      assert.deepEqual(sol.nonces, v.nonces);
      assert.ok(events.length >= 1);
      const last = events.at(-1);
      assert.equal(last.found, v.claims.k);
      assert.equal(last.k, v.claims.k);
      assert.ok(last.attempts > 0 && last.hashesPerSecond > 0);
      assert.deepEqual(await verify(challengeOf(v), pk, sol), { ok: true });
    });
  }
}

test('public key as base64 gives the same solution; another key does not verify', async () => {
  const v = vectors.vectors[0];
  const sol = await solve(challengeOf(v), pk.toString('base64'), { workers: 1 });
  assert.deepEqual(sol.nonces, v.nonces);
  const other = await verify(challengeOf(v), new Uint8Array(32), { nonces: v.nonces });
  assert.equal(other.ok, false);
  assert.match(other.reason, /nonce_above_target/);
  const dup = await verify(challengeOf(v), pk, { nonces: [...v.nonces.slice(1), v.nonces[1]] });
  assert.match(dup.reason, /duplicate_nonce/);
});

test('malformed challenges are rejected with typed errors', async () => {
  const v = vectors.vectors[0];
  const { token: _t, ...noToken } = challengeOf(v);
  await rejectsWith(solve(noToken, pk), 'invalid_challenge');
  await rejectsWith(solve(null, pk), 'invalid_challenge');
  await rejectsWith(solve(challengeOf(v, { algorithm: 'sha1' }), pk), 'unsupported_algorithm');
  await rejectsWith(solve(challengeOf(v, { expiresAt: '2001-01-01T00:00:00Z' }), pk), 'expired');
  await rejectsWith(solve(challengeOf(v, { expiresAt: 'tomorrow' }), pk), 'invalid_challenge');
  await rejectsWith(solve(challengeOf(v, { solutions: 0 }), pk), 'invalid_k');
  await rejectsWith(solve(challengeOf(v, { solutions: 65 }), pk), 'invalid_k');
  await rejectsWith(solve(challengeOf(v, { solutions: 2.5 }), pk), 'invalid_k');
  await rejectsWith(solve(challengeOf(v, { difficulty: 33 }), pk), 'invalid_difficulty');
  await rejectsWith(solve(challengeOf(v, { difficulty: '8' }), pk), 'invalid_difficulty');
  await rejectsWith(solve(challengeOf(v, { target: 'ffffffffffffffff' }), pk), 'invalid_target');
  await rejectsWith(solve(challengeOf(v), '!!not base64!!'), 'invalid_public_key');
  await rejectsWith(solve(challengeOf(v), new Uint8Array(0)), 'invalid_public_key');
  await rejectsWith(solve(challengeOf(v), pk, { workers: -1 }), 'invalid_option');
  assert.throws(() => parseChallenge({}), (e) => e.code === 'invalid_challenge');
});

test('AbortSignal stops a hard solve promptly', async () => {
  const v = vectors.vectors[0];
  const hard = challengeOf(v, { difficulty: 32, target: '0000000100000000', solutions: 64 });
  const ac = new AbortController();
  let events = 0;
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 300);
  await rejectsWith(solve(hard, pk, { workers: 2, signal: ac.signal, onProgress: () => events++ }), 'aborted');
  const took = Date.now() - t0;
  assert.ok(took < 2000, `abort took ${took} ms`);
  const seen = events;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(events, seen, 'no progress after abort');
  // Already-aborted signal rejects immediately.
  await rejectsWith(solve(hard, pk, { signal: AbortSignal.abort() }), 'aborted');
});

test('challenge expiring mid-solve rejects with "expired" instead of hanging', async () => {
  const v = vectors.vectors[0];
  const hard = challengeOf(v, {
    difficulty: 32, target: '0000000100000000', solutions: 64,
    expiresAt: new Date(Date.now() + 400).toISOString(),
  });
  await rejectsWith(solve(hard, pk, { workers: 1 }), 'expired');
});
