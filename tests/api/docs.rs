//! `/api/docs`: the interactive reference (Swagger UI) is served by the server itself, loads
//! `/api/openapi.json`, and every file it needs comes from this server.

use agentry_tests::{both, problem};
use reqwest::redirect::Policy;

/// The `src`/`href` values of an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            out.push(part.split('"').next().unwrap_or_default().to_string());
        }
    }
    out
}

both!(api_docs_serve_swagger_ui_and_its_assets_from_this_server, |app| {
    // `/api/docs` and `/api` send browsers to the UI.
    let raw = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    for path in ["/api/docs", "/api"] {
        let res = raw.get(app.url(path)).send().await.unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(res.headers()["location"], "/api/docs/", "{path}");
    }

    let res = app.get("/api/docs").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.url().path(), "/api/docs/");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"swagger-ui\""), "{html}");

    // Every script, stylesheet and icon the page names loads from here: no CDN.
    let assets = links(&html);
    assert!(assets.iter().any(|a| a.ends_with("swagger-ui-bundle.js")), "{assets:?}");
    for asset in &assets {
        assert!(!asset.contains("//"), "{asset} is not served by this server");
        let res = app.get(&format!("/api/docs/{}", asset.trim_start_matches("./"))).await;
        assert_eq!(res.status(), 200, "{asset}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        let want = match asset.rsplit('.').next() {
            Some("js") => "javascript",
            Some("css") => "text/css",
            _ => "image/",
        };
        assert!(kind.contains(want), "{asset}: {kind}");
        assert!(!res.bytes().await.unwrap().is_empty(), "{asset}");
    }

    // The UI is configured for this server's document, and nothing else.
    let init = app.get("/api/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    assert!(init.contains("\"tryItOutEnabled\": true") || init.contains("\"tryItOutEnabled\":true"), "{init}");
    assert!(!init.contains("petstore") && !init.contains("http"), "{init}");
    let doc = app.get("/api/openapi.json").await;
    assert_eq!(doc.status(), 200);

    // Unknown files under the UI are problems like any other unknown API path.
    problem(app.get("/api/docs/no-such-file.js").await, 404).await;
});
