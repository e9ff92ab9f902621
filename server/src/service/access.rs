//! Sign-in, sign-up and first setup; the unlock page; Settings → Access (requests, roles,
//! invitations, display links, allowed domains).

use super::{field_error, Data, INVITATION_DAYS, WRONG_CREDENTIALS};
use crate::auth;
use crate::demo;
use crate::store::load::{Dataset, NewWorkspace};
use app::access::*;
use app::api::port::{AccessPort, SignedIn, SignedUp};
use app::api::{AppError, Scope};
use app::live::LiveEvent;
use axum::http::request::Parts;
use chrono::Duration;

#[async_trait::async_trait]
impl AccessPort for Data {
    async fn setup_workspace(
        &self,
        parts: &Parts,
        setup_token: String,
        workspace_name: String,
        name: String,
        email: String,
        password: String,
        sample_data: bool,
    ) -> Result<SignedIn, AppError> {
        // Whoever reaches a fresh server first must also have read its log (or its config).
        if let Some(expected) = &self.auth.setup_token {
            let given = auth::token_digest(setup_token.trim());
            if !auth::constant_time_eq(given.as_bytes(), auth::token_digest(expected).as_bytes()) {
                self.rate_limit(parts, "setup", None).await?;
                return Err(field_error(
                    "setup_token",
                    "That is not this server's setup token: it is printed in the server's log at first start.",
                ));
            }
        }
        let ws_name = validate_workspace_name(&workspace_name);
        let person = validate_new_user(&name, &email, &password);
        let (ws_name, (name, email)) = match (ws_name, person) {
            (Ok(w), Ok(p)) => (w, p),
            (w, p) => {
                let mut errors = w.err().unwrap_or_default();
                errors.0.extend(p.err().unwrap_or_default().0);
                return Err(AppError::Fields(errors));
            }
        };
        if self.store.has_real_workspace().await? {
            return Err(AppError::Forbidden(
                "Success is already set up here; sign in instead.".into(),
            ));
        }
        self.rate_limit(parts, "setup", Some(&email)).await?;
        let hash = self.hash(password).await?;
        let slug = format!("ws-{}", &auth::new_token()[..12]);
        let data = if sample_data {
            let mut spec = demo::DemoSpec::preview(self.clock.today());
            spec.name = ws_name.clone();
            spec.slug = slug;
            let mut data = demo::generate(&spec);
            data.workspace.is_demo = false;
            data
        } else {
            Dataset {
                workspace: NewWorkspace {
                    name: ws_name,
                    slug,
                    is_demo: false,
                    currency: "USD".into(),
                },
                stages: demo::default_stages(),
                ..Dataset::default()
            }
        };
        let ws = self.store.load_dataset(&data, &|_| {}).await?;
        if sample_data {
            crate::score_new_workspace(&self.store, ws, self.clock.today()).await?;
        }
        // Two setups racing both load a workspace; only one creates the owner, the other's goes.
        let Some(user) = self
            .store
            .create_first_owner(ws, &email, &name, &hash, self.clock.now())
            .await?
        else {
            self.store.delete_workspace(ws).await?;
            return Err(AppError::Forbidden(
                "Success is already set up here; sign in instead.".into(),
            ));
        };
        self.start_session(parts, user, ws).await
    }

    async fn sign_in(&self, parts: &Parts, email: String, password: String) -> Result<SignedIn, AppError> {
        // Nothing the caller typed is written or hashed before it is known to be plausible.
        let email = normalize_email(&email).ok_or_else(|| field_error("email", "Enter your email address."))?;
        if password.len() > app::access::PASSWORD_MAX * 4 {
            return Err(AppError::Invalid(WRONG_CREDENTIALS.into()));
        }
        self.rate_limit(parts, "sign_in", None).await?;
        self.wait_out_failures(&email).await?;
        let credentials = self.store.credentials(&email).await?;
        let user_id = credentials.as_ref().map(|c| c.user_id);
        let ok = auth::verify_password(password, credentials.map(|c| c.password_hash)).await;
        let (true, Some(user_id)) = (ok, user_id) else {
            self.record_failure(&email).await?;
            return Err(AppError::Invalid(WRONG_CREDENTIALS.into()));
        };
        let workspace = self
            .store
            .home_workspace(user_id)
            .await?
            .ok_or_else(|| AppError::Invalid(WRONG_CREDENTIALS.into()))?;
        self.start_session(parts, user_id, workspace).await
    }

