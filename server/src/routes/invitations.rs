//! REST handlers for member invitations: owners and admins invite, list, resend and
//! cancel; the recipient accepts with the emailed `mbr_` token.

use crate::extract::{Auth, Json, Meta, Path};
use crate::problem::{ApiResult, JsonBody, Problem, RateLimited, Unauthenticated, PROBLEM_JSON};
use crate::startup::AppState;
use agentry_services::model::{
    AcceptInvitationRequest, CreateInvitationRequest, InvitationList, MemberInvitation, Membership,
};
use agentry_services::vocab::{field, Email, MemberInviteToken};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(create, list, resend, cancel, accept),
    components(schemas(CreateInvitationRequest, MemberInvitation, InvitationList, AcceptInvitationRequest)),
    tags((name = "invitations", description = "Inviting people to join an organization"))
)]
pub struct ApiDoc;

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations/{org_id}/invitations", get(list).post(create))
        .route("/api/v1/organizations/{org_id}/invitations/{id}/resend", post(resend))
        .route("/api/v1/organizations/{org_id}/invitations/{id}/cancel", post(cancel))
        .route("/api/v1/invitations/accept", post(accept))
}

/// Invite an address to join (owners and admins; admins invite operators and members).
/// The link is emailed; it works once, for 7 days. The answer is the same whether or not
/// the address has an account.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/invitations", tag = "invitations", operation_id = "create_invitation",
    params(("org_id" = String, Path, description = "Numeric id or UUID")),
    request_body = CreateInvitationRequest,
    responses(JsonBody, Unauthenticated, RateLimited, (status = 201, description = "Invited; the email is queued", body = MemberInvitation),
        (status = 400, description = "Malformed JSON, or an invalid email (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner or admin, or an admin inviting an owner or admin (not_allowed); or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Already a member (already_member), or an open invitation to this address, named in `invitationId` (invitation_pending)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path(org): Path<String>,
    Json(req): Json<CreateInvitationRequest>,
) -> ApiResult<(StatusCode, Json<MemberInvitation>)> {
    let email = field("email", Email::parse(&req.email))?;
    Ok((StatusCode::CREATED, Json(s.services.invite_member(&p, &org, &email, req.role, &meta).await?)))
}

/// The open invitations (pending and expired), newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/invitations", tag = "invitations", operation_id = "list_invitations",
    params(("org_id" = String, Path, description = "Numeric id or UUID")),
    responses(Unauthenticated, (status = 200, description = "The open invitations", body = InvitationList),
        (status = 403, description = "Not an owner or admin (not_allowed)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "Not one of your organizations (organization_not_found)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<InvitationList>> {
    Ok(Json(s.services.list_invitations(&p, &org).await?))
}

/// Email a new link (owners and admins); the old link stops working and the new one
/// works for 7 days. Expired invitations can be resent.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/invitations/{id}/resend", tag = "invitations", operation_id = "resend_invitation",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), ("id" = i64, Path, description = "The invitation's id")),
    responses(Unauthenticated, RateLimited, (status = 200, description = "Resent", body = MemberInvitation),
        (status = 400, description = "An invalid invitation id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner or admin (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such organization of yours (organization_not_found) or invitation (invitation_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Already accepted or cancelled (invitation_not_pending)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn resend(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, i64)>,
) -> ApiResult<Json<MemberInvitation>> {
    Ok(Json(s.services.resend_invitation(&p, &org, id, &meta).await?))
}

/// Cancel an open invitation (owners and admins); its link stops working.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/invitations/{id}/cancel", tag = "invitations", operation_id = "cancel_invitation",
    params(("org_id" = String, Path, description = "Numeric id or UUID"), ("id" = i64, Path, description = "The invitation's id")),
    responses(Unauthenticated, (status = 200, description = "Cancelled", body = MemberInvitation),
        (status = 400, description = "An invalid invitation id (invalid_path)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an owner or admin (not_allowed), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such organization of yours (organization_not_found) or invitation (invitation_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Already accepted or cancelled (invitation_not_pending)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Path((org, id)): Path<(String, i64)>,
) -> ApiResult<Json<MemberInvitation>> {
    Ok(Json(s.services.cancel_invitation(&p, &org, id, &meta).await?))
}

/// Join the organization of an invitation, as the signed-in user it was sent to (the
/// email must match, ignoring case). The link works once.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations", operation_id = "accept_invitation",
    request_body = AcceptInvitationRequest,
    responses(JsonBody, Unauthenticated, (status = 200, description = "Joined: the organization, with your role", body = Membership),
        (status = 400, description = "Malformed JSON, or a missing or malformed token (validation)", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Sent to another address (not_invite_recipient), or a cross-site cookie request (csrf)", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "An unknown, used, replaced or cancelled link (invitation_not_found)", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Already a member (already_member)", body = Problem, content_type = PROBLEM_JSON),
        (status = 410, description = "The link has expired (invitation_expired)", body = Problem, content_type = PROBLEM_JSON)),
    security(("SessionCookie" = []), ("ApiKeyAuth" = []), ("BearerAuth" = [])))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(meta): Meta,
    Json(req): Json<AcceptInvitationRequest>,
) -> ApiResult<Json<Membership>> {
    let token = field("token", MemberInviteToken::parse(req.token.as_deref().unwrap_or("")))?;
    Ok(Json(s.services.accept_invitation(&p, &token, &meta).await?))
}
