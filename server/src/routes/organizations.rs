//! REST handlers for organizations and their members. `{org_id}` is the numeric id or the
//! UUID; an organization the caller does not belong to is 404.

use crate::extract::{Auth, Json, MergePatch, Meta, Path, Query};
use crate::problem::{ApiResult, JsonBody, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{
    CreateOrganizationRequest, Member, MemberPage, Membership, OrganizationList, OrganizationPatch, PlanChange,
    PlanChangePreview, PlanInfo, PlanList, RoleChange,
};
use agentry_services::vocab::{field, OrgName};
use agentry_services::{OrganizationChanges, PlanRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::Router;
use serde::Deserialize;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list, create, get_one, update, members, change_role, remove_member, plans, change_plan),
    components(schemas(
        OrganizationList, CreateOrganizationRequest, OrganizationPatch, Member, MemberPage, RoleChange, PlanInfo,
        PlanList, PlanChange, PlanChangePreview
    )),
    tags((name = "organizations", description = "Organizations, members and roles"))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations", get(list).post(create))
        .route("/api/v1/organizations/{org_id}", get(get_one).patch(update))
        .route("/api/v1/organizations/{org_id}/members", get(members))
        .route("/api/v1/organizations/{org_id}/members/{user_id}", patch(change_role).delete(remove_member))
        .route("/api/v1/organizations/{org_id}/plan", put(change_plan))
        .route("/api/v1/plans", get(plans))
}

