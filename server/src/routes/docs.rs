//! The OpenAPI 3.1 document, generated from the handlers, and the interactive reference
//! (Swagger UI, served from this binary) that renders it.

use crate::problem::Problem;
use crate::routes::{auth, keys};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Doc, RefOr, Schema};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::Config;

#[derive(OpenApi)]
#[openapi(
    info(title = "Agentry API", description = "Registry and control plane for software agents."),
    paths(auth::signup, auth::login, auth::logout, auth::me, auth::switch_organization, keys::create, keys::list, keys::revoke),
    components(schemas(Problem)),
    modifiers(&Security),
    tags((name = "auth", description = "Accounts and sessions"), (name = "api-keys", description = "User API keys"))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "SessionCookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(agentry_services::SESSION_COOKIE))),
        );
        c.add_security_scheme("ApiKeyAuth", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
        c.add_security_scheme(
            "BearerAuth",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document, built once.
pub fn openapi() -> Doc {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::routes::registration::ApiDoc::openapi());
    doc.merge(crate::routes::outbox::ApiDoc::openapi());
    doc.merge(crate::routes::organizations::ApiDoc::openapi());
    doc.merge(crate::routes::invitations::ApiDoc::openapi());
    doc.merge(crate::routes::audit::ApiDoc::openapi());
    doc.merge(crate::routes::security::ApiDoc::openapi());
    doc.merge(crate::problem::CatalogueDoc::openapi());
    let mut directory = crate::routes::agents::ApiDoc::openapi();
    directory.merge(crate::routes::variations::ApiDoc::openapi());
    directory.merge(crate::routes::transfers::ApiDoc::openapi());
    doc.merge(crate::routes::transfers::InboxDoc::openapi());
    doc.merge(crate::routes::views::ApiDoc::openapi());
    doc.merge(crate::routes::runs::ApiDoc::openapi());
    doc.merge(crate::routes::run_events::ApiDoc::openapi());
    doc.merge(crate::routes::webhooks::ApiDoc::openapi());
    doc.merge(seed_002_paths(&directory));
    doc.merge(directory);
    doc
}

/// Seed 002 names "the /api/agents endpoints": the directory's `/api/v1/agents` paths,
/// copied under `/api/agents` with `_v0` operation ids (ids must be unique).
fn seed_002_paths(directory: &Doc) -> Doc {
    let mut copy = directory.clone();
    let paths = std::mem::take(&mut copy.paths.paths);
    for (path, mut item) in paths {
        let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten() {
            op.operation_id = op.operation_id.take().map(|id| format!("{id}_v0"));
        }
        copy.paths.paths.insert(path.replacen("/api/v1/agents", "/api/agents", 1), item);
    }
    copy
}

/// `GET /api/openapi.json`: the document, with this server's plan names (`--plans`) as the
/// values `PlanChange.plan` accepts.
pub async fn openapi_json(State(s): State<crate::startup::AppState>) -> Response {
    let mut doc = openapi();
    let names: Vec<String> = s.services.list_plans().value.into_iter().map(|p| p.name).collect();
    if let Some(RefOr::T(Schema::Object(plan_change))) =
        doc.components.as_mut().and_then(|c| c.schemas.get_mut("PlanChange"))
    {
        if let Some(RefOr::T(Schema::Object(plan))) = plan_change.properties.get_mut("plan") {
            plan.enum_values = Some(names.into_iter().map(serde_json::Value::String).collect());
        }
    }
    axum::Json(doc).into_response()
}

/// `GET /api/docs` and `GET /api`: to the interactive reference at `/api/docs/`.
pub async fn reference() -> Redirect {
    Redirect::to(UI_PATH)
}

/// `GET /api/docs/`: Swagger UI (vendored into the binary: no CDN, nothing downloaded at
/// build time) on `/api/openapi.json`, with schemas, examples and "Try it out" (same-origin
/// requests carry the session cookie; API keys go through "Authorize").
pub fn ui<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Config::from(OPENAPI_PATH)
        .try_it_out_enabled(true)
        .display_request_duration(true)
        .filter(true)
        // "none": never ask the public validator service about this document.
        .validator_url("none");
    let config = Arc::new(config);
    let files = get(move |rest: Option<Path<String>>| ui_file(rest.map(|Path(p)| p), config.clone()));
    Router::new()
        .route(UI_PATH, files.clone())
        .route(&format!("{UI_PATH}{{*rest}}"), files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(UI_CSP),
        ))
        .layer(axum::middleware::map_response(cache_files))
        // swagger-ui-bundle.js is ~1.4 MB, ~0.4 MB gzipped.
        .layer(CompressionLayer::new())
}

async fn ui_file(rest: Option<String>, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(rest.as_deref().unwrap_or(""), config) {
        Ok(Some(file)) => ([(header::CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "swagger ui");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The UI's files change only with the binary: browsers may keep them an hour.
async fn cache_files(mut res: Response) -> Response {
    if res.status() == StatusCode::OK {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    }
    res
}

const OPENAPI_PATH: &str = "/api/openapi.json";
const UI_PATH: &str = "/api/docs/";

/// Swagger UI loads only its own files from this server and calls only this server; it
/// styles elements inline and draws icons as `data:` images.
const UI_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
