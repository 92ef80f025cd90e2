//! wasm-bindgen tests in headless Chromium, main thread. Run via scripts/test.sh.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

#[wasm_bindgen_test]
fn vectors_main_thread() {
    common::check_vectors();
}

#[wasm_bindgen_test]
fn kernels_match_sha2_main_thread() {
    common::check_kernels();
}
