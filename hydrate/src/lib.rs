//! Hydrates the server-rendered page in the browser. Nothing else lives here.

// The app's view types nest deeply; laying them out needs more than the default 128.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(agentry_app::App);
}
