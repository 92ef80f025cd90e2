//! Values that are SQL to a careless writer travel intact through the registration's
//! batch (on PostgreSQL its arguments are written as literals, `store/batch.rs`).

use agentry_tests::{both, keypair, registration, Who};
use reqwest::Method;
use serde_json::{json, Value};

both!(quotes_backslashes_and_placeholders_are_stored_as_written, |app| {
    app.signup().await;
    let tricky = [
        r"it's O'Brien's \' agent",
        r"$1 $2 -- ; DROP TABLE agents; /* \\ */ '');",
        "tab\tnewline\n \u{e9}\u{1f916} E'\\x41' $$ dollar $$",
    ];
    for (i, text) in tricky.iter().enumerate() {
        let c = app.challenge(&Who::Session, "").await;
        let (_, pk) = keypair();
        let mut body = registration(&c, &pk, &format!("quote's-{i}"));
        body["description"] = json!(text);
        let res = app.req(Method::POST, "/api/v1/registration/agent", &Who::Session).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let got: Value = res.json().await.unwrap();
        assert_eq!(got["agent"]["description"], json!(text), "{got}");
        assert_eq!(got["agent"]["name"], json!(format!("quote's-{i}")));
        let id = got["agent"]["id"].as_i64().unwrap();
        let row = sqlx::query("SELECT description FROM agents WHERE id = $1")
            .bind(id)
            .fetch_one(&app.services.db().pool)
            .await
            .unwrap();
        assert_eq!(sqlx::Row::try_get::<String, _>(&row, "description").unwrap(), *text);
    }
    assert_eq!(app.count("agents").await, 3);
});
