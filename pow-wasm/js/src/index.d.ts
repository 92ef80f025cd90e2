/** Challenge JSON as returned by `GET /api/v1/registration/challenge` (PROTOCOL.md §1). */
export interface Challenge {
  id?: string;
  /** Signed, opaque challenge token (bound into the work). */
  token: string;
  /** Must be "sha256". */
  algorithm: 'sha256' | string;
  /** Leading zero bits, 0..=32. */
  difficulty: number;
  /** 16 hex digits; must equal 2^(64 - difficulty). */
  target: string;
  /** k: number of distinct nonces to find, 1..=64. */
  solutions: number;
  /** RFC 3339 expiry. */
  expiresAt: string;
  issuedTo?: string;
}

/** Progress event, at most every 100 ms and once at the end. */
export interface Progress {
  /** Nonces tried so far (all workers). */
  attempts: number;
  hashesPerSecond: number;
  /** Valid nonces found so far (≤ k). */
  found: number;
  k: number;
  /** Expected seconds to completion at the current rate (Infinity before the first result). */
  etaSeconds: number;
  elapsedMs: number;
}

export interface SolveOptions {
  /** Worker count; default min(hardwareConcurrency, 8). 0 = solve on the calling thread. */
  workers?: number;
  onProgress?: (p: Progress) => void;
  /** Aborting terminates all workers and rejects with PowError code "aborted". */
  signal?: AbortSignal;
  /** Force a wasm build (benchmarks/tests); default: "simd" when WebAssembly.validate accepts SIMD. */
  flavor?: 'simd' | 'scalar';
}

/** POST `{ nonces: solution.nonces }` back to the server. */
export interface Solution {
  /** k distinct nonces, decimal u64 strings, ascending (the k smallest valid nonces from 0). */
  nonces: string[];
  attempts: number;
  elapsedMs: number;
  hashesPerSecond: number;
  workers: number;
  kernel: 'simd128' | 'scalar' | null;
}

export type PowErrorCode =
  | 'invalid_challenge'
  | 'unsupported_algorithm'
  | 'invalid_difficulty'
  | 'invalid_k'
  | 'invalid_target'
  | 'expired'
  | 'invalid_public_key'
  | 'invalid_solution'
  | 'invalid_option'
  | 'aborted'
  | 'worker_error'
  | 'wasm_error'
  | 'load_error';

export class PowError extends Error {
  readonly name: 'PowError';
  readonly code: PowErrorCode;
  constructor(code: PowErrorCode, message: string);
}

export const MAX_K: 64;
export const MAX_DIFFICULTY: 32;

/** Solve `challenge` for the raw public key bytes (or their base64). Rejects with PowError. */
export function solve(
  challenge: Challenge,
  publicKey: Uint8Array | ArrayBuffer | ArrayBufferView | string,
  options?: SolveOptions,
): Promise<Solution>;

/** Check a solution locally (k, distinctness, each hash below the target); not the signature. */
export function verify(
  challenge: Challenge,
  publicKey: Uint8Array | ArrayBuffer | ArrayBufferView | string,
  solution: { nonces: string[] } | string[],
): Promise<{ ok: true } | { ok: false; reason: string }>;

/** Validate a challenge (throws PowError). */
export function parseChallenge(
  challenge: unknown,
  options?: { now?: number; checkExpiry?: boolean },
): { token: string; difficulty: number; k: number; target: bigint; targetHex: string; expiresAtMs: number };

/** 2^(64 - difficulty); 0 → 2^64 - 1; ≥ 64 → 0. */
export function targetForDifficulty(difficulty: number): bigint;
export function formatTarget(target: bigint): string;
export function parseNonces(solution: { nonces: string[] } | string[]): bigint[];
/** Whether WebAssembly SIMD128 is available (decides which wasm build is used). */
export function detectSimd(): boolean;
/** Fetch/compile (once) a wasm build; resolves to the compiled module and its glue. */
export function load(flavor?: 'simd' | 'scalar'): Promise<{ module: WebAssembly.Module; glue: unknown; flavor: 'simd' | 'scalar' }>;
