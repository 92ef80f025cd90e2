// @agentry/pow, browser entry. See README.md.
import {
  PowError, detectSimd, parseChallenge, normalizePublicKey, runSearch, verifyWith,
  targetForDifficulty, formatTarget, parseNonces, MAX_K, MAX_DIFFICULTY,
} from './core.js';

export { PowError, detectSimd, parseChallenge, targetForDifficulty, formatTarget, parseNonces, MAX_K, MAX_DIFFICULTY };

const loaded = new Map(); // flavor -> Promise<{ module, glue }>

/** Compile (once) and instantiate the wasm build for `flavor` ("simd" | "scalar"). */
export function load(flavor = detectSimd() ? 'simd' : 'scalar') {
  if (flavor !== 'simd' && flavor !== 'scalar') {
    return Promise.reject(new PowError('invalid_option', `unknown flavor ${flavor}`));
  }
  if (!loaded.has(flavor)) {
    const p = (async () => {
      const url = flavor === 'simd'
        ? new URL('./simd/pow_wasm_bg.wasm', import.meta.url)
        : new URL('./scalar/pow_wasm_bg.wasm', import.meta.url);
      const resp = await fetch(url);
      if (!resp.ok) throw new PowError('load_error', `cannot fetch ${url}: HTTP ${resp.status}`);
      const module = await WebAssembly.compile(await resp.arrayBuffer());
      const glue = flavor === 'simd' ? await import('./simd/pow_wasm.js') : await import('./scalar/pow_wasm.js');
      glue.initSync({ module });
      return { module, glue, flavor };
    })();
    p.catch(() => loaded.delete(flavor));
    loaded.set(flavor, p);
  }
  return loaded.get(flavor);
}

function defaultWorkers() {
  const n = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 4;
  return Math.max(1, Math.min(n, 8));
}

function spawn() {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'agentry-pow' });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => { w.onmessage = (e) => fn(e.data); },
    onError: (fn) => {
      w.onerror = (e) => { e.preventDefault(); fn(new Error(e.message || 'worker error (check the CSP worker-src and script-src)')); };
      w.onmessageerror = () => fn(new Error('worker message could not be deserialised'));
    },
    terminate: () => w.terminate(),
  };
}

/**
 * Solve a challenge: find `challenge.solutions` distinct nonces for `publicKey`.
 * @param {object} challenge the server's challenge JSON
 * @param {Uint8Array|ArrayBuffer|string} publicKey raw key bytes, or base64
 * @param {{workers?: number, onProgress?: Function, signal?: AbortSignal, flavor?: 'simd'|'scalar'}} [options]
 */
export async function solve(challenge, publicKey, options = {}) {
  const parsed = parseChallenge(challenge);
  const pk = normalizePublicKey(publicKey);
  const { onProgress, signal } = options;
  let workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new PowError('invalid_option', 'workers must be an integer in 0..=64');
  }
  if (workers > 0 && typeof Worker === 'undefined') workers = 0;
  if (signal && signal.aborted) throw new PowError('aborted', 'solve was aborted');
  const { module, glue, flavor } = await load(options.flavor);
  const c = glue.deriveC(parsed.token, pk);
  return runSearch({ spawn, glue }, { module, flavor, c, parsed, workers, onProgress, signal });
}

/**
 * Check a solution locally: count, distinctness and every nonce below the target. The
 * token's signature and expiry are the server's business.
 * @returns {Promise<{ok: true} | {ok: false, reason: string}>}
 */
export async function verify(challenge, publicKey, solution) {
  const { glue } = await load();
  return verifyWith(glue, challenge, publicKey, solution);
}
