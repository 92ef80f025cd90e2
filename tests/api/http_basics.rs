use agentry_tests::{both, client, problem};
use serde_json::Value;

both!(unknown_api_paths_and_wrong_methods_are_problems, |app| {
    problem(app.get("/api/v1/does-not-exist").await, 404).await;
    let res = client().get(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert!(res.headers().get("allow").is_some());
    problem(res, 405).await;
});

both!(health_readiness_request_ids_and_security_headers, |app| {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-request-id").is_some());
    assert_eq!(res.headers().get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(app.get("/readyz").await.status(), 200);
});

both!(openapi_document_is_3_1_and_lists_the_endpoints, |app| {
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for path in ["/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me", "/api/v1/api-keys"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"]["ApiKeyAuth"].is_object());
});