    async fn sign_out(&self, parts: &Parts) -> Result<SignedIn, AppError> {
        if let Some(token) = self.auth.session_token(&parts.headers) {
            self.store.delete_session(&auth::token_digest(token)).await?;
        }
        Ok(SignedIn {
            set_cookies: vec![
                self.auth.clear_session_cookie(&parts.headers),
                self.auth.clear_demo_cookie(&parts.headers),
            ],
            next: None,
        })
    }

    async fn sign_up(
        &self,
        parts: &Parts,
        name: String,
        email: String,
        password: String,
        invite: Option<String>,
    ) -> Result<SignedUp, AppError> {
        let (name, email) = validate_new_user(&name, &email, &password)?;
        self.rate_limit(parts, "sign_up", Some(&email)).await?;
        let now = self.clock.now();
        let (user, ws, next) = match invite {
            Some(token) => {
                let invitation = match auth::plausible_token(&token) {
                    true => self.store.open_invitation(&auth::token_digest(&token), now).await?,
                    false => None,
                }
                .ok_or_else(|| {
                    AppError::Invalid(
                        "This invitation link is not valid any more; ask your admin for a new one.".into(),
                    )
                })?;
                if invitation.email != email {
                    return Err(field_error(
                        "email",
                        &format!(
                            "This invitation is for {}; sign up with that address.",
                            invitation.email
                        ),
                    ));
                }
                let hash = self.hash(password).await?;
                let user = self.store.accept_invitation(&invitation, &name, &hash, now).await?;
                (user, invitation.workspace_id, "/health")
            }
            None => {
                let ws = self.store.workspace_for_domain(email_domain(&email)).await?.ok_or_else(|| {
                    field_error(
                        "email",
                        "Sign-up needs an invitation link from a workspace admin, or an address at your company's domain.",
                    )
                })?;
                let message = self.start_sign_up(ws, &name, &email, password).await?;
                return Ok(SignedUp::CheckInbox(message));
            }
        };
        let mut signed_in = self.start_session(parts, user, ws).await?;
        signed_in.next = Some(next.to_string());
        Ok(SignedUp::SignedIn(signed_in))
    }

    async fn invitation_info(&self, token: String) -> Result<InvitationInfo, AppError> {
        if !auth::plausible_token(&token) {
            return Err(AppError::NotFound("Invitation".into()));
        }
        let invitation = self
            .store
            .open_invitation(&auth::token_digest(&token), self.clock.now())
            .await?
            .ok_or_else(|| AppError::NotFound("Invitation".into()))?;
        Ok(InvitationInfo {
            workspace_name: invitation.workspace_name,
            email: invitation.email,
            role: invitation.role,
        })
    }

    async fn my_access_request(&self, s: &Scope) -> Result<Option<AccessRequestRow>, AppError> {
        Ok(self.store.access_request_of(s.workspace.id, s.actor()?.user_id).await?)
    }

    async fn request_access(
        &self,
        s: &Scope,
        team: String,
        role_wanted: String,
        reason: String,
    ) -> Result<AccessRequestRow, AppError> {
        let member = s.actor()?;
        if member.has_success {
            return Err(AppError::Invalid("You already have access to Success.".into()));
        }
        let form = validate_access_request(&team, &role_wanted, &reason)?;
        // Admins see the request as a badge on Settings → Access; email follows once SMTP is configured.
        let row = self
            .store
            .upsert_access_request(s.workspace.id, member, &form, self.clock.now())
            .await?;
        self.events.publish(s.workspace.id, LiveEvent::AccessRequested);
        Ok(row)
    }

    async fn access_overview(&self, s: &Scope) -> Result<AccessOverview, AppError> {
        Ok(self.store.access_overview(s.workspace.id, self.clock.now()).await?)
    }

