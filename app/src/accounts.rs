//! Account security: a sign-up's address is proven by an emailed link before the person exists,
//! passwords are reset by an emailed link or changed with the current one, a person can sign
//! out everywhere, and admins remove members. The pages are in `pages::account_security`.

use crate::api::AppError;
use leptos::prelude::*;

/// How long a password reset link works.
pub const RESET_MINUTES: i64 = 30;
/// How long a sign-up confirmation link works.
pub const VERIFY_HOURS: i64 = 24;

/// What a reset request answers, whether or not the address has an account (no enumeration).
pub fn reset_requested_message(email: &str) -> String {
    format!(
        "If {email} has an account, a link to choose a new password is on its way. It works for {RESET_MINUTES} \
         minutes, once."
    )
}

#[cfg(feature = "ssr")]
pub mod port {
    use crate::api::port::SignedIn;
    use crate::api::{AppError, Scope};
    use leptos::prelude::use_context;
    use std::sync::Arc;

    /// What the server does for the account-security server functions.
    #[async_trait::async_trait]
    pub trait AccountsPort: Send + Sync + 'static {
        /// Opens a sign-up confirmation link: creates the person and signs them in.
        async fn verify_email(&self, parts: &http::request::Parts, token: String) -> Result<SignedIn, AppError>;
        /// Emails a reset link when the address has an account; the same answer either way.
        async fn request_password_reset(&self, parts: &http::request::Parts, email: String)
            -> Result<String, AppError>;
        /// Sets a new password through a reset link, ends every session, signs in anew.
        async fn reset_password(
            &self,
            parts: &http::request::Parts,
            token: String,
            password: String,
        ) -> Result<SignedIn, AppError>;
        /// A new password (the current one proves it is the person); other sessions end.
        async fn change_password(
            &self,
            parts: &http::request::Parts,
            scope: &Scope,
            current_password: String,
            new_password: String,
        ) -> Result<String, AppError>;
        /// Ends every session of the caller, this one included.
        async fn sign_out_everywhere(&self, parts: &http::request::Parts, scope: &Scope) -> Result<SignedIn, AppError>;
        /// Removes a member from the workspace; their sessions and open pages end at once.
        async fn remove_member(&self, scope: &Scope, user_id: i64) -> Result<(), AppError>;
    }

    pub type SharedAccounts = Arc<dyn AccountsPort>;

    pub fn accounts() -> Result<SharedAccounts, AppError> {
        use_context::<SharedAccounts>().ok_or_else(|| AppError::Internal("accounts service missing".into()))
    }
}

#[server(prefix = "/api/fn", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::api::port::{call_open, finish_sign_in};
    let signed_in = call_open(|_, parts| async move { port::accounts()?.verify_email(&parts, token).await }).await?;
    finish_sign_in(signed_in, "/success-unlock");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    crate::api::port::call_open(|_, parts| async move { port::accounts()?.request_password_reset(&parts, email).await })
        .await
}

#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::api::port::{call_open, finish_sign_in};
    let signed_in =
        call_open(|_, parts| async move { port::accounts()?.reset_password(&parts, token, password).await }).await?;
    finish_sign_in(signed_in, "/health");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<String, AppError> {
    crate::api::port::call_open(|data, parts| async move {
        let scope = crate::api::authorize(data.caller(&parts).await?, crate::access::Need::SignedIn)?;
        port::accounts()?
            .change_password(&parts, &scope, current_password, new_password)
            .await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::api::port::{call_open, finish_sign_in};
    let signed_out = call_open(|data, parts| async move {
        let scope = crate::api::authorize(data.caller(&parts).await?, crate::access::Need::SignedIn)?;
        port::accounts()?.sign_out_everywhere(&parts, &scope).await
    })
    .await?;
    finish_sign_in(signed_out, "/sign-in");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "remove_member")]
pub async fn remove_member(user_id: i64) -> Result<(), AppError> {
    crate::api::port::call(crate::access::Need::Manage, |_, scope| async move {
        port::accounts()?.remove_member(&scope, user_id).await
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reset_request_says_the_same_for_every_address() {
        let said = super::reset_requested_message("ada@hooli.com");
        assert!(said.starts_with("If ada@hooli.com has an account"));
        assert!(said.contains("30 minutes"));
    }
}
