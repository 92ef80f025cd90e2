// Browser dedicated worker (module). Loaded by URL from index.js; no blob:, no eval.
import { createHandler } from './worker-core.js';

const handler = createHandler(
  (m) => self.postMessage(m),
  (flavor) => (flavor === 'simd' ? import('./simd/pow_wasm.js') : import('./scalar/pow_wasm.js')),
);
self.onmessage = (e) => handler(e.data);