/// List your organizations, with your role in each (a `uak_` key sees only its own).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", operation_id = "list_organizations",
    responses(Unauthenticated, (status = 200, description = "Your organizations", body = OrganizationList)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<OrganizationList>> {
    Ok(Json(s.services.list_organizations(&p).await?))
}

/// Create an organization; you become its owner.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", operation_id = "create_organization",
    request_body = CreateOrganizationRequest,
    responses(JsonBody, Unauthenticated, RateLimited, (status = 201, description = "Created, with you as owner", body = Membership),
        (status = 400, description = "Malformed JSON, or an invalid name", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "A cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Json(req): Json<CreateOrganizationRequest>,
) -> ApiResult<(StatusCode, Json<Membership>)> {
    let name = field("name", OrgName::parse(&req.name))?;
    Ok((StatusCode::CREATED, Json(s.services.create_organization(&p, name, &meta).await?)))
}

/// One of your organizations, with your role.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}", tag = "organizations", operation_id = "get_organization",
    params(("org_id" = String, Path, description = "Numeric id or UUID")),
    responses(Unauthenticated, (status = 200, description = "The organization", body = Membership),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn get_one(State(s): State<AppState>, Auth(p): Auth, Path(org): Path<String>) -> ApiResult<Json<Membership>> {
    Ok(Json(s.services.get_organization(&p, &org).await?))
}

/// Change an organization (owners and admins): a JSON merge patch of `name`.
#[utoipa::path(patch, path = "/api/v1/organizations/{org_id}", tag = "organizations", operation_id = "update_organization",
    params(("org_id" = String, Path, description = "Numeric id or UUID")),
    request_body(content((OrganizationPatch = "application/merge-patch+json"), (OrganizationPatch = "application/json"))),
    responses(Unauthenticated, (status = 200, description = "The organization after the change", body = Membership),
        (status = 400, description = "Malformed JSON, or an invalid name", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner or admin (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is larger than the server accepts (payload_too_large)", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not sent as application/merge-patch+json or application/json (unsupported_media_type)", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "Wrong types, a null name, unknown members, or a defaultAgentId that is not a live agent of the organization (invalid_body)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(org): Path<String>,
    MergePatch(req): MergePatch<OrganizationPatch>,
) -> ApiResult<Json<Membership>> {
    let name = req.name.as_deref().map(|n| field("name", OrgName::parse(n))).transpose()?;
    let changes = OrganizationChanges { name, default_agent_id: req.default_agent_id };
    Ok(Json(s.services.update_organization(&p, &org, changes, &meta).await?))
}

/// Query of `GET /api/v1/organizations/{org_id}/members`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Page size, 1 to 200 (larger values are capped); default 50.
    #[serde(rename = "$top")]
    #[param(minimum = 1)]
    pub top: Option<i64>,
    /// Members to skip; default 0.
    #[serde(rename = "$skip")]
    #[param(minimum = 0)]
    pub skip: Option<i64>,
}

/// The organization's members (any member), oldest first, paged.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/members", tag = "organizations", operation_id = "list_members",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), MembersQuery),
    responses(Unauthenticated, (status = 200, description = "A page of members", body = MemberPage),
        (status = 400, description = "Invalid $top or $skip", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn members(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<MemberPage>> {
    Ok(Json(s.services.list_members(&p, &org, q.top, q.skip).await?))
}

/// Change a member's role. Only owners grant or take away `owner` and `admin`; admins
/// manage operators and members; the last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/organizations/{org_id}/members/{user_id}", tag = "organizations", operation_id = "change_member_role",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), ("user_id" = i64, Path, description = "The member's user id")),
    request_body = RoleChange,
    responses(JsonBody, Unauthenticated, (status = 200, description = "The member with the new role", body = Member),
        (status = 400, description = "Malformed JSON, or an invalid user id", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Your role may not make this change (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such organization of yours (organization_not_found) or member (member_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The organization's last owner (last_owner)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn change_role(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((org, user_id)): Path<(String, i64)>,
    Json(req): Json<RoleChange>,
) -> ApiResult<Json<Member>> {
    Ok(Json(s.services.change_member_role(&p, &org, user_id, req.role, &meta).await?))
}

/// Query of `DELETE /api/v1/organizations/{org_id}/members/{user_id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// Another member who takes over the agents the removed member owns.
    #[serde(rename = "reassignTo")]
    pub reassign_to: Option<i64>,
}

/// Remove a member, or leave yourself. Their keys in the organization are revoked and
/// their sessions there end. The last owner cannot be removed or leave; a member who owns
/// agents needs `reassignTo`.
#[utoipa::path(delete, path = "/api/v1/organizations/{org_id}/members/{user_id}", tag = "organizations", operation_id = "remove_member",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), ("user_id" = i64, Path, description = "The member's user id"), RemoveQuery),
    responses(Unauthenticated, (status = 204, description = "Removed"),
        (status = 400, description = "An invalid user id, or reassignTo not another member (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Your role may not remove this member (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such organization of yours (organization_not_found) or member (member_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The last owner (last_owner), or a member who owns agents, listed in `agents` (member_owns_agents)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn remove_member(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((org, user_id)): Path<(String, i64)>,
    Query(q): Query<RemoveQuery>,
) -> ApiResult<StatusCode> {
    s.services.remove_member(&p, &org, user_id, q.reassign_to, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The plan catalogue.
#[utoipa::path(get, path = "/api/v1/plans", tag = "organizations", operation_id = "list_plans",
    responses(Unauthenticated, (status = 200, description = "The plans, in their configured order", body = PlanList)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn plans(State(s): State<AppState>, _caller: Auth) -> Json<PlanList> {
    Json(s.services.list_plans())
}

/// Query of `PUT /api/v1/organizations/{org_id}/plan`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Only preview the change: answer what would change, change nothing.
    #[serde(rename = "dryRun")]
    pub dry_run: Option<bool>,
}

/// Change the organization's plan or seat limit (owners). `?dryRun=true` previews it.
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/plan", tag = "organizations", operation_id = "change_plan",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), PlanQuery),
    request_body = PlanChange,
    responses(JsonBody, Unauthenticated, (status = 200, description = "Changed, or (dry run) what would change", body = PlanChangePreview),
        (status = 400, description = "Malformed JSON, an unknown plan, or a missing or out-of-range seatLimit (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Below the seats in use, with `seatsUsed` and `seatLimit` (seat_limit_below_usage)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn change_plan(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(org): Path<String>,
    Query(q): Query<PlanQuery>,
    Json(req): Json<PlanChange>,
) -> ApiResult<Json<PlanChangePreview>> {
    let req = PlanRequest { plan: req.plan, seat_limit: req.seat_limit, dry_run: q.dry_run.unwrap_or(false) };
    Ok(Json(s.services.change_plan(&p, &org, req, &meta).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_patch_media_type_is_documented() {
        let doc = crate::routes::docs::openapi();
        let op = doc.paths.paths["/api/v1/organizations/{org_id}"].patch.clone().unwrap();
        assert!(op.request_body.unwrap().content.contains_key(crate::extract::MERGE_PATCH_JSON));
    }
}
