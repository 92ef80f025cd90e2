//! Server functions for member invitations (the organization page's invite form and
//! pending list) and the join page.

use crate::error::AppError;
use agentry_services::model::{InvitationList, InvitationPreview, MemberInvitation};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ctx;

/// The current organization's open invitations, or `None` when nobody is signed in or the
/// viewer may not manage invitations (operators and members).
#[server(prefix = "/fn", endpoint = "invitations")]
pub async fn list_invitations() -> Result<Option<InvitationList>, AppError> {
    let services = ctx::services()?;
    let Some(p) = ctx::principal(&services).await? else {
        return Ok(None);
    };
    match services.list_invitations(&p, &p.org_id.to_string()).await {
        Ok(list) => Ok(Some(list)),
        Err(e) if e.is(agentry_services::ErrorCode::NotAllowed) => Ok(None),
        Err(e) => Err(ctx::fail(e)),
    }
}

/// Invites `email` to the current organization as `role`, and emails the link. A plain
/// form post returns to the page it came from.
#[server(prefix = "/fn", endpoint = "invite-member")]
pub async fn invite_member(email: String, role: String) -> Result<MemberInvitation, AppError> {
    use agentry_services::vocab::{Email, Fields};
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(&email));
    let role = fields.take(
        "role",
        agentry_services::model::Role::parse(role.trim()).ok_or(agentry_services::vocab::Invalid("Choose a role.")),
    );
    let (Some(email), Some(role)) = (email, role) else {
        return Err(ctx::invalid(fields.0));
    };
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.invite_member(&p, &p.org_id.to_string(), &email, role, &meta).await.map_err(ctx::fail)
}

/// Emails a new link for invitation `id` (the old one dies).
#[server(prefix = "/fn", endpoint = "resend-invitation")]
pub async fn resend_invitation(id: i64) -> Result<MemberInvitation, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.resend_invitation(&p, &p.org_id.to_string(), id, &meta).await.map_err(ctx::fail)
}

/// Cancels invitation `id`.
#[server(prefix = "/fn", endpoint = "cancel-invitation")]
pub async fn cancel_invitation(id: i64) -> Result<MemberInvitation, AppError> {
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    services.cancel_invitation(&p, &p.org_id.to_string(), id, &meta).await.map_err(ctx::fail)
}

/// What an invitation link offers, or `None` when it is not valid (any more).
#[server(prefix = "/fn", endpoint = "invitation-preview")]
pub async fn get_invitation_preview(token: String) -> Result<Option<InvitationPreview>, AppError> {
    use agentry_services::vocab::MemberInviteToken;
    let Ok(token) = MemberInviteToken::parse(&token) else {
        return Ok(None);
    };
    ctx::services()?.preview_invitation(&token).await.map_err(ctx::fail)
}

/// Joins the invitation's organization as the signed-in user, moves the session there,
/// and redirects to the organization page.
#[server(prefix = "/fn", endpoint = "accept-invitation")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    use agentry_services::vocab::{field, MemberInviteToken};
    let token = field("token", MemberInviteToken::parse(&token)).map_err(ctx::invalid)?;
    let services = ctx::services()?;
    let p = ctx::require_principal(&services).await?;
    let meta = ctx::request_meta().await;
    let joined = services.accept_invitation(&p, &token, &meta).await.map_err(ctx::fail)?;
    if matches!(p.credential, agentry_services::Credential::Session(_)) {
        services.switch_organization(&p, &joined.organization.id.to_string()).await.map_err(ctx::fail)?;
    }
    leptos_axum::redirect("/organization?joined=true");
    Ok(())
}
