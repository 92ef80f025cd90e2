// Browser benchmarks of @agentry/pow in headless Chromium (one run, printed as JSON):
// wasm scalar and SIMD in one worker, the SIMD pool at 1, 2 and all cores, and a
// crypto.subtle.digest baseline. Usage: node bench.mjs [seconds-per-case]
import { startServer, launch, openPage } from './server.mjs';

const SECS = Number(process.argv[2] || 3);
const server = await startServer();
const browser = await launch();
try {
  const { page } = await openPage(browser, server.url);
  const result = await page.evaluate(async (secs) => {
    const pow = window.pow;
    const hard = {
      token: 'bench-token', algorithm: 'sha256', difficulty: 32, target: '0000000100000000',
      solutions: 64, expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    };
    const pk = new Uint8Array(32).fill(7);
    // Steady-state rate: attempts between the first progress event after 1 s and the last.
    async function rate(opts) {
      const ac = new AbortController();
      const events = [];
      const p = pow.solve(hard, pk, { ...opts, signal: ac.signal, onProgress: (e) => events.push({ ...e, t: performance.now() }) });
      await new Promise((r) => setTimeout(r, secs * 1000));
      ac.abort();
      await p.catch(() => {});
      const warm = events.find((e) => e.elapsedMs >= 1000) || events[0];
      const last = events.at(-1);
      return (last.attempts - warm.attempts) / ((last.t - warm.t) / 1000);
    }
    const out = { hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
    out.wasmScalar1 = await rate({ workers: 1, flavor: 'scalar' });
    out.wasmSimd1 = await rate({ workers: 1, flavor: 'simd' });
    out.pool1 = await rate({ workers: 1 });
    out.pool2 = await rate({ workers: 2 });
    out.poolAll = await rate({ workers: Math.min(navigator.hardwareConcurrency, 8) });
    // crypto.subtle baseline: SHA-256 of the same 40-byte input shape, 64 digests in flight.
    const buf = new Uint8Array(40);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < secs * 1000) {
      const batch = [];
      for (let i = 0; i < 64; i++) {
        const b = buf.slice();
        new DataView(b.buffer).setUint32(32, n + i, true);
        batch.push(crypto.subtle.digest('SHA-256', b));
      }
      await Promise.all(batch);
      n += 64;
    }
    out.cryptoSubtle = n / ((performance.now() - t0) / 1000);
    return out;
  }, SECS);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
