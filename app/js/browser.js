// Browser-only helpers for the hydrated app: WebCrypto keys, the proof-of-work solver,
// the clipboard and file downloads. Bound in `app/src/browser.rs` with wasm-bindgen; Trunk
// serves this file from /pkg/snippets/. No eval, no blob: URLs, so a strict CSP works.

function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A fresh, extractable Ed25519 key pair: raw public key and PKCS#8 private key, base64. */
export async function generateEd25519() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return JSON.stringify({ publicKey: toBase64(raw), privateKey: toBase64(pkcs8) });
}

// The solve in flight, so the page's Cancel button can abort it.
let running = null;

/**
 * Solves a challenge (JSON text) for a base64 public key in the `@agentry/pow` worker
 * pool. `onProgress` receives each progress event as JSON text. Resolves with the
 * solution as JSON text; rejects with `{"code","message"}` JSON text.
 */
export async function solvePow(challengeJson, publicKey, onProgress) {
  const controller = new AbortController();
  running?.abort();
  running = controller;
  try {
    const pow = await import('/pkg/pow/index.js');
    const solution = await pow.solve(JSON.parse(challengeJson), publicKey, {
      signal: controller.signal,
      onProgress: (p) => onProgress(JSON.stringify({ ...p, etaSeconds: Number.isFinite(p.etaSeconds) ? p.etaSeconds : null })),
    });
    return JSON.stringify(solution);
  } catch (e) {
    throw JSON.stringify({ code: e?.code || 'load_error', message: String(e?.message || e) });
  } finally {
    if (running === controller) running = null;
  }
}

/** Aborts the solve in flight, if any; it then rejects with code "aborted". */
export function cancelPow() {
  running?.abort();
}

/** Copies text to the clipboard; resolves to whether it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Offers `text` as a file download named `filename`, through a data: URL. */
export function downloadText(filename, mime, text) {
  const a = document.createElement('a');
  a.href = `data:${mime};charset=utf-8,${encodeURIComponent(text)}`;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}
