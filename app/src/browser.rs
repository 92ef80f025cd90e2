//! Browser capabilities the hydrated pages need and Rust cannot reach directly: WebCrypto
//! Ed25519 keys, the `@agentry/pow` worker pool, the clipboard and file downloads. The
//! JavaScript side is `app/js/browser.js`. On the server every call is an inert stub:
//! these only ever run from event handlers, after hydration.

use serde::Deserialize;

/// A key pair generated in the browser, both halves base64.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPair {
    /// The raw 32-byte Ed25519 public key.
    pub public_key: String,
    /// The PKCS#8 private key. Never leaves the browser unless the user downloads it.
    pub private_key: String,
}

/// A progress event of the solver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Nonces tried so far.
    pub attempts: f64,
    /// Current hash rate, all workers together.
    pub hashes_per_second: f64,
    /// Valid nonces found so far.
    pub found: u32,
    /// Valid nonces needed.
    pub k: u32,
    /// Expected seconds left; `None` before the rate is known.
    pub eta_seconds: Option<f64>,
    /// Time spent so far.
    #[serde(default)]
    pub elapsed_ms: f64,
}

impl Progress {
    /// How far along the solve is, 0 to 100: solutions found, or elapsed time against the
    /// estimate when that says more (solutions arrive in jumps at high difficulty).
    pub fn percent(&self) -> f64 {
        let by_count = if self.k == 0 { 0.0 } else { f64::from(self.found) / f64::from(self.k) };
        let by_time = match self.eta_seconds {
            Some(eta) if eta.is_finite() && eta >= 0.0 && self.elapsed_ms > 0.0 => {
                self.elapsed_ms / (self.elapsed_ms + eta * 1000.0)
            }
            _ => 0.0,
        };
        (by_count.max(by_time) * 100.0).clamp(0.0, 100.0)
    }
}

/// Why a solve stopped without a solution.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PowFailure {
    /// The `PowError` code: `aborted`, `expired`, `load_error`, …
    pub code: String,
    /// The solver's message.
    pub message: String,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Deserialize)]
struct Solution {
    nonces: Vec<String>,
}

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/browser.js")]
    extern "C" {
        #[wasm_bindgen(catch, js_name = generateEd25519)]
        pub async fn generate_ed25519() -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = solvePow)]
        pub async fn solve_pow(
            challenge: &str,
            public_key: &str,
            on_progress: &Closure<dyn FnMut(String)>,
        ) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_name = cancelPow)]
        pub fn cancel_pow();
        #[wasm_bindgen(js_name = copyText)]
        pub async fn copy_text(text: &str) -> JsValue;
        #[wasm_bindgen(js_name = downloadText)]
        pub fn download_text(filename: &str, mime: &str, text: &str);
    }
}

/// Generates an extractable Ed25519 key pair with WebCrypto.
pub async fn generate_key_pair() -> Result<KeyPair, String> {
    #[cfg(feature = "hydrate")]
    {
        let value = js::generate_ed25519().await.map_err(|e| {
            format!("This browser could not generate an Ed25519 key ({}). Paste a public key instead.", js_text(&e))
        })?;
        serde_json::from_str(&js_text(&value)).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    Err("Key generation needs the browser.".into())
}

/// Solves `challenge` (the challenge's JSON) for `public_key` (base64) in the worker pool,
/// reporting progress; resolves to the nonces.
pub async fn solve(
    challenge: &str,
    public_key: &str,
    on_progress: impl FnMut(Progress) + 'static,
) -> Result<Vec<String>, PowFailure> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        let mut on_progress = on_progress;
        let callback = Closure::<dyn FnMut(String)>::new(move |json: String| {
            if let Ok(p) = serde_json::from_str::<Progress>(&json) {
                on_progress(p);
            }
        });
        // `callback` lives until the solve settles, so the workers never call a dropped closure.
        let result = js::solve_pow(challenge, public_key, &callback).await;
        drop(callback);
        match result {
            Ok(v) => serde_json::from_str::<Solution>(&js_text(&v))
                .map(|s| s.nonces)
                .map_err(|e| PowFailure { code: "invalid_solution".into(), message: e.to_string() }),
            Err(e) => Err(serde_json::from_str(&js_text(&e))
                .unwrap_or_else(|_| PowFailure { code: "worker_error".into(), message: js_text(&e) })),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        _ = (challenge, public_key, on_progress);
        Err(PowFailure { code: "load_error".into(), message: "The solver needs the browser.".into() })
    }
}

/// Cancels the solve in flight; it then fails with code `aborted`.
pub fn cancel_solve() {
    #[cfg(feature = "hydrate")]
    js::cancel_pow();
}

/// Copies `text` to the clipboard; `false` when the browser refused.
pub async fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        js::copy_text(text).await.as_bool().unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        _ = text;
        false
    }
}

/// Offers `text` as a download named `filename`.
pub fn download(filename: &str, mime: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    js::download_text(filename, mime, text);
    #[cfg(not(feature = "hydrate"))]
    {
        _ = (filename, mime, text);
    }
}

#[cfg(feature = "hydrate")]
fn js_text(v: &wasm_bindgen::JsValue) -> String {
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

/// This page's origin, e.g. `https://agentry.example`; empty on the server.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}
