//! The OpenAPI 3.1 document, generated from the handlers, and a reference page that
//! renders it without any third-party script.

use crate::problem::Problem;
use crate::routes::{auth, keys};
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Doc, PathItem};
use utoipa::{Modify, OpenApi};

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
    doc.merge(crate::problem::CatalogueDoc::openapi());
    doc
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Response {
    axum::Json(openapi()).into_response()
}

/// `GET /api/docs`: every operation, its parameters and answers, as plain HTML.
pub async fn reference() -> Html<String> {
    let doc = openapi();
    let mut body = String::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let summary = op.summary.as_deref().unwrap_or("");
            body.push_str(&format!(
                "<section class=\"op\"><h2><span class=\"m {m}\">{M}</span> <code>{p}</code></h2><p>{s}</p><ul>",
                m = method,
                M = method.to_uppercase(),
                p = esc(path),
                s = esc(summary)
            ));
            for (status, resp) in &op.responses.responses {
                let desc = match resp {
                    utoipa::openapi::RefOr::T(r) => r.description.clone(),
                    utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
                };
                body.push_str(&format!("<li><code>{}</code> {}</li>", esc(status), esc(&desc)));
            }
            body.push_str("</ul></section>");
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Agentry API reference</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
@media (prefers-color-scheme:dark){{body{{background:#111;color:#eee}}}}.m{{font:600 .8rem monospace;padding:.1rem .4rem;border-radius:.3rem;background:#8884}}\
.op{{border-top:1px solid #8884;padding:.5rem 0}}h2{{font-size:1.05rem}}</style></head><body><h1>Agentry API reference</h1>\
<p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1). Errors are RFC 9457 <code>application/problem+json</code>.</p>{body}</body></html>"
    ))
}

fn operations(item: &PathItem) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [("get", &item.get), ("post", &item.post), ("put", &item.put), ("patch", &item.patch), ("delete", &item.delete)]
        .into_iter()
        .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
