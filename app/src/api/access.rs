//! Session, sign-in and sign-up, the unlock page and Settings → Access (members, invitations,
//! display links, allowed domains).

#[cfg(feature = "ssr")]
use super::port::{self, SignedIn, SignedUp};
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::access::{AccessOverview, AccessRequestRow, CreatedLink, InvitationInfo, Role, Viewer};
use crate::model::WorkspaceInfo;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait AccessPort: Send + Sync {
    // Sign-in and sign-up; these check their own preconditions (they run without a session).
    #[allow(clippy::too_many_arguments)]
    async fn setup_workspace(
        &self,
        parts: &http::request::Parts,
        setup_token: String,
        workspace_name: String,
        name: String,
        email: String,
        password: String,
        sample_data: bool,
    ) -> Result<SignedIn, AppError>;
    async fn sign_in(
        &self,
        parts: &http::request::Parts,
        email: String,
        password: String,
    ) -> Result<SignedIn, AppError>;
    async fn sign_out(&self, parts: &http::request::Parts) -> Result<SignedIn, AppError>;
    async fn sign_up(
        &self,
        parts: &http::request::Parts,
        name: String,
        email: String,
        password: String,
        invite: Option<String>,
    ) -> Result<SignedUp, AppError>;
    async fn invitation_info(&self, token: String) -> Result<InvitationInfo, AppError>;

    // The unlock page.
    async fn my_access_request(&self, scope: &Scope) -> Result<Option<AccessRequestRow>, AppError>;
    async fn request_access(
        &self,
        scope: &Scope,
        team: String,
        role_wanted: String,
        reason: String,
    ) -> Result<AccessRequestRow, AppError>;

    // Settings → Access.
    async fn access_overview(&self, scope: &Scope) -> Result<AccessOverview, AppError>;
    async fn decide_access_request(
        &self,
        scope: &Scope,
        request_id: i64,
        approve: bool,
        role: Option<Role>,
        reason: String,
    ) -> Result<(), AppError>;
    async fn revoke_access(&self, scope: &Scope, user_id: i64, reason: String) -> Result<(), AppError>;
    async fn grant_access(&self, scope: &Scope, user_id: i64, role: Role) -> Result<(), AppError>;
    async fn change_role(&self, scope: &Scope, user_id: i64, role: Role) -> Result<(), AppError>;
    async fn create_invitation(&self, scope: &Scope, email: String, role: Role) -> Result<CreatedLink, AppError>;
    async fn revoke_invitation(&self, scope: &Scope, invitation_id: i64) -> Result<(), AppError>;
    async fn create_display_link(
        &self,
        scope: &Scope,
        name: String,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedLink, AppError>;
    async fn revoke_display_link(&self, scope: &Scope, link_id: i64) -> Result<(), AppError>;
    async fn set_allowed_domains(&self, scope: &Scope, domains: String) -> Result<Vec<String>, AppError>;
}

// ---- Session, sign-in, sign-up ------------------------------------------------------------

/// Who is signed in (if anyone), whether the demo is on screen, whether setup is needed.
#[server(prefix = "/api/fn", endpoint = "current_viewer")]
pub async fn current_viewer() -> Result<Viewer, AppError> {
    port::call_open(|d, parts| async move { d.viewer(&parts).await }).await
}

/// First start: creates the workspace and its owner, then signs the owner in.
#[server(prefix = "/api/fn", endpoint = "setup_workspace")]
pub async fn setup_workspace(
    #[server(default)] setup_token: String,
    workspace_name: String,
    name: String,
    email: String,
    password: String,
    #[server(default)] sample_data: Option<String>,
) -> Result<(), AppError> {
    let signed_in = port::call_open(|d, parts| async move {
        d.setup_workspace(
            &parts,
            setup_token,
            workspace_name,
            name,
            email,
            password,
            sample_data.is_some(),
        )
        .await
    })
    .await?;
    port::finish_sign_in(signed_in, "/health");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, #[server(default)] next: String) -> Result<(), AppError> {
    let signed_in = port::call_open(|d, parts| async move { d.sign_in(&parts, email, password).await }).await?;
    port::finish_sign_in(signed_in, &crate::access::local_next(&next));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let signed_out = port::call_open(|d, parts| async move { d.sign_out(&parts).await }).await?;
    port::finish_sign_in(signed_out, "/sign-in");
    Ok(())
}

/// Self sign-up (email at an allowed domain: `Some(message)`, the account waits for the emailed
/// link) or sign-up through an invitation link (`None`: signed in and sent on).
#[server(prefix = "/api/fn", endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    #[server(default)] invite: String,
) -> Result<Option<String>, AppError> {
    let invite = Some(invite).filter(|i| !i.is_empty());
    let signed_up =
        port::call_open(|d, parts| async move { d.sign_up(&parts, name, email, password, invite).await }).await?;
    match signed_up {
        port::SignedUp::SignedIn(signed_in) => {
            port::finish_sign_in(signed_in, "/health");
            Ok(None)
        }
        port::SignedUp::CheckInbox(message) => Ok(Some(message)),
    }
}

#[server(prefix = "/api/fn", endpoint = "invitation_details")]
pub async fn invitation_details(token: String) -> Result<InvitationInfo, AppError> {
    port::call_open(|d, _| async move { d.invitation_info(token).await }).await
}

// ---- /success-unlock -----------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "my_access_request")]
pub async fn my_access_request() -> Result<Option<AccessRequestRow>, AppError> {
    port::call(Need::SignedIn, |d, s| async move { d.my_access_request(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "request_access")]
pub async fn request_access(team: String, role_wanted: String, reason: String) -> Result<AccessRequestRow, AppError> {
    port::call(Need::SignedIn, |d, s| async move {
        d.request_access(&s, team, role_wanted, reason).await
    })
    .await
}

// ---- Settings → Access ---------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "access_settings")]
pub async fn access_settings() -> Result<AccessOverview, AppError> {
    port::call(Need::Manage, |d, s| async move { d.access_overview(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "decide_access_request")]
pub async fn decide_access_request(
    request_id: i64,
    approve: bool,
    role: Option<Role>,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.decide_access_request(&s, request_id, approve, role, reason).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_access")]
pub async fn revoke_access(user_id: i64, #[server(default)] reason: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.revoke_access(&s, user_id, reason).await
    })
    .await
}

/// Grants Success to a member directly (no request needed), with a role.
#[server(prefix = "/api/fn", endpoint = "grant_access")]
pub async fn grant_access(user_id: i64, role: Role) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.grant_access(&s, user_id, role).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "change_role")]
pub async fn change_role(user_id: i64, role: Role) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.change_role(&s, user_id, role).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "create_invitation")]
pub async fn create_invitation(email: String, role: Role) -> Result<CreatedLink, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.create_invitation(&s, email, role).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(invitation_id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.revoke_invitation(&s, invitation_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "create_display_link")]
pub async fn create_display_link(name: String, expires_in_days: Option<u32>) -> Result<CreatedLink, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.create_display_link(&s, name, expires_in_days).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_display_link")]
pub async fn revoke_display_link(link_id: i64) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.revoke_display_link(&s, link_id).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "set_allowed_domains")]
pub async fn set_allowed_domains(domains: String) -> Result<Vec<String>, AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.set_allowed_domains(&s, domains).await },
    )
    .await
}

// ---- Success pages -------------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "current_workspace")]
pub async fn current_workspace() -> Result<WorkspaceInfo, AppError> {
    port::call(Need::Read, |_, s| async move { Ok(s.workspace) }).await
}
