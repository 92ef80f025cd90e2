// Shared, environment-independent logic of @agentry/pow: challenge validation, typed
// errors and the worker pool. See ../README.md and ../../PROTOCOL.md.

/** Error thrown (as a rejected promise) by every API of this package. */
export class PowError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. "expired"
   * @param {string} message human-readable explanation
   */
  constructor(code, message) {
    super(message);
    this.name = 'PowError';
    this.code = code;
  }
}

export const MAX_K = 64;
export const MAX_DIFFICULTY = 32;
const U64_MAX = (1n << 64n) - 1n;

/** Tiny module using a SIMD128 instruction; WebAssembly.validate() says if SIMD works. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
  253, 15, 253, 98, 11,
]);

/** Whether this engine supports WebAssembly SIMD128. */
export function detectSimd() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The target (BigInt) for `difficulty` leading zero bits, as in PROTOCOL.md §3. */
export function targetForDifficulty(difficulty) {
  if (!Number.isInteger(difficulty) || difficulty < 0) {
    throw new PowError('invalid_difficulty', `difficulty must be a non-negative integer`);
  }
  if (difficulty === 0) return U64_MAX;
  if (difficulty >= 64) return 0n;
  return 1n << BigInt(64 - difficulty);
}

/** 16 lowercase hex digits. */
export function formatTarget(t) {
  return t.toString(16).padStart(16, '0');
}

/**
 * Validate a challenge object from the server. Throws PowError on malformed input.
 * @returns {{token: string, difficulty: number, k: number, target: bigint, targetHex: string, expiresAtMs: number}}
 */
export function parseChallenge(challenge, { now = Date.now(), checkExpiry = true } = {}) {
  if (challenge === null || typeof challenge !== 'object') {
    throw new PowError('invalid_challenge', 'challenge must be an object');
  }
  for (const f of ['token', 'algorithm', 'difficulty', 'target', 'solutions', 'expiresAt']) {
    if (challenge[f] === undefined || challenge[f] === null) {
      throw new PowError('invalid_challenge', `challenge is missing "${f}"`);
    }
  }
  const { token, algorithm, difficulty, target, solutions, expiresAt } = challenge;
  if (typeof algorithm !== 'string' || algorithm !== 'sha256') {
    throw new PowError('unsupported_algorithm', `unsupported algorithm ${JSON.stringify(algorithm)}`);
  }
  if (typeof token !== 'string' || token.length === 0 || token.length > 1024) {
    throw new PowError('invalid_challenge', 'token must be a non-empty string');
  }
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DIFFICULTY) {
    throw new PowError('invalid_difficulty', `difficulty must be an integer in 0..=${MAX_DIFFICULTY}`);
  }
  if (!Number.isInteger(solutions) || solutions < 1 || solutions > MAX_K) {
    throw new PowError('invalid_k', `solutions (k) must be an integer in 1..=${MAX_K}`);
  }
  const t = targetForDifficulty(difficulty);
  if (typeof target !== 'string' || !/^[0-9a-fA-F]{16}$/.test(target) || BigInt('0x' + target) !== t) {
    throw new PowError('invalid_target', `target must be the 16 hex digits of 2^(64-difficulty)`);
  }
  const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : NaN;
  if (!Number.isFinite(expiresAtMs)) {
    throw new PowError('invalid_challenge', 'expiresAt must be an RFC 3339 date string');
  }
  if (checkExpiry && expiresAtMs <= now) {
    throw new PowError('expired', `challenge expired at ${expiresAt}`);
  }
  return { token, difficulty, k: solutions, target: t, targetHex: formatTarget(t), expiresAtMs };
}

/** Accepts Uint8Array, ArrayBuffer, any ArrayBufferView, or a (URL-safe) base64 string. */
export function normalizePublicKey(publicKey) {
  let bytes;
  if (publicKey instanceof Uint8Array) bytes = publicKey;
  else if (publicKey instanceof ArrayBuffer) bytes = new Uint8Array(publicKey);
  else if (ArrayBuffer.isView(publicKey)) {
    bytes = new Uint8Array(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength);
  } else if (typeof publicKey === 'string') {
    const s = publicKey.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) {
      throw new PowError('invalid_public_key', 'publicKey is not valid base64');
    }
    const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
    bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } else {
    throw new PowError('invalid_public_key', 'publicKey must be bytes or a base64 string');
  }
  if (bytes.length === 0) throw new PowError('invalid_public_key', 'publicKey is empty');
  return bytes;
}

/** Parse a solution's decimal nonce strings to BigInts (PROTOCOL.md §4). */
export function parseNonces(solution) {
  const list = Array.isArray(solution) ? solution : solution && solution.nonces;
  if (!Array.isArray(list)) throw new PowError('invalid_solution', 'solution.nonces must be an array');
  return list.map((s, i) => {
    if (typeof s !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(s) || BigInt(s) > U64_MAX) {
      throw new PowError('invalid_solution', `nonce #${i} is not a decimal u64 string`);
    }
    return BigInt(s);
  });
}

const CHUNK_MS = 50;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 0x4000_0000;
const REPORT_MS = 100;

/**
 * Run the search. `env` provides:
 *  - spawn(): { post(msg), onMessage(fn), onError(fn), terminate() }   (workers > 0)
 *  - glue: the wasm-bindgen module, initialised, for inline (workers = 0) solving
 * @returns {Promise<object>} the Solution
 */
