//! The Leptos web app: server-side rendering, server functions, and built assets.

use crate::startup::AppState;
use agentry_services::Services;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Leptos options: Trunk builds `agentry_hydrate.js`/`_bg.wasm` into `<site_root>/pkg`.
pub fn leptos_options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("agentry_hydrate")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .build()
}

fn context(services: Services) -> impl Fn() + Clone + Send + Sync + 'static {
    move || provide_context(services.clone())
}

/// Pages, server functions under `/fn/`, and static assets under `/pkg/`.
pub fn router(state: &AppState, site_root: &Path) -> Router<AppState> {
    let routes = generate_route_list(agentry_app::App);
    let options = state.leptos_options.clone();
    let assets = ServeDir::new(site_root.join("pkg"));
    Router::new()
        .route("/fn/{*fn_name}", post(server_fn).get(server_fn))
        .leptos_routes_with_context(state, routes, context(state.services.clone()), move || {
            agentry_app::shell(options.clone())
        })
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                // gzip: the hydrate wasm goes from ~1.5 MB to ~0.56 MB on the wire.
                .layer(tower_http::compression::CompressionLayer::new())
                .layer(SetResponseHeaderLayer::overriding(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-cache"),
                ))
                .service(assets),
        )
}

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
