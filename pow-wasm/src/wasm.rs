//! wasm-bindgen bindings used by the JS package (`js/`). Low level: the JS side owns
//! challenge parsing, the worker pool and typed errors.

use crate::{derive, hash_prefix, parse_target, target_for_difficulty, verify_nonces, Solver};
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

/// A precomputed nonce searcher for one challenge (`C`, target).
#[wasm_bindgen(js_name = Searcher)]
pub struct Searcher {
    inner: Solver,
    tried: u64,
}

#[wasm_bindgen(js_class = Searcher)]
impl Searcher {
    /// `c`: the 32-byte challenge value; `target_hex`: 16 hex digits.
    #[wasm_bindgen(constructor)]
    pub fn new(c: &[u8], target_hex: &str) -> Result<Searcher, JsError> {
        let c: [u8; 32] = c.try_into().map_err(|_| JsError::new("C must be 32 bytes"))?;
        let target = parse_target(target_hex).ok_or_else(|| JsError::new("bad target"))?;
        Ok(Searcher { inner: Solver::new(&c, target), tried: 0 })
    }

    /// Scan `start .. start + count`, returning up to `want` valid nonces in increasing
    /// order; [`Searcher::tried`] then holds how many nonces were tried.
    pub fn search(&mut self, start: u64, count: u32, want: u32) -> Vec<u64> {
        let mut out = Vec::new();
        self.tried = self.inner.search(start, count as u64, &mut out, want as usize);
        out
    }

    /// Nonces tried by the last [`Searcher::search`].
    #[wasm_bindgen(getter)]
    pub fn tried(&self) -> f64 {
        self.tried as f64
    }

    /// The kernel in use: `"simd128"` or `"scalar"`.
    #[wasm_bindgen(getter)]
    pub fn kernel(&self) -> String {
        String::from(self.inner.kernel().name())
    }
}

/// `C = SHA-256(DOMAIN ‖ token ‖ SHA-256(publicKey))`.
#[wasm_bindgen(js_name = deriveC)]
pub fn derive_c(token: &str, public_key: &[u8]) -> Vec<u8> {
    derive(token.as_bytes(), public_key).to_vec()
}

/// The target for `bits` of difficulty, as 16 hex digits.
#[wasm_bindgen(js_name = targetForDifficulty)]
pub fn target_for_difficulty_hex(bits: u32) -> String {
    crate::format_target(target_for_difficulty(bits))
}

/// The hash prefix of `nonce` for `c`, as 16 hex digits.
#[wasm_bindgen(js_name = hashPrefix)]
pub fn hash_prefix_hex(c: &[u8], nonce: u64) -> Result<String, JsError> {
    let c: [u8; 32] = c.try_into().map_err(|_| JsError::new("C must be 32 bytes"))?;
    Ok(crate::format_target(hash_prefix(&c, nonce)))
}

/// Check `k` distinct nonces below the target; returns `undefined` when valid, else an
/// error code such as `"nonce_above_target:3"`.
#[wasm_bindgen(js_name = checkNonces)]
pub fn check_nonces(c: &[u8], target_hex: &str, k: u32, nonces: &[u64]) -> Option<String> {
    let Ok(c) = <[u8; 32]>::try_from(c) else {
        return Some(String::from("bad_c"));
    };
    let Some(target) = parse_target(target_hex) else {
        return Some(String::from("bad_target"));
    };
    match verify_nonces(&c, target, k as usize, nonces) {
        Ok(()) => None,
        Err(e) => {
            let mut msg = String::from(e.code());
            if let crate::VerifyError::DuplicateNonce { index } | crate::VerifyError::NonceAboveTarget { index } = e {
                msg.push_str(" at index ");
                msg.push_str(&crate::format_nonce(index as u64));
            }
            Some(msg)
        }
    }
}

/// The kernel this wasm build uses: `"simd128"` or `"scalar"`.
#[wasm_bindgen(js_name = kernelName)]
pub fn kernel_name() -> String {
    String::from(crate::Kernel::best().name())
}
