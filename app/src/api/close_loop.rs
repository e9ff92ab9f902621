//! Close the Loop: feature requests, matches to releases, the emails that tell customers, and
//! the email settings.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::close_loop as cl;
use crate::model::ListQuery;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait CloseLoopPort: Send + Sync {
    async fn close_the_loop(&self, scope: &Scope, query: ListQuery) -> Result<cl::CloseTheLoopView, AppError>;
    async fn account_loop(&self, scope: &Scope, account_id: i64) -> Result<cl::AccountLoop, AppError>;
    async fn decide_match(&self, scope: &Scope, request_id: i64, item_id: i64, confirm: bool) -> Result<(), AppError>;
    async fn add_feature_request(&self, scope: &Scope, form: cl::FeatureRequestForm) -> Result<i64, AppError>;
    async fn email_draft(
        &self,
        scope: &Scope,
        request_id: i64,
        item_id: i64,
        contact_id: Option<i64>,
    ) -> Result<cl::EmailDraft, AppError>;
    async fn queue_email(
        &self,
        scope: &Scope,
        request_id: i64,
        item_id: i64,
        contact_id: Option<i64>,
        subject: String,
        body: String,
    ) -> Result<cl::OutboxRow, AppError>;
    /// Queues every confirmed match's email; returns a sentence saying what happened.
    async fn queue_all_confirmed(&self, scope: &Scope) -> Result<String, AppError>;
    async fn resolve_email(&self, scope: &Scope, outbox_id: i64, arrived: bool) -> Result<(), AppError>;
    async fn email_settings(&self, scope: &Scope) -> Result<cl::EmailSettingsView, AppError>;
    async fn save_email_settings(
        &self,
        scope: &Scope,
        form: cl::EmailSettingsForm,
    ) -> Result<cl::EmailSettingsView, AppError>;
    async fn test_email(&self, scope: &Scope, to: String) -> Result<String, AppError>;
    async fn set_contact_opt_out(&self, scope: &Scope, contact_id: i64, opted_out: bool) -> Result<(), AppError>;
    /// Matches requests against releases now; returns a sentence with the counts.
    async fn rematch(&self, scope: &Scope) -> Result<String, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "close_the_loop")]
pub async fn close_the_loop(query: ListQuery) -> Result<cl::CloseTheLoopView, AppError> {
    port::call(Need::Read, |d, s| async move { d.close_the_loop(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "account_loop")]
pub async fn account_loop(account_id: i64) -> Result<cl::AccountLoop, AppError> {
    port::call(Need::Read, |d, s| async move { d.account_loop(&s, account_id).await }).await
}

/// Confirms (or rejects, for good) a proposed (request, release item) match.
#[server(prefix = "/api/fn", endpoint = "decide_match")]
pub async fn decide_match(request_id: i64, item_id: i64, confirm: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.decide_match(&s, request_id, item_id, confirm).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "add_feature_request")]
pub async fn add_feature_request(form: cl::FeatureRequestForm) -> Result<i64, AppError> {
    port::call(
        Need::Operate,
        |d, s| async move { d.add_feature_request(&s, form).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "email_draft")]
pub async fn email_draft(request_id: i64, item_id: i64, contact_id: Option<i64>) -> Result<cl::EmailDraft, AppError> {
    port::call(Need::Read, |d, s| async move {
        d.email_draft(&s, request_id, item_id, contact_id).await
    })
    .await
}

/// Queues the "we shipped your request" email, as edited; queueing it twice finds the same email.
#[server(prefix = "/api/fn", endpoint = "queue_email")]
pub async fn queue_email(
    request_id: i64,
    item_id: i64,
    contact_id: Option<i64>,
    subject: String,
    body: String,
) -> Result<cl::OutboxRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.queue_email(&s, request_id, item_id, contact_id, subject, body).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "queue_all_confirmed")]
pub async fn queue_all_confirmed() -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move { d.queue_all_confirmed(&s).await }).await
}

/// For an email in doubt: it did arrive (`arrived`), or send it again.
#[server(prefix = "/api/fn", endpoint = "resolve_email")]
pub async fn resolve_email(outbox_id: i64, arrived: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.resolve_email(&s, outbox_id, arrived).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "email_settings")]
pub async fn email_settings() -> Result<cl::EmailSettingsView, AppError> {
    port::call(Need::Manage, |d, s| async move { d.email_settings(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "save_email_settings")]
pub async fn save_email_settings(form: cl::EmailSettingsForm) -> Result<cl::EmailSettingsView, AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.save_email_settings(&s, form).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "test_email")]
pub async fn test_email(to: String) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.test_email(&s, to).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_contact_opt_out")]
pub async fn set_contact_opt_out(contact_id: i64, opted_out: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.set_contact_opt_out(&s, contact_id, opted_out).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "rematch")]
pub async fn rematch() -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move { d.rematch(&s).await }).await
}
