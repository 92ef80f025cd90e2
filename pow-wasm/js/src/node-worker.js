// Node worker_threads worker, started by node.js.
import { parentPort } from 'node:worker_threads';
import { createHandler } from './worker-core.js';

const handler = createHandler(
  (m) => parentPort.postMessage(m),
  (flavor) => (flavor === 'simd' ? import('./simd/pow_wasm.js') : import('./scalar/pow_wasm.js')),
);
parentPort.on('message', handler);
