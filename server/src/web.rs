//! The Leptos web app: server-side rendering, server functions, and built assets.

use crate::startup::AppState;
use agentry_services::Services;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::path::Path;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// The bundle's name when the build did not record one (`hydrate/post-build.sh` writes
/// `pkg/hydrate-output-name.txt`, e.g. `agentry_hydrate.0123456789abcdef`).
const DEFAULT_OUTPUT_NAME: &str = "agentry_hydrate";
const OUTPUT_NAME_FILE: &str = "hydrate-output-name.txt";

/// Leptos options: Trunk builds `<name>.js`/`<name>_bg.wasm` into `<site_root>/pkg`, where
/// `<name>` is the content-hashed name recorded by the build.
pub fn leptos_options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(output_name(site_root))
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .build()
}

/// The hydrate bundle's output name, read once at start-up.
fn output_name(site_root: &Path) -> String {
    let recorded = std::fs::read_to_string(site_root.join("pkg").join(OUTPUT_NAME_FILE)).ok();
    match recorded.as_deref().map(str::trim) {
        Some(name) if is_hashed_name(name) => name.to_string(),
        _ => DEFAULT_OUTPUT_NAME.to_string(),
    }
}

/// `agentry_hydrate.<hex>`: a name that changes whenever the bundle does.
fn is_hashed_name(name: &str) -> bool {
    name.strip_prefix("agentry_hydrate.").is_some_and(|h| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn context(services: Services) -> impl Fn() + Clone + Send + Sync + 'static {
    move || provide_context(services.clone())
}

/// Pages, server functions under `/fn/`, static assets under `/pkg/`, and the API
/// reference's files under `/api/docs/`.
pub fn router(state: &AppState, site_root: &Path) -> Router<AppState> {
    let routes = generate_route_list(agentry_app::App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/fn/{*fn_name}", post(server_fn).get(server_fn))
        .leptos_routes_with_context(state, routes, context(state.services.clone()), move || {
            agentry_app::shell(options.clone())
        })
        .merge(crate::routes::docs::ui())
        .nest_service("/pkg", assets(site_root, &state.leptos_options.output_name))
}

/// `/pkg/`: Trunk's output. The build puts `.br` and `.gz` copies next to each asset, sent
/// as they are to clients that accept them. The content-hashed bundle is immutable; every
/// other asset has a fixed name and is revalidated (`no-cache` + `Last-Modified`).
fn assets(site_root: &Path, output_name: &str) -> Router {
    let files = ServeDir::new(site_root.join("pkg")).precompressed_br().precompressed_gzip();
    let hashed: Arc<[String]> = if is_hashed_name(output_name) {
        Arc::new([format!("/{output_name}.js"), format!("/{output_name}_bg.wasm")])
    } else {
        Arc::new([])
    };
    Router::new().fallback_service(files).layer(axum::middleware::from_fn(move |req: Request, next: Next| {
        let long = hashed.iter().any(|p| p == req.uri().path());
        async move {
            let mut res = next.run(req).await;
            let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
            let cache = if long && found { IMMUTABLE } else { "no-cache" };
            let headers = res.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            res
        }
    }))
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(context(state.services.clone()), req).await
}

/// Pages nobody routes to: the app renders its own "not found" page.
pub async fn not_found_page(State(state): State<AppState>, req: Request<Body>) -> Response {
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(context(state.services.clone()), move || {
        agentry_app::shell(options.clone())
    });
    handler(req).await.into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tower::ServiceExt;

    const NAME: &str = "agentry_hydrate.0123456789abcdef";

    /// A site root with a hashed bundle, its precompressed copies, and a fixed-name file.
    fn site(recorded: &str) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("agentry-web-{}", uuid::Uuid::new_v4().simple()));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join(OUTPUT_NAME_FILE), recorded).unwrap();
        for (file, body) in [
            (format!("{NAME}_bg.wasm"), "raw wasm"),
            (format!("{NAME}_bg.wasm.br"), "br"),
            (format!("{NAME}_bg.wasm.gz"), "gz"),
            ("main.css".to_string(), "body{}"),
        ] {
            std::fs::write(pkg.join(file), body).unwrap();
        }
        root
    }

    async fn get(root: &Path, path: &str, encoding: &str) -> (Response, String) {
        let req = Request::get(path).header(header::ACCEPT_ENCODING, encoding).body(Body::empty()).unwrap();
        let res = assets(root, &output_name(root)).oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (Response::from_parts(parts, Body::empty()), String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_hashed_bundle_is_precompressed_and_immutable() {
        let root = site(&format!("{NAME}\n"));
        assert_eq!(leptos_options(&root).output_name.as_ref(), NAME);
        let wasm = format!("/{NAME}_bg.wasm");
        for (accept, encoding, body) in
            [("gzip, br", Some("br"), "br"), ("gzip", Some("gzip"), "gz"), ("identity", None, "raw wasm")]
        {
            let (res, got) = get(&root, &wasm, accept).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(got, body);
            assert_eq!(res.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()), encoding);
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
            assert_eq!(res.headers()[header::CACHE_CONTROL], IMMUTABLE);
            assert_eq!(res.headers()[header::VARY], "accept-encoding");
        }
        let (css, _) = get(&root, "/main.css", "br").await;
        assert_eq!(css.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(css.headers().contains_key(header::LAST_MODIFIED));
        let (missing, _) = get(&root, "/agentry_hydrate.ffffffffffffffff.js", "br").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()[header::CACHE_CONTROL], "no-cache");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn without_a_recorded_name_the_bundle_keeps_its_plain_name() {
        let root = site("../../etc/passwd");
        assert_eq!(output_name(&root), DEFAULT_OUTPUT_NAME);
        assert_eq!(output_name(Path::new("/nonexistent")), DEFAULT_OUTPUT_NAME);
        std::fs::remove_dir_all(root).unwrap();
    }
}
