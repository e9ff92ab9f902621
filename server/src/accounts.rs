//! Account security on the server: emailed links (sign-up confirmation, password reset) through
//! the workspace's outbox, password changes, signing out everywhere and removing members. Every
//! change that ends someone's access tells their open pages at once (`LiveEvent::AccessChanged`).

use crate::auth;
use crate::service::Data;
use crate::store::accounts::{AccountEmail, LinkPurpose, NewLink};
use app::access::{normalize_email, password_problem, FieldErrors};
use app::accounts::{port::AccountsPort, reset_requested_message, RESET_MINUTES, VERIFY_HOURS};
use app::api::port::SignedIn;
use app::api::{AppError, Scope};
use app::live::LiveEvent;
use axum::http::request::Parts;
use chrono::Duration;

fn field(name: &str, message: &str) -> AppError {
    let mut errors = FieldErrors::default();
    errors.add(name, message);
    AppError::Fields(errors)
}

fn dead_link(what: &str) -> AppError {
    AppError::Invalid(format!(
        "This {what} link does not work any more: it was used, replaced by a newer one, or it expired."
    ))
}

/// An account email's text and HTML, with the one link it carries.
fn letter(greeting: &str, lines: &[&str], link: Option<(&str, &str)>) -> (String, String) {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut text = format!("{greeting}\n\n{}\n", lines.join("\n\n"));
    let mut html = format!(
        "<p>{}</p>{}",
        esc(greeting),
        lines.iter().map(|l| format!("<p>{}</p>", esc(l))).collect::<String>()
    );
    if let Some((label, url)) = link {
        text.push_str(&format!("\n{label}: {url}\n"));
        html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", esc(url), esc(label)));
    }
    text.push_str("\nIf you did not ask for this, ignore this email: nothing changes.\n");
    html.push_str("<p>If you did not ask for this, ignore this email: nothing changes.</p>");
    (text, html)
}

impl Data {
    /// A domain sign-up: the account waits, with its chosen name and password hash, until the
    /// emailed link is opened. An address that already has an account gets a note instead, and
    /// the caller sees the same answer either way.
    pub async fn start_sign_up(&self, ws: i64, name: &str, email: &str, password: String) -> Result<String, AppError> {
        if self.store.email_settings(ws).await?.is_none() {
            return Err(AppError::Invalid(
                "This workspace cannot send email yet, so your address cannot be confirmed. Ask an admin for an \
                 invitation link."
                    .into(),
            ));
        }
        let now = self.clock.now();
        let origin = self.auth.link_origin.clone();
        let token = auth::new_token();
        let key = format!("account:{}", auth::token_digest(&token));
        let message_id = crate::close_loop::message_id(ws, &key, "success.local");
        if self.store.credentials(email).await?.is_some() {
            let (text, html) = letter(
                &format!("Hello {name},"),
                &["Someone (you, we hope) tried to create a Success account with this address, which already has one."],
                Some(("Sign in or reset your password", &format!("{origin}/forgot-password"))),
            );
            let mail = AccountEmail {
                key: &key,
                to_address: email,
                to_name: name,
                subject: "You already have a Success account",
                text_body: &text,
                html_body: &html,
                message_id: &message_id,
            };
            self.store.queue_account_email(ws, &mail, now).await?;
        } else {
            let hash = self.hash(password).await?;
            let url = format!("{origin}/verify-email?token={token}");
            let (text, html) = letter(
                &format!("Hello {name},"),
                &[&format!(
                    "Confirm this address to create your Success account. The link works once, for {VERIFY_HOURS} hours."
                )],
                Some(("Confirm my email", &url)),
            );
            let link = NewLink {
                token_hash: &auth::token_digest(&token),
                purpose: LinkPurpose::Verify,
                email,
                workspace_id: ws,
                user_id: None,
                name: Some(name),
                password_hash: Some(&hash),
                valid_for: Duration::hours(VERIFY_HOURS),
            };
            let mail = AccountEmail {
                key: &key,
                to_address: email,
                to_name: name,
                subject: "Confirm your email for Success",
                text_body: &text,
                html_body: &html,
                message_id: &message_id,
            };
            self.store.create_link_with_email(&link, &mail, now).await?;
        }
        self.outbox_wake.notify_one();
        Ok(format!(
            "Check your inbox at {email}: we sent a link to confirm the address. It works for {VERIFY_HOURS} hours."
        ))
    }

    /// Tells every open page of these workspaces to check its session again.
    fn access_changed(&self, workspaces: &[i64]) {
        for ws in workspaces {
            self.events.publish(*ws, LiveEvent::AccessChanged);
        }
    }
}