export function runSearch(env, opts) {
  const { module, flavor, c, parsed, workers, onProgress, signal } = opts;
  const { k, target, targetHex, expiresAtMs } = parsed;
  const expectedPerNonce = Number((1n << 64n) / (target === 0n ? 1n : target));
  return new Promise((resolve, reject) => {
    const started = now();
    let next = 0n;
    let attempts = 0;
    let found = [];
    const inflight = new Map(); // id -> start
    let settled = false;
    let lastReport = 0;
    let kernel = null;
    const handles = [];
    let timer = null;

    const cleanup = () => {
      settled = true;
      if (timer !== null) clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
      for (const h of handles) {
        try { h.terminate(); } catch { /* already gone */ }
      }
    };
    const fail = (err) => {
      if (settled) return;
      cleanup();
      reject(err);
    };
    const progress = (force) => {
      const t = now();
      if (!onProgress || (!force && t - lastReport < REPORT_MS)) return;
      lastReport = t;
      const secs = Math.max((t - started) / 1000, 1e-6);
      const hps = attempts / secs;
      const f = Math.min(found.length, k);
      const eta = hps > 0 ? ((k - f) * expectedPerNonce) / hps : Infinity;
      try {
        onProgress({ attempts, hashesPerSecond: hps, found: f, k, etaSeconds: eta, elapsedMs: t - started });
      } catch (e) {
        fail(e);
      }
    };
    const complete = () => {
      if (found.length < k) return false;
      const kth = found[k - 1];
      for (const s of inflight.values()) if (s <= kth) return false;
      return true;
    };
    const finish = () => {
      progress(true);
      const elapsedMs = now() - started;
      const nonces = found.slice(0, k).map(String);
      cleanup();
      resolve({
        nonces,
        attempts,
        elapsedMs,
        hashesPerSecond: attempts / Math.max(elapsedMs / 1000, 1e-6),
        workers: workers,
        kernel,
      });
    };
    const accept = (start, foundNow, tried) => {
      attempts += tried;
      if (foundNow.length) {
        found = found.concat(foundNow.map(BigInt)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (found.length > 2 * k) found.length = 2 * k;
      }
      progress(false);
    };
    const take = (count) => {
      const s = next;
      next += BigInt(count);
      return s;
    };
    function onAbort() {
      fail(new PowError('aborted', 'solve was aborted'));
    }

    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort);
    }
    const untilExpiry = expiresAtMs - Date.now();
    if (untilExpiry <= 0) return fail(new PowError('expired', 'challenge expired'));
    timer = setTimeout(() => fail(new PowError('expired', 'challenge expired while solving')),
      Math.min(untilExpiry, 0x7fffffff));

    if (workers === 0) {
      // Inline: solve on this thread in ~50 ms slices, yielding between them.
      let searcher;
      try {
        searcher = new env.glue.Searcher(c, targetHex);
        kernel = searcher.kernel;
      } catch (e) {
        return fail(new PowError('wasm_error', String(e && e.message ? e.message : e)));
      }
      let count = 16384;
      const step = () => {
        if (settled) { searcher.free(); return; }
        const start = take(count);
        const t0 = now();
        const hits = searcher.search(start, count, k);
        const ms = now() - t0;
        accept(start, Array.from(hits), searcher.tried);
        if (settled) { searcher.free(); return; }
        if (complete()) { searcher.free(); return finish(); }
        count = adapt(count, searcher.tried, ms);
        setTimeout(step, 0);
      };
      setTimeout(step, 0);
      return;
    }

    let ids = 0;
    let ready = 0;
    for (let i = 0; i < workers; i++) {
      let h;
      try {
        h = env.spawn();
      } catch (e) {
        return fail(new PowError('worker_error', `cannot start worker: ${e && e.message ? e.message : e}`));
      }
      handles.push(h);
      let count = 16384;
      const dispatch = () => {
        if (settled) return;
        if (complete()) return finish();
        if (found.length >= k) {
          // Enough found; wait only for in-flight chunks below the k-th nonce.
          return;
        }
        const id = ids++;
        const start = take(count);
        inflight.set(id, start);
        h.post({ type: 'work', id, start, count, want: k });
      };
      h.onError((e) => fail(new PowError('worker_error', `worker failed: ${e && e.message ? e.message : e}`)));
      h.onMessage((msg) => {
        if (settled) return;
        if (msg.type === 'ready') {
          kernel = msg.kernel;
          ready++;
          dispatch();
        } else if (msg.type === 'result') {
          inflight.delete(msg.id);
          accept(msg.start, msg.found, msg.tried);
          if (settled) return;
          count = adapt(count, msg.tried, msg.ms);
          if (complete()) return finish();
          dispatch();
        } else if (msg.type === 'error') {
          fail(new PowError('worker_error', msg.message));
        }
      });
      h.post({ type: 'init', module, flavor, c, target: targetHex });
    }
    void ready;
  });
}

function adapt(count, tried, ms) {
  if (!(ms > 0) || tried < count) return count;
  const rate = tried / ms; // hashes per ms
  const want = Math.round((rate * CHUNK_MS) / 64) * 64;
  // Move at most 4x per step to damp noise.
  const clamped = Math.min(Math.max(want, count / 4), count * 4);
  return Math.min(Math.max(Math.round(clamped), MIN_CHUNK), MAX_CHUNK);
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Shared implementation of `verify` (no HMAC check: clients do not know the secret). */
export function verifyWith(glue, challenge, publicKey, solution) {
  const parsed = parseChallenge(challenge, { checkExpiry: false });
  const pk = normalizePublicKey(publicKey);
  const nonces = parseNonces(solution);
  const c = glue.deriveC(parsed.token, pk);
  const err = glue.checkNonces(c, parsed.targetHex, parsed.k, BigUint64Array.from(nonces));
  return err === undefined || err === null ? { ok: true } : { ok: false, reason: err };
}
