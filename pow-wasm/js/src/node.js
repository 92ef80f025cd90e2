// @agentry/pow, Node entry (Node >= 18). Same API as the browser entry; workers are
// worker_threads, and the wasm is read from the package directory (no network).
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import {
  PowError, detectSimd, parseChallenge, normalizePublicKey, runSearch, verifyWith,
  targetForDifficulty, formatTarget, parseNonces, MAX_K, MAX_DIFFICULTY,
} from './core.js';

export { PowError, detectSimd, parseChallenge, targetForDifficulty, formatTarget, parseNonces, MAX_K, MAX_DIFFICULTY };

const loaded = new Map();

/** Compile (once) and instantiate the wasm build for `flavor` ("simd" | "scalar"). */
export function load(flavor = detectSimd() ? 'simd' : 'scalar') {
  if (flavor !== 'simd' && flavor !== 'scalar') {
    return Promise.reject(new PowError('invalid_option', `unknown flavor ${flavor}`));
  }
  if (!loaded.has(flavor)) {
    const p = (async () => {
      const url = new URL(`./${flavor}/pow_wasm_bg.wasm`, import.meta.url);
      const module = await WebAssembly.compile(await readFile(url));
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
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(n, 8));
}

function spawn() {
  const w = new Worker(new URL('./node-worker.js', import.meta.url));
  w.unref();
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.on('message', fn),
    onError: (fn) => w.on('error', fn),
    terminate: () => { void w.terminate(); },
  };
}

/**
 * Solve a challenge: find `challenge.solutions` distinct nonces for `publicKey`.
 * `workers: 0` solves on the calling thread.
 */
export async function solve(challenge, publicKey, options = {}) {
  const parsed = parseChallenge(challenge);
  const pk = normalizePublicKey(publicKey);
  const { onProgress, signal } = options;
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new PowError('invalid_option', 'workers must be an integer in 0..=64');
  }
  if (signal && signal.aborted) throw new PowError('aborted', 'solve was aborted');
  const { module, glue, flavor } = await load(options.flavor);
  const c = glue.deriveC(parsed.token, pk);
  return runSearch({ spawn, glue }, { module, flavor, c, parsed, workers, onProgress, signal });
}

/** Check a solution locally (count, distinctness, targets); not the token signature. */
export async function verify(challenge, publicKey, solution) {
  const { glue } = await load();
  return verifyWith(glue, challenge, publicKey, solution);
}