#[async_trait::async_trait]
impl AccountsPort for Data {
    async fn verify_email(&self, parts: &Parts, token: String) -> Result<SignedIn, AppError> {
        if !auth::plausible_token(&token) {
            return Err(dead_link("confirmation"));
        }
        let confirmed = self
            .store
            .confirm_sign_up(&auth::token_digest(&token), self.clock.now())
            .await?
            .ok_or_else(|| dead_link("confirmation"))?;
        let (user, ws) = confirmed;
        let mut signed_in = self.start_session(parts, user, ws).await?;
        signed_in.next = Some("/success-unlock".into());
        Ok(signed_in)
    }

    async fn request_password_reset(&self, parts: &Parts, email: String) -> Result<String, AppError> {
        let email = normalize_email(&email).ok_or_else(|| field("email", "Enter your email address."))?;
        self.rate_limit(parts, "reset", Some(&email)).await?;
        let answer = reset_requested_message(&email);
        let Some((user_id, name, ws)) = self.store.account_of(&email).await? else {
            return Ok(answer);
        };
        if self.store.email_settings(ws).await?.is_none() {
            tracing::warn!(
                workspace = ws,
                "a password reset was asked for, but the workspace has no email set up"
            );
            return Ok(answer);
        }
        let now = self.clock.now();
        let token = auth::new_token();
        let key = format!("account:{}", auth::token_digest(&token));
        let url = format!("{}/reset-password?token={token}", self.auth.link_origin);
        let (text, html) = letter(
            &format!("Hello {name},"),
            &[&format!(
                "Choose a new Success password with this link. It works once, for {RESET_MINUTES} minutes, and \
                 signs you out everywhere else."
            )],
            Some(("Choose a new password", &url)),
        );
        let link = NewLink {
            token_hash: &auth::token_digest(&token),
            purpose: LinkPurpose::Reset,
            email: &email,
            workspace_id: ws,
            user_id: Some(user_id),
            name: None,
            password_hash: None,
            valid_for: Duration::minutes(RESET_MINUTES),
        };
        let mail = AccountEmail {
            key: &key,
            to_address: &email,
            to_name: &name,
            subject: "Reset your Success password",
            text_body: &text,
            html_body: &html,
            message_id: &crate::close_loop::message_id(ws, &key, "success.local"),
        };
        self.store.create_link_with_email(&link, &mail, now).await?;
        self.outbox_wake.notify_one();
        Ok(answer)
    }

    async fn reset_password(&self, parts: &Parts, token: String, password: String) -> Result<SignedIn, AppError> {
        if let Some(problem) = password_problem(&password) {
            return Err(field("password", &problem));
        }
        if !auth::plausible_token(&token) {
            return Err(dead_link("reset"));
        }
        let hash = self.hash(password).await?;
        let (user, ws) = self
            .store
            .reset_password(&auth::token_digest(&token), &hash, self.clock.now())
            .await?
            .ok_or_else(|| dead_link("reset"))?;
        self.access_changed(&[ws]);
        let mut signed_in = self.start_session(parts, user, ws).await?;
        signed_in.next = Some("/health".into());
        Ok(signed_in)
    }

    async fn change_password(
        &self,
        parts: &Parts,
        scope: &Scope,
        current_password: String,
        new_password: String,
    ) -> Result<String, AppError> {
        let me = scope.actor()?;
        if let Some(problem) = password_problem(&new_password) {
            return Err(field("new_password", &problem));
        }
        if current_password.len() > app::access::PASSWORD_MAX * 4 {
            return Err(field("current_password", "That is not your current password."));
        }
        self.wait_out_failures(&me.email).await?;
        let stored = self.store.credentials(&me.email).await?.map(|c| c.password_hash);
        if !auth::verify_password(current_password, stored).await {
            self.record_failure(&me.email).await?;
            return Err(field("current_password", "That is not your current password."));
        }
        let token = self.auth.session_token(&parts.headers).ok_or(AppError::Unauthorized)?;
        let hash = self.hash(new_password).await?;
        let workspaces = self
            .store
            .change_password(me.user_id, &hash, &auth::token_digest(token))
            .await?;
        self.access_changed(&workspaces);
        Ok("Password changed. Every other session of yours has ended.".into())
    }

    async fn sign_out_everywhere(&self, parts: &Parts, scope: &Scope) -> Result<SignedIn, AppError> {
        let me = scope.actor()?;
        let workspaces = self.store.end_sessions(me.user_id).await?;
        self.access_changed(&workspaces);
        Ok(SignedIn {
            set_cookies: vec![
                self.auth.clear_session_cookie(&parts.headers),
                self.auth.clear_demo_cookie(&parts.headers),
            ],
            next: None,
        })
    }

    async fn remove_member(&self, scope: &Scope, user_id: i64) -> Result<(), AppError> {
        let me = scope.actor()?;
        if me.user_id == user_id {
            return Err(AppError::Invalid("You cannot remove yourself.".into()));
        }
        self.store
            .remove_member(scope.workspace.id, me, user_id, self.clock.now())
            .await?;
        self.access_changed(&[scope.workspace.id]);
        Ok(())
    }
}
