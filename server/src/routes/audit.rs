//! REST handlers for the audit log: the filtered list (simple filters and OData query
//! options), chain verification, and the JSON Lines export. Owners, admins and operators
//! only.

use crate::extract::{Auth, Path, Query};
use crate::problem::{ApiResult, Problem, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{AuditEntry, AuditListPage, AuditListQuery, AuditVerification};
use agentry_services::{AuditFilterText, AuditQuery, ServiceError};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, verify, export),
    components(schemas(AuditEntry, AuditListPage, AuditVerification)),
    tags((name = "audit", description = "The tamper-evident audit log"))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations/{org_id}/audit", get(list))
        .route("/api/v1/organizations/{org_id}/audit/verify", get(verify))
        .route("/api/v1/organizations/{org_id}/audit/export", get(export))
}

/// Filters of the audit list and export (the list also takes [`AuditListQuery`]'s OData
/// options, AND-ed with these).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AuditParams {
    /// Only this action, like `member.role_changed`.
    #[param(max_length = 200)]
    pub action: Option<String>,
    /// Only what this user (id) did.
    pub actor: Option<i64>,
    /// Only about this kind of object: `organization`, `member`, `user`, `agent`, `invitation`, …
    #[param(max_length = 200)]
    pub target_type: Option<String>,
    /// Only about this object (its id).
    #[param(max_length = 200)]
    pub target_id: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1 to 200 (larger values are capped); default 50. The export ignores it.
    #[serde(rename = "$top")]
    #[param(minimum = 1)]
    pub top: Option<i64>,
    /// Entries older than this id: the audit page's cursor, and that of the `@odata.nextLink`
    /// of a request without OData options. The export ignores it.
    pub cursor: Option<i64>,
}

impl AuditParams {
    /// The typed filters, or every field that is wrong.
    fn parse(self) -> Result<AuditQuery, ServiceError> {
        // The schema says date-time: a blank one is an error here (the audit page's form,
        // through its server function, sends blanks for "any time").
        let blank = |v: &Option<String>| v.as_deref().is_some_and(|s| s.trim().is_empty());
        let mut blanks = Vec::new();
        for (name, v) in [("since", &self.since), ("until", &self.until)] {
            if blank(v) {
                blanks.push(agentry_services::FieldError::new(name, "A time is RFC 3339, like 2026-12-01T00:00:00Z."));
            }
        }
        if self.top.is_some_and(|t| t < 1) {
            blanks.push(agentry_services::FieldError::new("$top", "$top is at least 1."));
        }
        if !blanks.is_empty() {
            return Err(ServiceError::validation(blanks));
        }
        let text = AuditFilterText {
            action: self.action,
            actor: self.actor,
            target_type: self.target_type,
            target_id: self.target_id,
            since: self.since,
            until: self.until,
        };
        AuditQuery::parse(text, self.top, self.cursor)
    }
}

/// The audit log, newest first, filtered, with keyset paging (`@odata.nextLink`): the
/// simple filters AND-ed with OData `$filter`, `$orderby` (ties break by id), `$select`,
/// `$top` (default 50, at most 200), `$skip` and `$count`, over the same field registry
/// machinery as the agent list. With an OData option, `@odata.nextLink` carries a signed
/// cursor (`$skiptoken`) bound to the filters and the sort; without, the `cursor` of the
/// last entry. Entries written in the last second may not be sealed yet; reading seals them.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/audit", tag = "audit", operation_id = "list_audit",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), AuditParams, AuditListQuery),
    responses(Unauthenticated, (status = 200, description = "A page of entries", body = AuditListPage),
        (status = 400, description = "A query option the server cannot read (invalid_query_option, with param, position, expected and didYouMean), a cursor of another query (cursor_mismatch), a filter of the wrong type (invalid_query), or a bad time or too long a filter (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner, admin or operator (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
    Query(q): Query<AuditParams>,
    Query(o): Query<AuditListQuery>,
) -> ApiResult<Json<AuditListPage>> {
    Ok(Json(s.services.list_audit_odata(&p, &org, &q.parse()?, &o).await?))
}

/// Walk the organization's hash chain: every entry must match its hash and link to the
/// one before it. `firstBadId` names the first that does not.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/audit/verify", tag = "audit", operation_id = "verify_audit",
    params(("org_id" = String, Path, description = "Numeric id or UUID")),
    responses(Unauthenticated, (status = 200, description = "The result", body = AuditVerification),
        (status = 403, description = "Not an owner, admin or operator (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn verify(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<AuditVerification>> {
    Ok(Json(s.services.verify_audit(&p, &org).await?))
}

/// Export the log as JSON Lines (one `AuditEntry` per line), oldest first in chain order,
/// with the list's filters; streamed, however long the log.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/audit/export", tag = "audit", operation_id = "export_audit",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), AuditParams),
    responses(Unauthenticated, (status = 200, description = "JSON Lines: one AuditEntry per line", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A filter of the wrong type (invalid_query), or a bad time or too long a filter (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner, admin or operator (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
    Query(q): Query<AuditParams>,
) -> ApiResult<Response> {
    let lines = s.services.export_audit(&p, &org, q.parse()?).await?;
    let name: String = org.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    let disposition = format!("attachment; filename=\"audit-{name}.jsonl\"");
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(lines),
    )
        .into_response())
}
