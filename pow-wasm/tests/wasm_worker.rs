//! wasm-bindgen tests in headless Chromium, inside a dedicated worker.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

mod common;

#[wasm_bindgen_test]
fn vectors_in_worker() {
    common::check_vectors();
}

#[wasm_bindgen_test]
fn kernels_match_sha2_in_worker() {
    common::check_kernels();
}