    async fn decide_access_request(
        &self,
        s: &Scope,
        request_id: i64,
        approve: bool,
        role: Option<Role>,
        reason: String,
    ) -> Result<(), AppError> {
        let request = self.store.access_request_by_id(s.workspace.id, request_id).await?;
        let reason = reason.trim().to_string();
        if reason.chars().count() > REASON_MAX {
            return Err(field_error("reason", "Keep the reason under 1000 characters."));
        }
        if !approve && reason.is_empty() {
            return Err(field_error("reason", "Say why, so the person knows what to do next."));
        }
        let role = role.unwrap_or(request.role_wanted);
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        Ok(self
            .store
            .decide_access_request(
                s.workspace.id,
                s.actor()?,
                request_id,
                approve,
                role,
                &reason,
                self.clock.now(),
            )
            .await?)
    }

    async fn revoke_access(&self, s: &Scope, user_id: i64, reason: String) -> Result<(), AppError> {
        let me = s.actor()?;
        if me.user_id == user_id {
            return Err(AppError::Invalid("You cannot revoke your own access.".into()));
        }
        self.store
            .revoke_access(s.workspace.id, me, user_id, reason.trim(), self.clock.now())
            .await?;
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn grant_access(&self, s: &Scope, user_id: i64, role: Role) -> Result<(), AppError> {
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        Ok(self
            .store
            .grant_access(s.workspace.id, s.actor()?, user_id, role, self.clock.now())
            .await?)
    }

    async fn change_role(&self, s: &Scope, user_id: i64, role: Role) -> Result<(), AppError> {
        let me = s.actor()?;
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        if me.user_id == user_id {
            return Err(AppError::Invalid("You cannot change your own role.".into()));
        }
        self.store
            .change_role(s.workspace.id, me, user_id, role, self.clock.now())
            .await?;
        // The store ended their sessions with the change: their open pages end now.
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn create_invitation(&self, s: &Scope, email: String, role: Role) -> Result<CreatedLink, AppError> {
        let email = normalize_email(&email).ok_or_else(|| field_error("email", "Enter an email address."))?;
        if !Role::GRANTABLE.contains(&role) {
            return Err(field_error("role", "Invite as viewer, CSM or admin."));
        }
        let token = auth::new_token();
        let now = self.clock.now();
        let id = self
            .store
            .create_invitation(
                s.workspace.id,
                s.actor()?,
                &auth::token_digest(&token),
                &email,
                role,
                now,
                now + Duration::days(INVITATION_DAYS),
            )
            .await?;
        Ok(CreatedLink {
            id,
            url_path: format!("/sign-up?invite={token}"),
        })
    }

    async fn revoke_invitation(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        Ok(self
            .store
            .revoke_invitation(s.workspace.id, s.actor()?, id, self.clock.now())
            .await?)
    }

    async fn create_display_link(
        &self,
        s: &Scope,
        name: String,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedLink, AppError> {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(field_error(
                "name",
                "Name the screen, e.g. “Office TV, 3rd floor” (up to 80 characters).",
            ));
        }
        if expires_in_days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Err(field_error("expires_in_days", "Expire after 1 to 365 days, or never."));
        }
        let token = auth::new_token();
        let now = self.clock.now();
        let expires = expires_in_days.map(|d| now + Duration::days(d as i64));
        let id = self
            .store
            .create_display_link(
                s.workspace.id,
                s.actor()?,
                &name,
                &auth::token_digest(&token),
                now,
                expires,
            )
            .await?;
        Ok(CreatedLink {
            id,
            url_path: format!("/tv/{token}"),
        })
    }

    async fn revoke_display_link(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        self.store
            .revoke_display_link(s.workspace.id, s.actor()?, id, self.clock.now())
            .await?;
        // The screens showing it stop within a second.
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn set_allowed_domains(&self, s: &Scope, domains: String) -> Result<Vec<String>, AppError> {
        let mut list: Vec<String> = Vec::new();
        for raw in domains.split([',', ' ', '\n', ';']).filter(|d| !d.trim().is_empty()) {
            let d = normalize_domain(raw).ok_or_else(|| {
                field_error(
                    "domains",
                    &format!("{:?} is not a domain like example.com.", raw.trim()),
                )
            })?;
            if !list.contains(&d) {
                list.push(d);
            }
        }
        if list.len() > 20 {
            return Err(field_error("domains", "Allow at most 20 domains."));
        }
        self.store
            .set_allowed_domains(s.workspace.id, s.actor()?, &list, self.clock.now())
            .await?;
        Ok(list)
    }
}
